"""Tightness sweeps: for each ε, the constructed prefix length, the smallest one that still achieves ε,
and log–log fits; the checks run on Dask's distributed scheduler (an in-process LocalCluster or a
cluster by address).

For a theorem that declares a :class:`Sizing`, row(ε) is
  - the instance the theorem builds from ε (its prefix length N(ε), size, λ or κ, explicit bound), and
  - the smallest size s* that achieves ε, i.e. with claim(s) PASS: sizes 1, 2, 4, … until one passes (or s(ε) is
    reached; also when s(ε) itself stayed INCONCLUSIVE), then bisection, where every candidate is the theorem's
    own instance with the size option set (everything else re-derived) and is decided by the deciding claim alone (``Sizing.claim`` through the
    theorem's ``decide`` hook: that claim and what it rests on, certified where the theorem can; bisection
    assumes that achieving ε is monotone in the size; every size tried is listed). A candidate has three outcomes: PASS (proved to achieve
    ε), FAIL (refuted) and INCONCLUSIVE (undecided, e.g. the certified branch and bound ran out of cells), which
    is neither: the search keeps low < s* ≤ high with ``high`` the smallest proved size and ``low`` the largest
    refuted one below it, bisects the gaps next to both ends, and reports the undecided sizes between them.
    The smallest N reported is the smallest size proved to achieve ε; it is exact (``minimal_decided``) only
    when the size below it was refuted. That size is then checked in full (``minimal_full_check``: every claim,
    of which the proof's intermediate steps may fail below the constructed size while the deciding claim holds).
A candidate's evidence (and so the row's and its smallest N's) is that of its decision, the weakest of the claims its
verdict rests on (the deciding claim, the hypotheses and what the theorem's ``decide`` checks with it).
Fits: least squares of log N against log(1/ε), slope ± its standard error
√(Σr²/(k−2) / Σ(u−ū)²) (none for k = 2 points), next to the reference exponent of each curve; the smallest N
is fitted over the rows where it is exact; the paper's rate N_P2(ε) = N(ε_max)·(ε_max/ε)^(4m²+14m+10) has its
constant normalised at the largest ε.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import sympy

from .claims import Verdict
from .errors import InputError
from .theorem import Sizing, get


def sizing_of(theorem) -> Sizing:
    """The theorem's declared construction family; InputError if it declares none (``sizing`` None)."""
    sizing = theorem.sizing
    if sizing is None:
        raise InputError(f"theorem {theorem.name!r} does not declare a construction family (Sizing); it cannot be swept")
    return sizing


def _attempt(theorem_name: str, options: Mapping[str, Any], decide: bool = True) -> dict:
    """Run one instance: the deciding claim's verdict and the evidence of the run (the weakest of the claims its
    verdict rests on, ``verifier.run.verdict_evidence``), the run being the theorem's ``decide`` (the deciding claim
    and what it rests on) or, with ``decide`` false, its full check; InputError at this size: not built (not
    achieved). ``check_verdict`` is the run's own verdict (for a full check: every claim's)."""
    from .run import run  # run imports the registry; keep the module import light for workers

    sizing = sizing_of(get(theorem_name))
    try:
        result = run(theorem_name, options, decide=decide)
    except InputError as error:
        return {"verdict": NOT_BUILT, "reason": str(error).splitlines()[0][:200], "framework_errors": []}
    claim = {c.id: c for c in result.claims}[sizing.claim]
    # a FAIL while a hypothesis is not established refutes nothing (verifier.run): the size stays undecided
    verdict = Verdict.INCONCLUSIVE if claim.verdict is Verdict.FAIL and result.verdict is Verdict.INCONCLUSIVE else claim.verdict
    return {
        "verdict": verdict.value, "evidence": result.evidence.value, "framework_errors": result.framework_errors,
        "check_verdict": result.verdict.value, "sup_error": claim.value, "prefix_length": result.facts["prefix_length"], "size": result.facts[sizing.fact],
        "facts": result.facts,
    }


NOT_BUILT = "NOT BUILT"
REFUTED = (Verdict.FAIL.value, NOT_BUILT)  # a size that does not achieve ε (no instance of that size: none either)


@dataclass(frozen=True)
class Bracket:
    """What the sizes tried so far say about s*, the smallest size achieving ε (assumed monotone in the size):
    ``high`` the smallest size proved to achieve it (None: none), ``low`` the largest size below it refuted (0: none),
    ``undecided`` the sizes tried between them that stayed INCONCLUSIVE. Then low < s* ≤ high, and s* = high
    exactly when every size between them was tried and none is undecided."""

    low: int
    high: Optional[int]
    undecided: tuple[int, ...]

    @staticmethod
    def of(verdicts: Mapping[int, str]) -> "Bracket":
        proved = [s for s, v in verdicts.items() if v == Verdict.PASS.value]
        high = min(proved, default=None)
        below = [s for s in verdicts if high is None or s < high]
        low = max((s for s in below if verdicts[s] in REFUTED), default=0)
        undecided = tuple(sorted(s for s in below if s > low and verdicts[s] == Verdict.INCONCLUSIVE.value))
        return Bracket(low, high, undecided)

    def next_size(self) -> Optional[int]:
        """The next size to try: the midpoint of the untried gap just above ``low``, else of the one just below
        ``high`` (the edges of the undecided band; sizes inside the band are not tried); None when both gaps are
        closed."""
        if self.high is None:
            return None
        edges = [(self.low, self.undecided[0] if self.undecided else self.high)]
        if self.undecided:
            edges.append((self.undecided[-1], self.high))
        return next(((a + b) // 2 for a, b in edges if b - a > 1), None)

    @property
    def decided(self) -> bool:
        """True iff s* is known: ``high`` proved and ``high`` − 1 refuted (or ``high`` = 1)."""
        return self.high is not None and self.high - self.low == 1


def search_minimal(verdict_at: Callable[[int], str], size: int, verdict: str) -> Bracket:
    """The bracket of the smallest size achieving ε, from the constructed ``size`` and its ``verdict``:
    sizes 1, 2, 4, … below the constructed size until one is proved (the candidates stay small where the minimum is
    far below the constructed size, and the cost of a check grows with the size), then bisection of the gaps next to
    ``low`` and ``high``. The probes run when the constructed size is proved and also when it is INCONCLUSIVE (its
    branch and bound ran out of cells, which happens first at the largest sizes: a smaller size may still be proved);
    a refuted constructed size is not searched below (achieving ε is assumed monotone in the size). An INCONCLUSIVE
    size is neither achieved nor refuted: it moves neither end of the bracket and is reported as undecided.
    ``verdict_at(s)`` is called once per size tried."""
    verdicts = {size: verdict}
    if verdict in (Verdict.PASS.value, Verdict.INCONCLUSIVE.value):
        probe = 1
        while probe < size:
            verdicts[probe] = verdict_at(probe)
            if verdicts[probe] == Verdict.PASS.value:
                break
            probe *= 2
    bracket = Bracket.of(verdicts)
    while (candidate := bracket.next_size()) is not None:
        verdicts[candidate] = verdict_at(candidate)
        bracket = Bracket.of(verdicts)
    return bracket


def sweep_row(theorem_name: str, options: Mapping[str, Any], eps: str) -> tuple[dict, float]:
    """One row (plain data, the same on any worker) and its wall time: the constructed instance at ε, then the
    search for the smallest size achieving ε (:func:`search_minimal`), each size decided by the deciding claim alone
    (``tried``: its verdict and evidence per size). ``minimal_*`` is the smallest size proved to achieve ε;
    ``undecided_sizes`` are the sizes below it that stayed INCONCLUSIVE (the smallest achieving size is then somewhere
    above ``largest_refuted_size``, up to ``minimal_size``), and ``minimal_decided`` says whether the minimum is exact:
    proved there and refuted one size below. ``minimal_full_check`` is the full check at the smallest proved size (its
    verdict over every claim, evidence, and the deciding claim's verdict there; None without one)."""
    start = time.perf_counter()
    sizing = sizing_of(get(theorem_name))
    base = _attempt(theorem_name, {**options, "eps": eps})
    if base["verdict"] == NOT_BUILT:
        raise InputError(f"ε = {eps}: {base['reason']}")
    tried = {base["size"]: base}

    def verdict_at(size: int) -> str:
        tried[size] = _attempt(theorem_name, {**options, "eps": eps, sizing.option: size})
        return tried[size]["verdict"]

    bracket = search_minimal(verdict_at, base["size"], base["verdict"])
    best = tried[bracket.high] if bracket.high is not None else {}
    full = _attempt(theorem_name, {**options, "eps": eps, sizing.option: bracket.high}, decide=False) if best else None
    refuted = tried.get(bracket.low, {})
    facts = base["facts"]
    errors = [(f"size {s}", a) for s, a in sorted(tried.items())] + ([(f"full check at size {bracket.high}", full)] if full else [])
    return {
        "eps": float(sympy.Rational(eps)), "eps_exact": str(sympy.Rational(eps)),
        "prefix_length": base["prefix_length"], "size": base["size"], "temperature": facts[sizing.temperature],
        "bound": facts.get("prefix_length_bound", base["prefix_length"]),
        "sup_error": base["sup_error"], "verdict": base["verdict"], "evidence": base["evidence"],
        "deciding_claim": sizing.claim,
        "minimal_prefix_length": best.get("prefix_length"), "minimal_size": best.get("size"),
        "minimal_sup_error": best.get("sup_error"), "minimal_evidence": best.get("evidence"),
        "minimal_decided": bracket.decided,
        "minimal_full_check": full and {"verdict": full["check_verdict"], "evidence": full["evidence"],
                                        "claim_verdict": full["verdict"], "sup_error": full.get("sup_error")},
        "largest_refuted_size": bracket.low or None, "largest_refuted_prefix_length": refuted.get("prefix_length"),
        "undecided_sizes": list(bracket.undecided),
        "undecided_prefix_lengths": [tried[s]["prefix_length"] for s in bracket.undecided],
        "framework_errors": sorted({f"{where}: {claim_id}" for where, a in errors for claim_id in a["framework_errors"]}),
        "tried": [{"size": s, "prefix_length": a.get("prefix_length"), "verdict": a["verdict"],
                   "evidence": a.get("evidence"), "sup_error": a.get("sup_error")} for s, a in sorted(tried.items())],
    }, time.perf_counter() - start


def describe_row(row: Mapping[str, Any], seconds: float) -> str:
    """A finished row in one line: 'ε = 1/10: N = 20, smallest N 12, PASS (certified) in 12.4 s'."""
    return (f"ε = {row['eps_exact']}: N = {row['prefix_length']}, smallest N {describe_minimal(row)}, "
            f"{row['verdict']} ({row['evidence']}) in {seconds:.1f} s")


def describe_minimal(row: Mapping[str, Any]) -> str:
    """The row's smallest N for a table: '20', '32 (24, 28 undecided)', or '— (60 undecided)'."""
    undecided = row.get("undecided_prefix_lengths") or []
    proved = row["minimal_prefix_length"] or "—"
    return f"{proved} ({', '.join(map(str, undecided))} undecided)" if undecided else str(proved)


def loglog_fit(eps: Sequence[float], lengths: Sequence[float]) -> dict:
    """Slope of log N against log(1/ε) by least squares, with its standard error (None below 3 points)."""
    pairs = [(math.log(1 / e), math.log(n)) for e, n in zip(eps, lengths) if n]
    k = len(pairs)
    if k < 2:
        return {"slope": None, "stderr": None, "points": k}
    ubar = sum(u for u, _ in pairs) / k
    vbar = sum(v for _, v in pairs) / k
    sxx = sum((u - ubar) ** 2 for u, _ in pairs)
    slope = sum((u - ubar) * (v - vbar) for u, v in pairs) / sxx
    residual = sum((v - vbar - slope * (u - ubar)) ** 2 for u, v in pairs)
    stderr = math.sqrt(residual / (k - 2) / sxx) if k > 2 else None
    return {"slope": slope, "stderr": stderr, "points": k}


def paper_rate(rows: Sequence[dict], exponent: float) -> list[float]:
    """N_paper(ε) = N(ε_max)·(ε_max/ε)^e: the paper's rate (``Sizing.paper_exponent``) with its constant fixed at the
    largest ε."""
    top = max(rows, key=lambda r: r["eps"])
    return [top["prefix_length"] * (top["eps"] / r["eps"]) ** exponent for r in rows]


def fits(rows: Sequence[dict], m: int, sizing: Sizing) -> dict:
    eps = [r["eps"] for r in rows]
    out = {
        "prefix_length": {**loglog_fit(eps, [r["prefix_length"] for r in rows]),
                          "reference_exponent": float(sizing.construction_exponent(m)), "reference": "the theorem's rate"},
        "minimal_prefix_length": {**loglog_fit(eps, [r["minimal_prefix_length"] if r["minimal_decided"] else None
                                                     for r in rows]),
                                  "reference_exponent": float(sizing.exponent(m)), "reference": sizing.exponent_label},
    }
    if sizing.paper_exponent is not None:
        exponent = sizing.paper_exponent(m)
        out["paper_rate"] = {**loglog_fit(eps, paper_rate(rows, exponent)), "reference_exponent": float(exponent),
                             "reference": sizing.paper_exponent_label}
    return out


def parse_eps_list(text: str) -> list[str]:
    """'0.2,0.1,0.05' → ['0.2', '0.1', '0.05'] (each read exactly later); distinct positive numbers."""
    from .inputs import parse_number

    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise InputError("--eps needs a comma-separated list, e.g. --eps 0.2,0.1,0.05")
    values = [parse_number(t, "--eps") for t in items]
    if len(set(values)) != len(values):
        raise InputError(f"--eps lists a value twice: {text}; give distinct values")
    return [items[i] for i in sorted(range(len(items)), key=lambda i: -values[i])]


@dataclass
class SweepResult:
    theorem: str
    dim: int
    options: dict
    eps: list
    rows: list
    fits: dict
    complete: bool
    workers: str
    wall_time_s: float
    row_wall_times: dict  # ε → seconds (kept out of the rows, which must not depend on where they ran)
    command: Optional[str] = None

    def to_json(self) -> dict:
        from .run import environment

        return {"theorem": self.theorem, "dim": self.dim, "options": self.options, "eps": self.eps, "rows": self.rows,
                "fits": self.fits, "complete": self.complete, "workers": self.workers, "command": self.command,
                "environment": environment(), "wall_time_s": round(self.wall_time_s, 3),
                "row_wall_times_s": {k: round(v, 3) for k, v in self.row_wall_times.items()}}


def check_sweep_options(theorem_name: str, options: Mapping[str, Any], eps: Sequence[str]) -> tuple[int, Sizing]:
    """Validate every instance's options before any work: bad input fails here (exit 2), not on a worker."""
    theorem = get(theorem_name)
    sizing = sizing_of(theorem)
    if "eps" in options or sizing.option in options:
        raise InputError(f"the sweep sets --eps and --{sizing.option} itself; do not pass them as theorem options")
    for e in eps:
        params = theorem.parameters(**options, eps=e)
    return params.to_json()["dim"], sizing


CONNECT_SECONDS = 5


def connect(scheduler: str):
    """A Dask client of the scheduler at ``scheduler``, or InputError naming the address and the fix (within
    CONNECT_SECONDS): an address that is malformed, that nothing answers, or where something other than a Dask
    scheduler answers (which can fail in any way while the handshake is read) is bad input, found before any work."""
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=CONNECT_SECONDS)
    except Exception as error:  # noqa: BLE001 - every failure to connect is about the address the user gave
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise InputError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler there ({reason}); start one "
                         "(`dask scheduler` prints its address) and give that address, or omit --scheduler to run "
                         "on a local cluster of --workers processes") from None


@contextmanager
def dask_client(workers: int, scheduler: Optional[str]):
    """``with dask_client(workers, scheduler) as (client, where)``: a client of the scheduler at ``scheduler``
    (:func:`connect`), else of a new in-process LocalCluster of ``workers`` single-threaded worker processes; ``where``
    says which, for the log. Client and cluster are closed on leaving."""
    cluster = None
    if scheduler:
        client, where = connect(scheduler), f"scheduler {scheduler}"
    else:
        import logging

        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR)
        client, where = Client(cluster), f"LocalCluster of {workers} worker(s)"
    try:
        yield client, where
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def collect(client, futures: Sequence, title: str, progress: bool, finished: Callable[[Any, Any], str],
            status: Optional[Callable[[], str]] = None) -> bool:
    """Each future's result as it finishes, handed to ``finished(future, result)``, which returns its progress line
    (:mod:`verifier.progress`: a live bar on a terminal, else one line per finished future; ``status()`` the bar's
    text meanwhile). Ctrl-C cancels the outstanding futures. True iff every future finished."""
    from dask.distributed import as_completed

    from .progress import Progress

    try:
        with Progress(title, len(futures), enabled=progress) as bar:
            for future in as_completed(list(futures)):
                bar.done(finished(future, future.result()))
                if status is not None:
                    bar.status(status())
        return True
    except KeyboardInterrupt:
        client.cancel(list(futures))
        return False


def run_sweep(theorem_name: str, options: Mapping[str, Any], eps: Sequence[str], workers: int = 1,
              scheduler: Optional[str] = None, progress: bool = True, command: Optional[str] = None) -> SweepResult:
    """Run the rows on Dask (``scheduler`` address, else a LocalCluster of ``workers`` processes).

    Ctrl-C cancels the outstanding futures and returns the rows finished so far (``complete`` false). Progress
    (``progress``) on stderr: a live bar on a terminal, else one line per finished row (:mod:`verifier.progress`)."""
    start = time.perf_counter()
    dim, sizing = check_sweep_options(theorem_name, options, eps)
    rows: dict[str, dict] = {}
    times: dict[str, float] = {}

    def finished(future, result) -> str:
        row, seconds = result
        rows[row["eps_exact"]], times[row["eps_exact"]] = row, seconds
        return describe_row(row, seconds)

    with dask_client(workers, scheduler) as (client, where):
        futures = [client.submit(sweep_row, theorem_name, dict(options), e, pure=False,
                                 key=f"sweep-{theorem_name}-{e}-{time.time_ns()}") for e in eps]
        complete = collect(client, futures, f"sweep {theorem_name} m={dim}", progress, finished,
                           lambda: f"{sum(1 for f in futures if f.status == 'pending')} rows running/queued")
    ordered = sorted(rows.values(), key=lambda r: -r["eps"])
    return SweepResult(theorem_name, dim, dict(options), list(eps), ordered, fits(ordered, dim, sizing) if ordered else {},
                       complete, where, time.perf_counter() - start, times, command)


def plot(result: SweepResult, path) -> list:
    """Log–log plot of N against 1/ε: constructed, minimal, the paper's rate, reference slopes. PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pathlib import Path

    rows = result.rows
    x = [1 / r["eps"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.loglog(x, [r["prefix_length"] for r in rows], "o-", label="constructed N(ε)")
    minimal = [(xi, r["minimal_prefix_length"]) for xi, r in zip(x, rows) if r["minimal_prefix_length"]]
    if minimal:
        ax.loglog(*zip(*minimal), "s-", label="smallest N proved to achieve ε")
    open_rows = [(xi, r["minimal_prefix_length"]) for xi, r in zip(x, rows) if r["minimal_prefix_length"]
                 and not r["minimal_decided"]]
    if open_rows:
        ax.loglog(*zip(*open_rows), "s", mfc="white", color="C1",
                  label="smaller sizes undecided (INCONCLUSIVE): an upper bound only")
    paper = result.fits.get("paper_rate")
    if len(rows) > 1 and paper:
        e = paper["reference_exponent"]
        ax.loglog(x, paper_rate(rows, e), "k--", label=f"paper's rate ε^−{e:g} (normalised)")
        for name, style in (("prefix_length", ":"), ("minimal_prefix_length", "-.")):
            fit = result.fits.get(name, {})
            anchor = rows[0]["prefix_length"] if name == "prefix_length" else (minimal[0][1] if minimal else None)
            if anchor:
                e = fit["reference_exponent"]
                ax.loglog(x, [anchor * (xi / x[0]) ** e for xi in x], "C7" + style, lw=1, label=f"slope {e:g} ({fit['reference']})")
        top = max(max(r["prefix_length"] for r in rows), max((n for _, n in minimal), default=1))
        ax.set_ylim(min(n for _, n in minimal) / 2 if minimal else 1, top * 20)
    ax.set_xlabel("1/ε")
    ax.set_ylabel("prefix length N")
    ax.set_title(f"{result.theorem}, m = {result.dim}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    base = Path(path)
    written = []
    for suffix in (".png", ".svg"):
        out = base.with_suffix(suffix)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=120)
        written.append(out)
    plt.close(fig)
    return written
