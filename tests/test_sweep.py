"""The tightness sweep: fits, the ε list, bisection, plots; 1 and 2 Dask workers give the same JSON;
Ctrl-C leaves the partial result written."""
import json

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

    rows = [{"eps": 0.2, "prefix_length": 60, "minimal_prefix_length": 30}, {"eps": 0.1, "prefix_length": 120, "minimal_prefix_length": 50}]
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
        # bisection: the minimal size achieves ε and the size below it does not
        tried = {t["size"]: t["verdict"] for t in row["tried"]}
        assert tried[row["minimal_size"]] == "PASS" and row["minimal_prefix_length"] <= row["prefix_length"]
        assert row["minimal_size"] == 1 or tried[row["minimal_size"] - 1] != "PASS"
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
