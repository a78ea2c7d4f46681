#!/bin/sh
# The reference sweeps of reports/sweeps/ (README, "Reference result"). Run from anywhere:
#   sh reports/sweeps/make.sh            # every sweep, then the side-by-side summary
#   sh reports/sweeps/make.sh e2-m2      # one sweep by name, then the summary
# The theorems' default target sin(2*x0)/2 with certified L and B, and the default --evidence auto: every size
# tried is decided by the deciding claim alone (E1.step5.sup, E2.sup), certified by branch and bound within
# the default cell budget (INCONCLUSIVE past it), and the smallest size proved is then checked in full.
# WORKERS (default 2) sets the LocalCluster size.
set -e
cd "$(dirname "$0")/../.."
out=reports/sweeps
workers=${WORKERS:-2}
sweep() {  # name, then the sweep's arguments
    name=$1; shift
    verifier sweep "$@" --json "$out/$name.json" --plot "$out/$name" --workers "$workers" --no-progress
}
run() {
    case "$1" in
        e1-m1) sweep e1-m1 single-head --dim 1 --eps 0.2,0.1,0.05,0.02,0.01 ;;
        e2-m1) sweep e2-m1 smoothing --dim 1 --eps 0.2,0.1,0.05,0.02,0.01 ;;
        e1-m2) sweep e1-m2 single-head --dim 2 --eps 0.4,0.3,0.2 ;;
        e2-m2) sweep e2-m2 smoothing --dim 2 --eps 0.4,0.3,0.2 --max-prefix 100000 ;;
        *) echo "unknown sweep $1 (e1-m1, e2-m1, e1-m2, e2-m2)" >&2; exit 2 ;;
    esac
}
if [ $# -eq 0 ]; then set -- e1-m1 e2-m1 e1-m2 e2-m2; fi
for name in "$@"; do run "$name"; done
python "$out/compare.py"
