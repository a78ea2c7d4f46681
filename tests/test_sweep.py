"""The tightness sweep: fits, the ε list, bisection, plots; 1 and 2 Dask workers give the same JSON;
Ctrl-C leaves the partial result written."""
import json
import re
from typing import Optional

import numpy as np
import pytest

from verifier import cli, sweep
from verifier.errors import InputError

SMALL = ["sweep", "single-head", "--dim", "1", "--eps", "0.4,0.35", "--points", "200", "--evidence", "sampled", "--no-progress"]


def test_loglog_fit_recovers_a_power_law_and_its_stderr():
    eps = [0.2, 0.1, 0.05, 0.02]
    exact = sweep.loglog_fit(eps, [7 * e ** -1.5 for e in eps])
    assert exact["slope"] == pytest.approx(1.5, abs=1e-12) and exact["stderr"] == pytest.approx(0, abs=1e-12)
    noisy = [7 * e ** -1.5 * f for e, f in zip(eps, (1.1, 0.9, 1.05, 1.0))]
    fit = sweep.loglog_fit(eps, noisy)
    (slope, _), cov = np.polyfit(np.log(1 / np.array(eps)), np.log(noisy), 1, cov="unscaled")
    residual = np.log(noisy) - np.polyval([slope, _], np.log(1 / np.array(eps)))
    assert fit["slope"] == pytest.approx(slope)
    assert fit["stderr"] == pytest.approx(np.sqrt(cov[0, 0] * residual @ residual / 2))
    assert sweep.loglog_fit(eps[:2], noisy[:2])["stderr"] is None


def test_paper_rate_is_normalised_at_the_largest_eps():
    rows = [{"eps": 0.2, "prefix_length": 60}, {"eps": 0.1, "prefix_length": 120}]
    assert sweep.paper_rate(rows, 28) == [60, pytest.approx(60 * 2**28)]  # 28 = 4m²+14m+10 at m = 1


def test_the_paper_rate_is_fitted_only_for_a_theorem_that_declares_it():
    from verifier.theorem import Sizing

    rows = [{"eps": 0.2, "prefix_length": 60, "minimal_prefix_length": 30, "minimal_decided": True},
            {"eps": 0.1, "prefix_length": 120, "minimal_prefix_length": 50, "minimal_decided": True}]
    plain = Sizing(option="size", fact="size", claim="X.sup", exponent=lambda m: m, exponent_label="m", temperature="t")
    assert set(sweep.fits(rows, 1, plain)) == {"prefix_length", "minimal_prefix_length"}
    declared = Sizing(option="size", fact="size", claim="X.sup", exponent=lambda m: m, exponent_label="m", temperature="t",
                      paper_exponent=lambda m: 3 * m, paper_exponent_label="three m")
    fit = sweep.fits(rows, 2, declared)["paper_rate"]
    assert fit["reference_exponent"] == 6 and fit["reference"] == "three m" and fit["slope"] == pytest.approx(6)


@pytest.mark.parametrize("text, message", [("", "comma-separated"), ("0.2,0.2", "twice"), ("0.2,-1", "> 0"), ("a", "cannot read")])
def test_eps_list_errors(text, message):
    with pytest.raises(InputError, match=message):
        sweep.parse_eps_list(text)


def test_eps_list_is_sorted_largest_first():
    assert sweep.parse_eps_list("0.05, 0.2,1/10") == ["0.2", "1/10", "0.05"]


def test_the_size_option_is_the_sweeps_own(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["sweep", "single-head", "--eps", "0.2", "--grid", "4"])
    assert stop.value.code == 2 and "unrecognized arguments: --grid" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["sweep", "single-head", "--eps", "0.2,0.3", "--dim", "0"], "--dim must be ≥ 1"),
    (["sweep", "single-head", "--eps", "0.2", "--workers", "0"], "--workers must be ≥ 1"),
    (["sweep", "single-head", "--eps", "0.2,9"], "(0, 4L]"),
])
def test_bad_sweep_input_exits_2_before_any_cluster(args, message, capsys):
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def _rows_and_fits(path):
    data = json.loads(path.read_text())
    return data, {"rows": data["rows"], "fits": data["fits"]}


def _check_rows_and_fits(data, eps=(0.4, 0.35)):
    assert data["complete"] and [r["eps"] for r in data["rows"]] == list(eps)
    for row in data["rows"]:
        assert {"eps", "prefix_length", "minimal_prefix_length", "bound", "sup_error", "evidence"} <= set(row)
        # bisection: the minimal size achieves ε and the size below it is refuted
        tried = {t["size"]: t["verdict"] for t in row["tried"]}
        assert tried[row["minimal_size"]] == "PASS" and row["minimal_prefix_length"] <= row["prefix_length"]
        assert row["minimal_decided"] and row["undecided_sizes"] == []
        assert row["minimal_size"] == 1 or tried[row["minimal_size"] - 1] == "FAIL"
    assert {"slope", "stderr", "reference_exponent"} <= set(data["fits"]["minimal_prefix_length"])


def test_a_row_on_a_running_scheduler_is_the_row_computed_here(tmp_path):
    """The fast twin of the next test (slow: it starts three worker processes): where a row runs does not change it.
    One row (ε = 0.4, whose bisection tries a size that fails) swept on a running scheduler (--scheduler; an in-process
    cluster of one single-threaded worker, so no process starts) is the row sweep_row computes in this process."""
    import logging

    from dask.distributed import LocalCluster

    path = tmp_path / "s.json"
    one_row = [*SMALL[:SMALL.index("--eps") + 1], "0.4", *SMALL[SMALL.index("--eps") + 2:]]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        assert cli.main([*one_row, "--scheduler", cluster.scheduler_address, "--json", str(path), "--plot",
                         str(tmp_path / "plot")]) == 0
    data = json.loads(path.read_text())
    _check_rows_and_fits(data, eps=(0.4,))
    row, _ = sweep.sweep_row("single-head", {"dim": 1, "points": "200", "evidence": "sampled"}, "0.4")  # SMALL's options
    assert data["rows"] == [json.loads(json.dumps(row))] and row["minimal_size"] > 1
    assert (tmp_path / "plot.png").stat().st_size > 0 and (tmp_path / "plot.svg").stat().st_size > 0


@pytest.mark.slow
def test_one_and_two_workers_give_the_same_json(tmp_path):
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert cli.main([*SMALL, "--workers", "1", "--json", str(one), "--plot", str(tmp_path / "plot")]) == 0
    assert cli.main([*SMALL, "--workers", "2", "--json", str(two)]) == 0
    data, first = _rows_and_fits(one)
    assert first == _rows_and_fits(two)[1]
    _check_rows_and_fits(data)
    assert (tmp_path / "plot.png").stat().st_size > 0 and (tmp_path / "plot.svg").stat().st_size > 0


def test_interrupt_leaves_the_partial_result(tmp_path, monkeypatch, capsys):
    import dask.distributed

    real = dask.distributed.as_completed

    def interrupted(futures):
        for i, future in enumerate(real(futures)):
            if i == 1:
                raise KeyboardInterrupt
            yield future

    monkeypatch.setattr(dask.distributed, "as_completed", interrupted)
    path = tmp_path / "partial.json"
    assert cli.main([*SMALL, "--workers", "1", "--json", str(path)]) == 130
    data = json.loads(path.read_text())
    assert data["complete"] is False and len(data["rows"]) == 1
    assert "interrupted" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# INCONCLUSIVE is not "does not achieve ε". The pattern below is the one `verifier sweep single-head --dim 1 --eps 0.2
# --cert-cells 300` gave (test_an_inconclusive_size_is_not_a_failure_on_the_real_sweep): the constructed grid 15
# passes, 1, 2, 4 are refuted, 6 and 7 ran out of cells, 8 passes; whether 5 (N = 20) passes decides the minimum.
REFUTED_UP_TO, BASE = 4, 15


def fake_attempts(monkeypatch, verdict_of, full_checks: Optional[list] = None) -> list:
    """sweep._attempt replaced by ``verdict_of(size)`` (the constructed size: BASE); returns the sizes decided, in
    order (the full checks, ``decide=False``, are appended to ``full_checks``: a FAIL over every claim, as below the
    constructed size where the proof's steps fail). The records also carry the old ``achieved`` key, so that the same
    test runs against the old sweep_row."""
    from verifier.theorem import get

    calls, sizing = [], sweep.sizing_of(get("single-head"))
    full_checks = [] if full_checks is None else full_checks

    def attempt(theorem_name, options, decide=True):
        size = int(options.get(sizing.option, BASE))
        (calls if decide else full_checks).append(size)
        verdict = verdict_of(size)
        return {"achieved": verdict == "PASS", "verdict": verdict, "evidence": "certified" if decide else "sampled",
                "check_verdict": verdict if decide else "FAIL", "sup_error": 1 / size, "prefix_length": 4 * size,
                "size": size, "facts": {sizing.temperature: 1.0}, "framework_errors": [] if decide else ["F.two-paths"]}

    monkeypatch.setattr(sweep, "_attempt", attempt)
    return calls


def pattern(five: str):
    return lambda s: "FAIL" if s <= REFUTED_UP_TO else five if s == 5 else "INCONCLUSIVE" if s in (6, 7) else "PASS"


def test_a_size_proved_below_inconclusive_ones_is_the_minimum(monkeypatch):
    """Old sweeps counted 6 and 7 as failures, never tried 5 and reported 8 (N = 32)."""
    calls = fake_attempts(monkeypatch, pattern("PASS"))
    row, _ = sweep.sweep_row("single-head", {"dim": 1}, "0.2")
    assert (row["minimal_size"], row["minimal_prefix_length"]) == (5, 20)
    assert row["minimal_decided"]
    assert row["largest_refuted_size"] == 4 and row["undecided_sizes"] == [] and len(calls) == len(set(calls))
    assert sweep.describe_minimal(row) == "20"


def test_candidates_are_decided_by_the_deciding_claim_and_the_answer_is_checked_in_full(monkeypatch):
    """Every size tried is decided (the theorem's decide hook), once; the smallest proved size alone is then checked
    in full, and the row records both: the decisions per size and the full check's verdict, evidence and the deciding
    claim's verdict there; a framework error of the full check is carried (the CLI exits 4)."""
    full = []
    calls = fake_attempts(monkeypatch, pattern("PASS"), full)
    row, _ = sweep.sweep_row("single-head", {"dim": 1}, "0.2")
    assert full == [row["minimal_size"]] == [5] and len(calls) == len(set(calls)) and 5 in calls
    assert row["deciding_claim"] == "E1.step5.sup"
    assert row["minimal_full_check"] == {"verdict": "FAIL", "evidence": "sampled", "claim_verdict": "PASS", "sup_error": 0.2}
    assert row["minimal_evidence"] == "certified" and {t["evidence"] for t in row["tried"]} == {"certified"}
    assert row["framework_errors"] == ["full check at size 5: F.two-paths"]


def test_no_full_check_without_a_proved_size(monkeypatch):
    full = []
    fake_attempts(monkeypatch, lambda s: "INCONCLUSIVE", full)
    row, _ = sweep.sweep_row("single-head", {"dim": 1}, "0.2")
    assert full == [] and row["minimal_full_check"] is None and row["framework_errors"] == []


def test_undecided_sizes_are_reported_and_not_counted_as_failures(monkeypatch):
    fake_attempts(monkeypatch, pattern("INCONCLUSIVE"))
    row, _ = sweep.sweep_row("single-head", {"dim": 1}, "0.2")
    assert (row["minimal_size"], row["minimal_decided"], row["largest_refuted_size"]) == (8, False, 4)
    assert row["undecided_sizes"] == [5, 6, 7] and row["undecided_prefix_lengths"] == [20, 24, 28]
    assert {t["size"]: t["verdict"] for t in row["tried"]} == {
        1: "FAIL", 2: "FAIL", 4: "FAIL", 5: "INCONCLUSIVE", 6: "INCONCLUSIVE", 7: "INCONCLUSIVE", 8: "PASS", 15: "PASS"}
    assert sweep.describe_minimal(row) == "32 (20, 24, 28 undecided)"


def test_undecided_minima_are_left_out_of_the_fit():
    from verifier.theorem import Sizing

    plain = Sizing(option="size", fact="size", claim="X.sup", exponent=lambda m: m, exponent_label="m", temperature="t")
    rows = [{"eps": e, "prefix_length": 9 / e, "minimal_prefix_length": n, "minimal_decided": decided}
            for e, n, decided in ((0.2, 10, True), (0.1, 20, True), (0.05, 400, False), (0.02, 100, True))]
    fit = sweep.fits(rows, 1, plain)["minimal_prefix_length"]
    assert fit["points"] == 3 and fit["slope"] == pytest.approx(1)


def test_a_refuted_constructed_size_is_not_searched_below(monkeypatch):
    calls = fake_attempts(monkeypatch, lambda s: "FAIL")
    row, _ = sweep.sweep_row("single-head", {"dim": 1}, "0.2")
    assert calls == [BASE] and not row["minimal_decided"] and sweep.describe_minimal(row) == "—"
    assert (row["minimal_size"], row["undecided_sizes"], row["largest_refuted_size"]) == (None, [], BASE)


def test_an_inconclusive_constructed_size_is_probed_below_and_stays_undecided(monkeypatch):
    """Nothing proved anywhere: sizes 1, 2, 4, 8 below the constructed 15 are tried once each and, with it, listed as
    undecided; no smallest size, no full check."""
    full = []
    calls = fake_attempts(monkeypatch, lambda s: "INCONCLUSIVE", full)
    row, _ = sweep.sweep_row("single-head", {"dim": 1}, "0.2")
    assert calls == [BASE, 1, 2, 4, 8] and full == [] and not row["minimal_decided"]
    assert (row["minimal_size"], row["undecided_sizes"], row["largest_refuted_size"]) == (None, [1, 2, 4, 8, BASE], None)
    assert sweep.describe_minimal(row) == "— (4, 8, 16, 32, 60 undecided)"


def test_a_size_proved_below_an_inconclusive_constructed_size_is_found(monkeypatch):
    """The constructed size ran out of cells (as the largest sizes do first), the smaller ones did not: the search
    probes 1, 2, 4, 8 anyway and bisects to the exact minimum 5, which is then checked in full."""
    full = []
    fake_attempts(monkeypatch, lambda s: "INCONCLUSIVE" if s == BASE else "FAIL" if s <= REFUTED_UP_TO else "PASS", full)
    row, _ = sweep.sweep_row("single-head", {"dim": 1}, "0.2")
    assert (row["minimal_size"], row["minimal_decided"], row["largest_refuted_size"]) == (5, True, 4)
    assert row["verdict"] == "INCONCLUSIVE" and row["undecided_sizes"] == [] and full == [5]


@pytest.mark.parametrize("truth", range(1, 38))  # the constructed size 40 stays above the band, so it is proved
def test_the_search_brackets_the_minimum_in_logarithmically_many_checks(truth):
    """Monotone verdicts with a band of INCONCLUSIVE sizes [truth − 3, truth + 2]: the bracket holds the true
    minimum, its ends are a refuted and a proved size, and at most 2·log2(size) + 2 sizes are tried (once each)."""
    size, calls = 40, []

    def verdict_at(s):
        calls.append(s)
        return "INCONCLUSIVE" if truth - 3 <= s <= truth + 2 else "PASS" if s >= truth else "FAIL"

    bracket = sweep.search_minimal(verdict_at, size, verdict_at(size))
    assert bracket.low < truth <= bracket.high and len(calls) == len(set(calls)) <= 2 * 6 + 2
    assert all(verdict_at(s) == "INCONCLUSIVE" for s in bracket.undecided)
    assert bracket.high == min(truth + 3, size) and bracket.low == max(truth - 4, 0)
    assert bracket.decided == (bracket.high - bracket.low == 1)


def test_a_rows_evidence_is_the_whole_checks_not_the_deciding_claims(monkeypatch):
    """The claimed L = 1 equals sin(2·x0)/2's true constant, so H.lipschitz stays sampled while the deciding claim
    E1.step5.sup is certified: the candidate (and so the row) is sampled evidence."""
    import verifier.run

    results, real = [], verifier.run.run
    monkeypatch.setattr(verifier.run, "run", lambda *a, **k: results.append(real(*a, **k)) or results[-1])
    options = {"dim": 1, "eps": "0.2", "target": "sin(2*x0)/2", "lipschitz": "1", "bound": "1", "points": "300"}
    attempt = sweep._attempt("single-head", options)
    claims = {c.id: c for c in results[0].claims}
    assert claims["E1.step5.sup"].evidence.value == "certified" and claims["H.lipschitz"].evidence.value == "sampled"
    assert attempt["verdict"] == "PASS" and attempt["evidence"] == "sampled"


@pytest.mark.slow
def test_an_inconclusive_size_is_not_a_failure_on_the_real_sweep():
    """`verifier sweep single-head --dim 1 --eps 0.2` with a small cell budget: old sweeps reported N = 32 as the
    smallest N (certified) while N = 20 achieves ε (sampled sup 0.18 < 0.2). Now every size below the reported one
    is refuted or listed as undecided, so N = 20 is either the minimum or undecided (measured: 20, 24, 28 undecided,
    32 the smallest proved, its whole check sampled evidence)."""
    row, _ = sweep.sweep_row("single-head", {"dim": 1, "cert_cells": "300"}, "0.2")
    tried = {t["size"]: t["verdict"] for t in row["tried"]}
    assert tried[row["minimal_size"]] == "PASS"
    assert all(v == "FAIL" or s in row["undecided_sizes"] for s, v in tried.items() if s < row["minimal_size"])
    assert row["minimal_prefix_length"] == 20 or 20 in row["undecided_prefix_lengths"]
    assert row["minimal_decided"] == (tried.get(row["minimal_size"] - 1) == "FAIL" and not row["undecided_sizes"])


def test_an_unreachable_scheduler_is_bad_input_naming_the_address_and_the_fix(monkeypatch, capsys):
    import time

    monkeypatch.setattr(sweep, "sweep_row", lambda *a: pytest.fail("work started before the scheduler answered"))
    start = time.perf_counter()
    assert cli.main(["sweep", "single-head", "--dim", "1", "--eps", "0.2", "--scheduler", "tcp://127.0.0.1:1",
                     "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:1: cannot connect" in err and "omit --scheduler" in err
    assert time.perf_counter() - start < sweep.CONNECT_SECONDS + 20


@pytest.mark.parametrize("address", ["notanaddress", "udp://somewhere:1"])
def test_a_malformed_scheduler_address_is_bad_input(address, capsys):
    assert cli.main(["sweep", "single-head", "--eps", "0.2", "--scheduler", address, "--no-progress"]) == 2
    assert f"--scheduler {address}: cannot connect" in capsys.readouterr().err


def test_the_plot_marks_undecided_minima_as_upper_bounds(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", figures.append)
    rows = [{"eps": e, "prefix_length": 3 * n, "minimal_prefix_length": n, "minimal_decided": decided}
            for e, n, decided in ((0.2, 20, True), (0.1, 40, False))]
    result = sweep.SweepResult("single-head", 1, {}, ["0.2", "0.1"], rows, {}, True, "here", 0.0, {})
    assert [p.suffix for p in sweep.plot(result, tmp_path / "plot")] == [".png", ".svg"]
    labels = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
    assert labels == ["constructed N(ε)", "smallest N proved to achieve ε",
                      "smaller sizes undecided (INCONCLUSIVE): an upper bound only"]


def test_a_candidate_failing_under_unproven_hypotheses_is_undecided_and_framework_errors_are_carried(monkeypatch):
    """A FAIL while a hypothesis is not established refutes nothing (the run is INCONCLUSIVE): the size is undecided,
    not 'does not achieve ε'; a failed FRAMEWORK claim of a FAIL run is carried in the attempt (the CLI exits 4)."""
    import dataclasses

    import verifier.run
    from verifier.claims import Verdict

    real = verifier.run.run(
        "single-head", {"dim": 1, "eps": "0.2", "target": "sin(2*x0)/2", "lipschitz": "1", "bound": "1", "points": "300"})

    def with_failed(claim_id: str, verdict: Verdict):
        claims = tuple(dataclasses.replace(c, verdict=Verdict.FAIL) if c.id == claim_id else c for c in real.claims)
        return lambda *a, **k: dataclasses.replace(real, claims=claims, verdict=verdict)

    monkeypatch.setattr(verifier.run, "run", with_failed("E1.step5.sup", Verdict.INCONCLUSIVE))
    attempt = sweep._attempt("single-head", {})
    assert attempt["verdict"] == "INCONCLUSIVE" and attempt["framework_errors"] == []
    monkeypatch.setattr(verifier.run, "run", with_failed("E1.step5.sup", Verdict.FAIL))
    assert sweep._attempt("single-head", {})["verdict"] == "FAIL"  # the control: hypotheses established
    monkeypatch.setattr(verifier.run, "run", with_failed("F.two-paths", Verdict.FAIL))
    assert sweep._attempt("single-head", {})["framework_errors"] == ["F.two-paths"]


def test_a_sweep_not_on_a_terminal_prints_one_line_per_finished_row(capsys):
    """Progress goes to stderr (stdout stays the table), as a plain line per row when stderr is not a terminal (CI);
    --no-progress silences it. One sampled row on an in-process scheduler, so no worker process starts."""
    import logging

    from dask.distributed import LocalCluster

    one_row = [a for a in SMALL if a != "--no-progress"]
    one_row[one_row.index("--eps") + 1] = "0.4"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        assert cli.main([*one_row, "--scheduler", cluster.scheduler_address]) == 0
        captured = capsys.readouterr()
        (line,) = [line for line in captured.err.splitlines() if line.startswith("[")]
        assert re.fullmatch(r"\[1/1\] ε = 2/5: N = \d+, smallest N \d+, PASS \(sampled\) in [\d.]+ s", line), line
        assert "[1/1]" not in captured.out and captured.out.startswith("sweep single-head m=1")
        assert cli.main([*one_row, "--scheduler", cluster.scheduler_address, "--no-progress"]) == 0
        assert "[1/1]" not in capsys.readouterr().err
