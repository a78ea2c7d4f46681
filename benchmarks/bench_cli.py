"""Benchmark: the start-up of the command line, `verifier list` and `verifier --help`, against `import sympy`.

Each is timed in fresh Python processes (wall clock of the whole process, interpreter start-up included),
REPEATS times each, interleaved so that a busy machine slows all three alike; prints the medians and the
ratios to `python -c "import sympy"` (target: both ≤ 2). `list` loads every registered theorem's declaration
(name, statement, options) and nothing it does not print: no construction, no scipy, matplotlib, rich, dask
(tests/test_cli.py pins that without timing).

    python benchmarks/bench_cli.py [REPEATS]
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

WAYS = {
    "import sympy": [sys.executable, "-c", "import sympy"],
    "verifier list": [sys.executable, "-m", "verifier.cli", "list"],
    "verifier --help": [sys.executable, "-m", "verifier.cli", "--help"],
}


def seconds(command: list[str]) -> float:
    """Wall time of one fresh process running ``command`` (its output discarded; it must exit 0)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(repeats: int = 7) -> None:
    times: dict[str, list[float]] = {name: [] for name in WAYS}
    for name, command in WAYS.items():  # warm the file cache once, untimed
        seconds(command)
    for _ in range(repeats):
        for name, command in WAYS.items():
            times[name].append(seconds(command))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["import sympy"]
    print(f"{repeats} fresh processes each (python {sys.version.split()[0]}), median wall time:")
    for name, median in medians.items():
        print(f"  {name:16s} {median * 1000:7.0f} ms   (min {min(times[name]) * 1000:.0f}, max {max(times[name]) * 1000:.0f})"
              f"   ratio to import sympy = {median / base:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
