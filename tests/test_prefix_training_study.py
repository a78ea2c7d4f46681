"""`verifier study prefix-vs-training` from the command line: the quick study's folder, and the same rows with one
worker and with two (slow: it starts worker processes; tests/test_study.py covers the core on an in-process cluster
and tests/test_prefix_training_tasks.py the tasks' determinism by default)."""
import json

import pytest

from verifier import cli


@pytest.mark.slow
def test_one_and_two_workers_give_the_same_rows(tmp_path):
    results = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert cli.main(["study", "prefix-vs-training", "--quick", "on", "--workers", workers, "--out", str(out),
                         "--no-progress"]) == 0
        data = json.loads((out / "result.json").read_text())
        assert data["verdict"] == "PASS" and len(data["rows"]) == 2
        assert sorted(p.name for p in (out / "certificates").iterdir()) == sorted(
            {r[name]["certificate"].split("/")[1] for r in data["rows"] for name in
             ("e1_construction", "e1_family", "prefix", "network")})
        assert (out / "params-smooth.svg").stat().st_size > 0 and (out / "table.md").read_text().startswith("| target |")
        results.append({k: data[k] for k in ("rows", "fits", "verdict", "not_found")})
    assert results[0] == results[1]
