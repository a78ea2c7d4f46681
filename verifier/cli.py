"""Command line: ``verifier list | check THEOREM … | sweep THEOREM … | grid THEOREM … | study NAME … | report``.

Exit status: 0 every claim PASS; 1 some claim FAIL; 2 bad input; 3 INCONCLUSIVE; 4 internal error (an unexpected
exception, an operating-system error, or a failed FRAMEWORK claim: two computations of the verifier disagree).

Output files never lie: an earlier run's --json file (or report folder) is removed before the run starts, and the new
one is written to a temporary file (folder) beside it and renamed, so a refused, failed or interrupted run leaves none.

Only the command that runs imports its machinery (the run, the report, the sweep, rich, matplotlib, a theorem's
construction): ``verifier --help`` imports no theorem and ``verifier list`` only the theorems' declarations
(benchmarks/bench_cli.py times both against ``import sympy``).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from .errors import InputError
from .theorem import Theorem, get, registry

if TYPE_CHECKING:
    from .progress import Progress
    from .run import TheoremResult

EXIT = {"PASS": 0, "FAIL": 1, "INCONCLUSIVE": 3}  # by the value of a Verdict
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 4


def run(theorem: str, options, **kwargs):
    """:func:`verifier.run.run`, imported when a check runs (one name here, so tests can replace it)."""
    from .run import run as run_theorem

    return run_theorem(theorem, options, **kwargs)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="verifier", description="Check prefix-tuning universality theorems.",
                                     epilog="exit status: 0 PASS, 1 FAIL, 2 bad input, 3 INCONCLUSIVE, 4 internal error")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the registered theorems")
    check = sub.add_parser("check", help="check one theorem instance (verifier check THEOREM --help: its options)",
                           add_help=False)
    check.add_argument("theorem", help="a name from `verifier list`")
    check.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    sweep = sub.add_parser("sweep", help="tightness sweep over ε on Dask (verifier sweep THEOREM --help: its options)",
                           add_help=False)
    sweep.add_argument("theorem", help="a name from `verifier list`")
    sweep.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    grid = sub.add_parser("grid", help="check a theorem at every combination of some options' values on Dask, an audit "
                                       "(verifier grid THEOREM --help: its options)", add_help=False)
    grid.add_argument("theorem", help="a name from `verifier list`")
    grid.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    study = sub.add_parser("study", help="run a registered study on Dask and write its folder (verifier study NAME "
                                         "--help: its options; `verifier list` names the studies)", add_help=False)
    study.add_argument("study", help="a study's name from `verifier list`")
    study.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    report = sub.add_parser("report", help="check a suite of theorem instances and write one HTML/Markdown/JSON report",
                            description="Check every instance of a suite (default: every registered theorem's default "
                                        "instances) and write OUT/NAME/index.html, report.md, report.json and figures/.")
    report.add_argument("--out", type=Path, default=Path("reports"), help="output folder; default ./reports")
    report.add_argument("--config", type=Path, help="a TOML suite: [[instance]] tables with theorem = NAME and its options "
                                                    "(see docs/reports.md)")
    report.add_argument("--quick", action="store_true", help="the reduced default suite (under a minute on 2 cores)")
    report.add_argument("--replace", action="store_true", help="replace the report in OUT/NAME (only a report folder); "
                                                                "default: an existing OUT/NAME is kept and the new report "
                                                                "is written to OUT/NAME-2, -3, …")
    report.add_argument("--no-progress", action="store_true", help="no progress on stderr (a bar on a terminal, else a "
                                                                   "line per instance)")
    return parser


def theorem_parser(theorem: Theorem) -> argparse.ArgumentParser:
    """The flags of ``verifier check THEOREM``, built from the theorem's declared options."""
    from .claims import Evidence

    parser = argparse.ArgumentParser(prog=f"verifier check {theorem.name}", description=theorem.statement)
    for option in theorem.options:
        parser.add_argument(option.flag, dest=option.name, required=option.required, help=option.usage)
    parser.add_argument("--json", type=Path, help="write the result as JSON to this path")
    parser.add_argument("--require", choices=[e.value for e in Evidence],
                        help="a PASS on weaker evidence becomes INCONCLUSIVE (exit 3), e.g. --require certified")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            from .study import studies

            for name, theorem in registry().items():
                print(f"{name}: {theorem.statement} [realises {', '.join(theorem.realises)}]")
            for name, study in studies().items():
                print(f"study {name}: {study.statement}")
            return 0
        if args.command == "check":
            from .claims import Evidence
            from .report import render_table

            theorem = get(args.theorem)
            flags = theorem_parser(theorem).parse_args(args.rest)
            options = {o.name: getattr(flags, o.name) for o in theorem.options if getattr(flags, o.name) is not None}
            if flags.json:
                prepare_output(flags.json, "--json")
            result = run(theorem.name, options, command=shlex.join(["verifier", *argv]),
                         require=Evidence(flags.require) if flags.require else None)
            print(render_table(result))
            if flags.json:
                write_output(flags.json, "--json", json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
            return _exit_status(result.verdict.value, framework_failures([("", result)]))
        if args.command == "sweep":
            return _sweep(get(args.theorem), args.rest, argv)
        if args.command == "grid":
            return _grid(get(args.theorem), args.rest, argv)
        if args.command == "study":
            return _study(args.study, args.rest, argv)
        return _report(args.out, args.config, args.quick, argv, args.replace, progress=not args.no_progress)
    except InputError as error:
        print(f"verifier: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:  # not one of our outputs (write_output names those): a file, the network, resources
        where = f" ({error.filename})" if error.filename else ""
        print(f"verifier: error: the run stopped on an operating-system error: {type(error).__name__}: "
              f"{error.strerror or error}{where}. It is not a verdict on the theorem: check the file, address or "
              "resource it names and run the command again.", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("verifier: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the one place an unexpected exception becomes exit 4, never FAIL
        summary = str(error).splitlines()[0][:300] if str(error) else ""
        print(f"verifier: internal error: {type(error).__name__}: {summary}\n"
              "This is a bug in the verifier, not a verdict on the theorem; please report it with the command you ran.",
              file=sys.stderr)
        return EXIT_INTERNAL


def add_dask_flags(parser: argparse.ArgumentParser, item: str) -> None:
    """The flags of a command that runs on Dask: --workers or --scheduler, and --no-progress (one line per ``item``)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", help="LocalCluster worker processes; default: the number of cores")
    where.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--no-progress", action="store_true",
                        help=f"no progress on stderr (a bar on a terminal, else a line per {item})")


def sweep_parser(theorem: Theorem) -> argparse.ArgumentParser:
    """The flags of ``verifier sweep THEOREM``: the theorem's declared options (but ε, a list here, and the
    size option, which the sweep bisects) and the sweep's own."""
    from .sweep import sizing_of

    sizing = sizing_of(theorem)
    parser = argparse.ArgumentParser(prog=f"verifier sweep {theorem.name}",
                                     description=f"Tightness sweep of {theorem.name}: constructed and smallest prefix "
                                                 "lengths over a list of ε, log-log fits, plot; checks run on Dask.")
    parser.add_argument("--eps", required=True, help="comma-separated accuracies, e.g. 0.2,0.1,0.05 (required)")
    for option in theorem.options:
        if option.name not in ("eps", sizing.option):
            parser.add_argument(option.flag, dest=option.name, required=option.required, help=option.usage)
    parser.add_argument("--json", type=Path, help="write the sweep as JSON to this path")
    parser.add_argument("--plot", type=Path, help="write the log-log plot to PATH.png and PATH.svg")
    add_dask_flags(parser, "row")
    return parser


def _sweep(theorem: Theorem, rest: Sequence[str], argv: Sequence[str]) -> int:
    from .claims import Verdict
    from .inputs import parse_integer
    from .sweep import parse_eps_list, plot, run_sweep

    flags = sweep_parser(theorem).parse_args(rest)
    options = {o.name: getattr(flags, o.name) for o in theorem.options
               if getattr(flags, o.name, None) is not None and o.name != "eps"}
    if flags.json:
        prepare_output(flags.json, "--json")
    if flags.plot:  # plot() writes PATH.png and PATH.svg
        for suffix in (".png", ".svg"):
            prepare_output(flags.plot.with_suffix(suffix), "--plot")
    eps = parse_eps_list(flags.eps)
    workers = parse_integer(flags.workers, "--workers", 1, 256) if flags.workers else (os.cpu_count() or 1)
    result = run_sweep(theorem.name, options, eps, workers=workers, scheduler=flags.scheduler,
                       progress=not flags.no_progress, command=shlex.join(["verifier", *argv]))
    print(render_sweep(result))
    if flags.json:  # an interrupted sweep's rows too, marked "complete": false
        write_output(flags.json, "--json", json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    if flags.plot and result.rows:
        for path in plot(result, flags.plot):
            print(f"plot: {path}")
    if not result.complete:
        print("verifier: interrupted; the rows finished so far were written", file=sys.stderr)
        return 130
    return _exit_status(Verdict.combine(Verdict(r["verdict"]) for r in result.rows).value,
                        [f"ε = {r['eps_exact']}, {claim_id}" for r in result.rows for claim_id in r["framework_errors"]])


def render_sweep(result) -> str:
    """The sweep's table and fits for the terminal."""
    from .sweep import describe_minimal

    lines = [f"sweep {result.theorem} m={result.dim} ({result.workers}; {result.wall_time_s:.1f} s)",
             f"  {'eps':>8}  {'N':>8}  {'bound':>8}  {'min N':>8}  {'temperature':>12}  {'sup error':>12}  {'min sup':>12}  verdict"]
    for r in result.rows:
        lines.append(f"  {r['eps']:>8g}  {r['prefix_length']:>8}  {r['bound']:>8}  {describe_minimal(r):>8}  "
                     f"{r['temperature']:>12.6g}  {r['sup_error']:>12.6g}  {r['minimal_sup_error'] or float('nan'):>12.6g}  "
                     f"{r['verdict']} ({r['evidence']})")
    for name, fit in result.fits.items():
        slope = "—" if fit["slope"] is None else f"{fit['slope']:.3f}"
        err = "" if fit["stderr"] is None else f" ± {fit['stderr']:.3f}"
        lines.append(f"  slope of {name}: {slope}{err} (reference {fit['reference_exponent']:g}: {fit['reference']})")
    return "\n".join(lines)


def grid_parser(theorem: Theorem) -> argparse.ArgumentParser:
    """The flags of ``verifier grid THEOREM``: the theorem's declared options (a varied one is given by --vary, so
    none is required here: the theorem's ``parameters`` names a missing one) and the grid's own."""
    parser = argparse.ArgumentParser(prog=f"verifier grid {theorem.name}",
                                     description=f"Check {theorem.name} at every combination of the --vary values (an "
                                                 "audit): a table of the cells' facts and verdicts, JSON, and for two "
                                                 "varied options a heat map; cells run on Dask.")
    parser.add_argument("--vary", action="append", required=True, metavar="NAME=VALUES",
                        help="an option and its values: a..b (the integers a to b) or a comma-separated list, e.g. "
                             "--vary layer=0..5 --vary head=0..11 (repeat for more options; required)")
    for option in theorem.options:
        parser.add_argument(option.flag, dest=option.name, help=option.usage)
    parser.add_argument("--columns", help="comma-separated facts shown in the table (dotted paths for a record's "
                                          "keys); default: the theorem's labelled scalar facts")
    parser.add_argument("--map", dest="map_fact", help="the fact a two-option grid's heat map shows; default: the "
                                                        "first column")
    parser.add_argument("--json", type=Path, help="write the grid as JSON to this path (a report reads it: grids = [...])")
    parser.add_argument("--plot", type=Path, help="write the heat map (two varied options) to PATH.png and PATH.svg")
    add_dask_flags(parser, "cell")
    return parser


def _grid(theorem: Theorem, rest: Sequence[str], argv: Sequence[str]) -> int:
    from .grid import check_fact_names, describe_cell, heat_map, parse_vary, run_grid
    from .inputs import parse_integer
    from .report.plots import save

    flags = grid_parser(theorem).parse_args(rest)
    options = {o.name: getattr(flags, o.name) for o in theorem.options if getattr(flags, o.name, None) is not None}
    axes: dict = {}
    for text in flags.vary:
        name, values = parse_vary(text)
        if name in axes:
            raise InputError(f"--vary {name} is given twice; list all its values in one --vary")
        axes[name] = values
    columns = [c.strip() for c in flags.columns.split(",") if c.strip()] if flags.columns else None
    check_fact_names(theorem.name, columns or [], flags.map_fact)
    if flags.plot and len(axes) != 2:
        raise InputError(f"--plot draws the heat map of two varied options; this grid varies {len(axes)}: drop --plot "
                         "or vary two options")
    if flags.json:
        prepare_output(flags.json, "--json")
    if flags.plot:
        for suffix in (".png", ".svg"):
            prepare_output(flags.plot.with_suffix(suffix), "--plot")
    workers = parse_integer(flags.workers, "--workers", 1, 256) if flags.workers else (os.cpu_count() or 1)
    result = run_grid(theorem.name, options, axes, workers=workers, scheduler=flags.scheduler,
                      progress=not flags.no_progress, command=shlex.join(["verifier", *argv]), columns=columns,
                      map_fact=flags.map_fact)
    print(render_grid(result))
    data = result.to_json()
    if flags.json:  # an interrupted grid's rows too, marked "complete": false
        write_output(flags.json, "--json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    figure = heat_map(data) if result.rows else None
    if flags.plot and figure:
        for path in save(figure, flags.plot, salt=flags.plot.name):
            print(f"plot: {path}")
    if not result.complete:
        print("verifier: interrupted; the cells finished so far were written", file=sys.stderr)
        return 130
    return _exit_status(result.verdict.value, [f"{describe_cell(r['cell'])}: {claim_id}" for r in result.rows
                                               for claim_id in r["framework_errors"]])


def render_grid(result) -> str:
    """The grid's table for the terminal: one line per cell (its values, the columns' facts, the verdict)."""
    from .grid import table_rows
    from .report.format import number

    axes = list(result.axes)
    header = axes + list(result.columns) + ["verdict"]
    body = [[number(v) for v in row] for row in table_rows(axes, result.columns, result.rows)]
    widths = [max(len(str(h)), *(len(r[k]) for r in body)) if body else len(str(h)) for k, h in enumerate(header)]
    lines = [f"grid {result.theorem} ({len(result.rows)} cells; {result.workers}; {result.wall_time_s:.1f} s): "
             + ", ".join(f"{k}={v}" for k, v in result.options.items()),
             "  " + "  ".join(str(h).rjust(w) for h, w in zip(header, widths))]
    lines += ["  " + "  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in body]
    counts = {v: sum(1 for r in result.rows if r["verdict"] == v) for v in dict.fromkeys(r["verdict"] for r in result.rows)}
    lines.append(f"VERDICT: {result.verdict.value} (" + ", ".join(f"{n} {v}" for v, n in counts.items()) + ")")
    return "\n".join(lines)


def study_parser(study) -> argparse.ArgumentParser:
    """The flags of ``verifier study NAME``: the study's declared options and the study's own."""
    parser = argparse.ArgumentParser(prog=f"verifier study {study.name}", description=study.statement)
    for option in study.options:
        parser.add_argument(option.flag, dest=option.name, required=option.required, help=option.usage)
    parser.add_argument("--out", type=Path, default=Path("reports") / study.name,
                        help=f"output folder (result.json, table.md, figures, certificates); default reports/{study.name}")
    parser.add_argument("--replace", action="store_true", help="replace an existing output folder holding a study result")
    add_dask_flags(parser, "task")
    return parser


def _study(name: str, rest: Sequence[str], argv: Sequence[str]) -> int:
    from .inputs import parse_integer
    from .study import exit_verdict, get_study, prepare_folder, run_study, write_folder

    study = get_study(name)
    flags = study_parser(study).parse_args(rest)
    options = {o.name: getattr(flags, o.name) for o in study.options if getattr(flags, o.name, None) is not None}
    workers = parse_integer(flags.workers, "--workers", 1, 256) if flags.workers else (os.cpu_count() or 1)
    prepare_folder(flags.out, flags.replace)
    finished = run_study(name, options, workers=workers, scheduler=flags.scheduler, progress=not flags.no_progress,
                         command=shlex.join(["verifier", *argv]))
    print(study.table(finished.result))
    for path in write_folder(study, finished, flags.out):
        if path.suffix != ".json" or path.parent == Path("."):
            print(f"wrote {flags.out / path}")
    print(f"wrote {len(finished.files)} file(s) of the tasks under {flags.out}; {finished.result['workers']}; "
          f"{finished.result['wall_time_s']:.1f} s")
    if not finished.complete:
        print("verifier: interrupted; the tasks finished so far were written", file=sys.stderr)
        return 130
    return EXIT[exit_verdict(finished).value]


def prepare_output(path: Path, option: str) -> None:
    """Before any expensive work: refuse a folder or a place that cannot be written (/sys, /proc, read-only), and
    remove the file an earlier run left at ``path``, so that a run which is refused, fails or is interrupted from
    here on leaves no result behind that could be read as its own."""
    if path.is_dir():
        raise InputError(f"{option} {path} is a folder; give a file path such as {path / 'result.json'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a"):
            pass
        path.unlink()
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}; choose a writable {option} path") from None


def write_output(path: Path, option: str, text: str) -> None:
    """``text`` written to a temporary file beside ``path``, then renamed to it: the file appears whole or not at all."""
    temporary = None
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".partial",
                                         delete=False) as handle:
            temporary = Path(handle.name)
            handle.write(text)
        from .report.build import current_umask

        os.chmod(temporary, 0o666 & ~current_umask())  # NamedTemporaryFile makes it private; an output is ordinary
        os.replace(temporary, path)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror or error}; choose a writable {option} path") from None
    finally:
        if temporary is not None and temporary.exists():
            temporary.unlink()


def framework_failures(results: Sequence[tuple[str, "TheoremResult"]]) -> list[str]:
    """The ids ('INSTANCE/ID' for a named instance) of the framework errors of ``results`` ((name, result) pairs;
    ``TheoremResult.framework_errors``)."""
    return [f"{name}/{claim_id}" if name else claim_id for name, result in results for claim_id in result.framework_errors]


def _exit_status(verdict: str, framework: Sequence[str]) -> int:
    """The exit status of a verdict, but EXIT_INTERNAL (with the reason on stderr) when a FRAMEWORK claim failed:
    that is a bug in the verifier, not a refutation of the theorem."""
    if framework:
        print(f"verifier: FRAMEWORK ERROR: {', '.join(framework)}: two computations of the verifier disagree; this is a "
              "bug in the verifier, not a verdict on the theorem", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT[verdict]


def _writable_folder(folder: Path) -> None:
    """Create ``folder`` and make sure it is writable, before any expensive work."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot write {folder}: {error.strerror}; choose a writable --out folder") from None
    if not os.access(folder, os.W_OK):
        raise InputError(f"cannot write {folder}: permission denied; choose a writable --out folder")


def suite_progress(progress: "Progress") -> Callable[[int, Any, str, Any], None]:
    """The callback of ``run_suite`` (called before each instance's check and, with its result, before its figures):
    the bar shows the step; an instance is one finished item when its check is, e.g.
    '[3/11] my-theorem-m2: PASS (certified) in 12.4 s'."""
    from .report import verdict_label

    def step(k: int, entry: Any, what: str, result: Any = None) -> None:
        if result is not None:
            progress.done(f"{entry.name}: {verdict_label(result)} in {result.wall_time_s:.1f} s")
        progress.status(f"{entry.name}: {what}")

    return step


def _report(out: Path, config: Optional[Path], quick: bool, argv: Sequence[str], replace: bool = False,
            progress: bool = True) -> int:
    """Read and check the suite, run it with progress on stderr (:func:`suite_progress`), write the report, print the
    summary."""
    from .claims import Verdict
    from .progress import Progress
    from .report import summary_line, verdict_label
    from .report.build import clear_earlier_report, default_name, run_suite, write_report
    from .report.suite import default_suite, read_suite

    if config is not None and quick:
        raise InputError("--quick selects the reduced default suite; it does not apply to --config FILE: drop one of them")
    suite = read_suite(config) if config is not None else default_suite(quick)
    _writable_folder(out)
    folder = out / default_name(suite, datetime.now(timezone.utc))
    if replace:  # before the run: a run that is refused, fails or is interrupted must not leave it to be read as its own
        clear_earlier_report(folder)
    started = time.perf_counter()
    command = shlex.join(["verifier", *argv])
    with Progress("report", len(suite.entries), enabled=progress) as bar:
        runs = run_suite(suite, command, suite_progress(bar))
        bar.status("writing the report")
        folder = write_report(runs, suite, folder, command, started, replace=replace)  # NAME-2, … if NAME exists
    results = [r.result for r in runs]
    for r in runs:
        print(f"{r.entry.name}: {verdict_label(r.result)} ({r.result.wall_time_s:.1f} s)")
    print(f"{summary_line(results)} -> {folder / 'index.html'}")
    return _exit_status(Verdict.combine(r.verdict for r in results).value,
                        framework_failures([(r.entry.name, r.result) for r in runs]))


if __name__ == "__main__":
    sys.exit(main())
