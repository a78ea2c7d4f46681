#!/bin/sh
# The stored audit of every head of the packaged all-MiniLM-L6-v2 (issue 17): theorem pretrained-head at m = 1,
# ε = 0.1 (default target sin(2*x0)/2 with certified L and B, --evidence auto: certified) for each of the 6 × 12
# (layer, head) cells, on a LocalCluster of WORKERS (default 2) processes. Run from anywhere:
#   sh reports/audits/make.sh
# It writes reports/audits/pretrained-m1.json (read by a report's `grids = [...]`), pretrained-m1.png/.svg (the heat
# map: certified sup bound per head, each cell's verdict marked) and pretrained-m1.txt (the table it prints).
# Exit status: the worst cell's verdict.
set -e
cd "$(dirname "$0")/../.."
verifier grid pretrained-head --vary layer=0..5 --vary head=0..11 --dim 1 --eps 0.1 \
    --columns rank,smallest_singular_value,prefix_length,lam,key_norm_ratio,value_norm_ratio,sup_error.value,sup_error_bound,sup_error_evidence,error_bfloat16 \
    --map sup_error_bound --workers "${WORKERS:-2}" --no-progress \
    --json reports/audits/pretrained-m1.json --plot reports/audits/pretrained-m1 > reports/audits/pretrained-m1.txt \
    || status=$?
cat reports/audits/pretrained-m1.txt
exit "${status:-0}"
