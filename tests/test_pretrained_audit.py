"""The audit of a model's heads: `verifier grid pretrained-head --vary layer=… --vary head=…`, on a random BERT-layout
model the test writes (one of whose heads fails the rank condition) and, from its stored result, on the packaged
all-MiniLM-L6-v2 (reports/audits/pretrained-m1.json, made by the command it records)."""
import json
import shutil
from pathlib import Path

import pytest

from proofs.pretrained.testing import write_random_bert
from verifier import grid
from verifier.cli import main
from verifier.report.grids import grid_record, read_grid

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "reports" / "audits" / "pretrained-m1.json"
COLUMNS = "rank,smallest_singular_value,prefix_length,lam,key_norm_ratio,sup_error.value,sup_error_bound"


@pytest.fixture(scope="module")
def deficient(tmp_path_factory):
    """A random 2-layer model whose layer-0 head 1 has W_Q = 0 there: [A c] has rank 1 < m + 2."""
    from safetensors.numpy import load_file, save_file

    folder = write_random_bert(tmp_path_factory.mktemp("bert"))
    tensors = load_file(folder / "model.safetensors")
    name = "encoder.layer.0.attention.self.query.weight"
    weight = tensors[name].copy()
    weight[16:32] = 0  # head 1 of 4 (d_h = 16)
    save_file({**tensors, name: weight}, str(folder / "model.safetensors"), metadata={"format": "pt"})
    return folder


def test_a_head_failing_the_rank_condition_is_reported_not_skipped(deficient):
    row, _ = grid.grid_cell("pretrained-head", {"weights": str(deficient), "dim": "1", "eps": "0.3",
                                                "evidence": "sampled", "points": "500"}, {"layer": "0", "head": "1"})
    assert row["verdict"] == "FAIL" and row["facts"]["rank"] == 1
    assert {c["id"]: c["verdict"] for c in row["claims"]}["R1.rank"] == "FAIL"
    assert grid.table_rows(["layer", "head"], ["rank"], [row]) == [["0", "1", 1, "FAIL (sampled)"]]


@pytest.mark.slow
def test_audit_of_a_random_model(deficient, tmp_path, capsys):
    """Every head of layers 0 and 1 (2 × 2 cells): the deficient head FAILs and is in the table, the JSON and the heat
    map; the others PASS; the exit status is the worst verdict's (1)."""
    out = tmp_path / "audit.json"
    status = main(["grid", "pretrained-head", "--weights", str(deficient), "--vary", "layer=0..1", "--vary", "head=0,1",
                   "--dim", "1", "--eps", "0.3", "--columns", COLUMNS, "--map", "sup_error_bound", "--workers", "2",
                   "--json", str(out), "--plot", str(tmp_path / "map"), "--no-progress"])
    printed = capsys.readouterr().out
    assert status == 1
    data = json.loads(out.read_text())
    verdicts = {(r["cell"]["layer"], r["cell"]["head"]): r["verdict"] for r in data["rows"]}
    assert verdicts == {("0", "0"): "PASS", ("0", "1"): "FAIL", ("1", "0"): "PASS", ("1", "1"): "PASS"}
    assert "VERDICT: FAIL (3 PASS, 1 FAIL)" in printed
    assert grid.heat_map(data)["cell_text"] == [["✓", "✗"], ["✓", "✓"]]
    assert (tmp_path / "map.png").exists()


def stored():
    if not STORED.exists():
        pytest.skip("reports/audits/pretrained-m1.json is not there")
    return json.loads(STORED.read_text())


def test_stored_audit_of_the_packaged_model_is_complete_and_consistent():
    """The stored 72-head audit (m = 1, ε = 0.1): every (layer, head) once, each row the theorem's own verdict; where a
    row is certified, its certified bound is at least its sampled sup and at most ε."""
    data = stored()
    assert data["complete"] and data["theorem"] == "pretrained-head"
    assert data["options"]["dim"] == "1" and data["options"]["eps"] == "0.1"
    assert {(r["cell"]["layer"], r["cell"]["head"]) for r in data["rows"]} == {
        (str(layer), str(head)) for layer in range(6) for head in range(12)}
    for row in data["rows"]:
        facts = row["facts"]
        assert facts["rank"] == 3
        if row["verdict"] == "PASS" and row["evidence"] == "certified":
            assert facts["sup_error.value"] <= facts["sup_error_bound"] <= 0.1
        if row["verdict"] == "PASS":
            assert {c["id"]: c["verdict"] for c in row["claims"]}["R1.sup"] == "PASS"


def test_stored_audit_reads_into_a_report(tmp_path):
    data = stored()
    shutil.copy(STORED, tmp_path / "audit.json")
    record = grid_record(read_grid(tmp_path / "audit.json", "audit.json", "here"))
    assert len(record["rows"]) == 72 and record["figure_file"] == "figures/grid-audit.svg"
    assert sum(record["counts"].values()) == 72
    assert record["map_fact"] == data["map_fact"] == "sup_error_bound"
