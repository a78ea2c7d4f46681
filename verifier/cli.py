"""Command line: ``verifier list | check THEOREM … | report``.

Exit status: 0 every claim PASS; 1 some claim FAIL; 2 bad input; 3 INCONCLUSIVE.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Optional, Sequence

from .claims import Verdict
from .errors import InputError
from .report import render_table, summary_line, write_report
from .run import run
from .theorem import registry

EXIT = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.INCONCLUSIVE: 3}
EXIT_BAD_INPUT = 2
CHECK_OPTIONS = ("dim", "eps", "target", "lipschitz", "bound", "context", "dps", "seed", "points", "tamper", "max_prefix")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="verifier", description="Check prefix-tuning universality theorems.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the registered theorems")
    check = sub.add_parser("check", help="check one theorem instance")
    check.add_argument("theorem", help="a name from `verifier list`")
    check.add_argument("--dim", help="sphere dimension m (S^m ⊂ R^(m+1)); default 1")
    check.add_argument("--eps", help="target accuracy ε > 0")
    check.add_argument("--target", help="sympy expression in x0..xm (a tuple for d > 1); default sin(2*x0)/2")
    check.add_argument("--lipschitz", help="claimed Lipschitz constant L of the target (chordal metric)")
    check.add_argument("--bound", help="claimed bound B ≥ sup ‖f‖")
    check.add_argument("--context", help="number T of content tokens (copies of x: the worst case); default 1")
    check.add_argument("--dps", help="working decimal digits for verdicts (checked at 2·dps); default 30")
    check.add_argument("--seed", help="seed of every random step; default 0")
    check.add_argument("--points", help="float64 scan points of the sup search; default 20000")
    check.add_argument("--tamper", help="negative control: short-prefix | small-lambda | wrong-values")
    check.add_argument("--max-prefix", dest="max_prefix", help="refuse constructions with more prefix tokens; default 20000 (m = 3, N = 8080 takes about 80 s)")
    check.add_argument("--json", type=Path, help="write the result as JSON to this path")
    report = sub.add_parser("report", help="check the embedded default instances and write reports")
    report.add_argument("--out", type=Path, default=Path("reports"), help="output folder; default ./reports")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            for name, theorem in registry().items():
                print(f"{name}: {theorem.statement} [realises {', '.join(theorem.realises)}]")
            return 0
        if args.command == "check":
            options = {k: getattr(args, k) for k in CHECK_OPTIONS if getattr(args, k) is not None}
            if args.json:
                _writable_folder(args.json.parent)
            result = run(args.theorem, options, command=shlex.join(["verifier", *argv]))
            print(render_table(result))
            if args.json:
                args.json.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
            return EXIT[result.verdict]
        return _report(args.out, argv)
    except InputError as error:
        print(f"verifier: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"verifier: error: cannot write {error.filename}: {error.strerror}; choose a writable --json/--out path",
              file=sys.stderr)
        return EXIT_BAD_INPUT


def _writable_folder(folder: Path) -> None:
    """Create ``folder`` and make sure it is writable, before any expensive work."""
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK):
        raise PermissionError(13, "permission denied", str(folder))


def _report(out: Path, argv: Sequence[str]) -> int:
    _writable_folder(out)
    results = []
    for name, theorem in registry().items():
        for instance, options in theorem.default_instances():
            result = run(name, options, command=shlex.join(["verifier", *argv]))
            folder = write_report(result, instance, out)
            print(f"{instance}: {result.verdict.value} ({result.wall_time_s:.1f} s) -> {folder / 'report.md'}")
            results.append(result)
    print(summary_line(results))
    return EXIT[Verdict.combine(r.verdict for r in results)]


if __name__ == "__main__":
    sys.exit(main())
