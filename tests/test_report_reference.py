"""The committed reference report (reports/reference/) and the example suite in docs/reports.md."""
from __future__ import annotations

import json
import math
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from verifier import cli
from verifier.errors import InputError

from verifier.report import docs_links
from verifier.report.document import TIMING_KEYS, without_timing
from verifier.report.schema import validate
from verifier.report.suite import read_suite

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reports" / "reference"


def test_reference_report_is_valid_and_made_from_the_committed_configuration():
    doc = json.loads((REFERENCE / "report.json").read_text())
    validate(doc)
    assert doc["command"] == "verifier report --config reports/reference.toml --out reports --replace"
    assert doc["configuration"]["toml"] == read_suite(ROOT / "reports" / "reference.toml").to_toml()
    for theorem in doc["theorems"]:
        for instance in theorem["instances"]:
            for figure in instance["figures"]:
                assert figure["file"] is None or (REFERENCE / figure["file"]).is_file()


MACHINE_KEYS = ("environment",)  # the run's machine and package versions: a record of where it ran, not a result


def printed_differences(committed, regenerated, path: str = "") -> list[str]:
    """Every value of two report.json documents that differs, as ``path: committed != regenerated``: numbers compared
    exactly (a last digit, a point count), texts and structure too; timing fields (``without_timing``) and the
    environment record are left out."""
    if path == "":
        committed, regenerated = (without_timing({k: v for k, v in d.items() if k not in MACHINE_KEYS})
                                  for d in (committed, regenerated))
    if isinstance(committed, dict) and isinstance(regenerated, dict):
        keys = list(dict.fromkeys([*committed, *regenerated]))
        return [d for k in keys for d in printed_differences(committed.get(k), regenerated.get(k), f"{path}.{k}")]
    if isinstance(committed, list) and isinstance(regenerated, list) and len(committed) == len(regenerated):
        pairs = enumerate(zip(committed, regenerated))
        return [d for i, (a, b) in pairs for d in printed_differences(a, b, f"{path}[{i}]")]
    same = type(committed) is type(regenerated) and committed == regenerated
    return [] if same else [f"{path}: {committed!r} != {regenerated!r}"]


def test_the_comparison_with_the_committed_report_finds_a_last_digit():  # negative control of the slow test below
    doc = json.loads((REFERENCE / "report.json").read_text())
    assert printed_differences(doc, json.loads(json.dumps(doc))) == []
    numbers = [(keys, value) for keys, value in _leaves(doc) if isinstance(value, float) and not set(keys) & set(TIMING_KEYS)]
    assert len(numbers) > 100
    for keys, value in numbers[:: max(1, len(numbers) // 25)]:
        up = math.nextafter(value, math.inf)  # one unit in the last place
        assert printed_differences(doc, _replaced(doc, keys, up)) == [f"{_shown(keys)}: {value!r} != {up!r}"]
    counted = next(keys for keys, value in _leaves(doc) if keys[-1] == "points" and "claims" in keys and value)
    assert printed_differences(doc, _replaced(doc, counted, _value(doc, counted) + 1))  # a sampled point count
    assert printed_differences(doc, _replaced(doc, ("theorems", 0, "instances", 0, "claims", 0, "value"), None))
    retimed = _replaced(doc, ("wall_time_s",), doc["wall_time_s"] + 9.5)
    retimed = _replaced(retimed, ("generated_at",), "2099-01-01T00:00:00Z")
    assert printed_differences(doc, _replaced(retimed, ("environment",), {"python": "3.99"})) == []  # not results


def _leaves(value, keys: tuple = ()):
    """(keys, value) of every leaf: keys the dict keys and list indices from the top."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else None
    if children is None:
        yield keys, value
        return
    for k, v in children:
        yield from _leaves(v, (*keys, k))


def _shown(keys: tuple) -> str:
    """The path as printed_differences writes it: .key and [index] steps."""
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)


def _value(doc, keys: tuple):
    for k in keys:
        doc = doc[k]
    return doc


def _replaced(doc, keys: tuple, value):
    """A deep copy of ``doc`` with the value at ``keys`` replaced."""
    copy = json.loads(json.dumps(doc))
    _value(copy, keys[:-1])[keys[-1]] = value
    return copy


@pytest.mark.slow
def test_the_reference_report_regenerates_with_every_printed_number(tmp_path, monkeypatch):
    """`verifier report --config reports/reference.toml --out reports`, run in a fresh folder, writes a report.json
    equal to the committed one apart from timing fields and the environment record (about 2 minutes on 2 cores): the
    sampled searches give the same bits on every machine (verifier.reproducible), so every value, argmax and point
    count is the committed one."""
    (tmp_path / "reports").mkdir()
    shutil.copy(ROOT / "reports" / "reference.toml", tmp_path / "reports")
    shutil.copytree(ROOT / "reports" / "sweeps", tmp_path / "reports" / "sweeps")
    monkeypatch.chdir(tmp_path)
    assert cli.main(shlex.split(json.loads((REFERENCE / "report.json").read_text())["command"])[1:]) == 0
    regenerated = json.loads((tmp_path / "reports" / "reference" / "report.json").read_text())
    differences = printed_differences(json.loads((REFERENCE / "report.json").read_text()), regenerated)
    assert not differences, "\n".join(differences[:40])


def test_every_docs_link_of_the_reference_report_resolves():
    doc = json.loads((REFERENCE / "report.json").read_text())
    links = {t["docs"] for t in doc["theorems"]} | {c["docs"] for t in doc["theorems"] for i in t["instances"] for c in i["claims"]}
    assert None not in links
    for link in links:
        path, anchor = link.split("#")
        assert f'<a id="{anchor}"></a>' in (ROOT / path).read_text(), link
        assert docs_links.anchors()[anchor] == path


DOCS = ROOT / "docs" / "reports.md"


def _docs_examples() -> tuple[str, str, list[list[str]]]:
    """docs/reports.md's suite configuration (the TOML block with [[instance]] tables), its sweeps line (the TOML block
    with `sweeps =`) and its `verifier …` commands (argv without 'verifier', in order), as a new user copies them."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"^```toml\n(.*?)^```", text, flags=re.S | re.M)
    (suite,) = [b for b in blocks if "[[instance]]" in b]
    (sweeps,) = [b for b in blocks if re.match(r"sweeps = ", b)]
    commands = [shlex.split(line.split("#")[0])[1:] for line in re.findall(r"^    (verifier (?:report|sweep) .*)$", text, re.M)
                if "[--" not in line]
    return suite, sweeps, commands


def test_the_example_suite_in_the_docs_reads_in_an_empty_folder(tmp_path):
    """The suite of docs/reports.md, copied into a fresh folder, is read without error (it named sweep files that a new
    user does not have: exit 2); the sweeps example names the file its documented sweep command writes."""
    suite_text, sweeps_text, commands = _docs_examples()
    (tmp_path / "suite.toml").write_text(suite_text)
    suite = read_suite(tmp_path / "suite.toml")
    assert [e.name for e in suite.entries] == ["m1-eps0.2", "single-head-2"] and not suite.sweeps
    sweep = next(argv for argv in commands if argv[0] == "sweep")
    written = sweep[sweep.index("--json") + 1]
    assert tomllib.loads(sweeps_text)["sweeps"] == [written]
    (tmp_path / "suite.toml").write_text(sweeps_text + "\n" + suite_text)
    with pytest.raises(InputError, match="sweep file sweeps/e1-m1.json cannot be read"):  # before the sweep has been made
        read_suite(tmp_path / "suite.toml")
    (tmp_path / "sweeps").mkdir()
    shutil.copy(ROOT / "reports" / "sweeps" / "e1-m1.json", tmp_path / written)  # a sweep of the same shape
    assert [s.name for s in read_suite(tmp_path / "suite.toml").sweeps] == ["e1-m1"]


@pytest.mark.slow
def test_the_examples_in_the_docs_run_as_written(tmp_path, monkeypatch, capsys):
    """Every `verifier report`/`verifier sweep` command of docs/reports.md but the reference report's, run in a fresh
    folder in the documented order with the documented files (about 90 s on 2 cores); each ends with exit 0 as
    documented, and the last report shows the sweep."""
    suite_text, sweeps_text, commands = _docs_examples()
    monkeypatch.chdir(tmp_path)
    Path("suite.toml").write_text(suite_text)
    runs = [argv for argv in commands if "reports/reference.toml" not in argv]
    assert [argv[0] for argv in runs] == ["report", "sweep", "report"]
    assert cli.main(runs[0]) == 0
    assert cli.main([*runs[1], "--no-progress"]) == 0
    Path("suite.toml").write_text(sweeps_text + "\n" + suite_text)
    assert cli.main(runs[2]) == 0
    doc = json.loads(Path("reports/e1-small-2/report.json").read_text())  # the second report of the name: never over the first
    assert doc["verdict"] == "PASS" and [s["name"] for s in doc["sweeps"]] == ["e1-m1"]


# ---------------------------------------------------------------------------------------------
# The figures docs/single-head.md quotes from the reference report.
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
MEASURED = re.compile(r"m = (?P<m>\d), ε = (?P<eps>[\d.]+): N = (?P<N>\d+), λ = (?P<lam>[\d.·⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+), sampled\s+"
                      r"sup error (?P<sup>[\d.]+), certified ≤ (?P<upper>[\d.]+)")


def quoted_number(text: str) -> tuple[float, float]:
    """A decimal as the docs write it (``6.279·10⁴``, ``0.015116``) and half a unit of its last digit."""
    mantissa, _, power = text.partition("·10")
    exponent = int(power.translate(SUPERSCRIPT)) if power else 0
    decimals = len(mantissa.partition(".")[2])
    return float(mantissa) * 10.0**exponent, 0.5 * 10.0 ** (exponent - decimals)


def figure_mismatches(text: str, doc: dict) -> list[str]:
    """The figures of ``text``'s "m = …, ε = …: N = …, λ = …, sampled sup error …, certified ≤ …" sentences that are not
    the reference report's single-head instance of that m and ε, to the digits quoted; none quoted is a mismatch."""
    instances = {(i["parameters"]["dim"], float(i["parameters"]["eps"])): i
                 for t in doc["theorems"] if t["name"] == "single-head" for i in t["instances"]}
    found = [q.groupdict() for q in MEASURED.finditer(" ".join(text.split()))]
    out = [] if found else ["no figures quoted"]
    for q in found:
        instance = instances.get((int(q["m"]), float(q["eps"])))
        if instance is None:
            out.append(f"m = {q['m']}, ε = {q['eps']}: not in the reference report")
            continue
        facts = instance["facts"]
        actual = {"N": facts["prefix_length"], "lam": facts["lambda"], "sup": facts["sup_error"]["value"],
                  "upper": facts["sup_error"]["certified_upper"]}
        for key, value in actual.items():
            quoted, half = quoted_number(q[key])
            if not abs(quoted - value) <= half * (1 + 1e-9):
                out.append(f"m = {q['m']}, ε = {q['eps']}: {key} quoted {q[key]}, the report has {value!r}")
    return out


def test_the_figures_docs_quote_from_the_reference_report_are_its_own():
    doc = json.loads((REFERENCE / "report.json").read_text())
    assert figure_mismatches((ROOT / "docs" / "single-head.md").read_text(encoding="utf-8"), doc) == []


def test_a_figure_quoted_wrong_by_its_last_digit_is_found():  # negative control of the test above
    doc = json.loads((REFERENCE / "report.json").read_text())
    text = (ROOT / "docs" / "single-head.md").read_text(encoding="utf-8")
    sup = next(MEASURED.finditer(" ".join(text.split())))["sup"]
    wrong = sup[:-1] + str((int(sup[-1]) + 1) % 10)
    value = doc["theorems"][0]["instances"][0]["facts"]["sup_error"]["value"]
    assert figure_mismatches(" ".join(text.split()).replace(f"sup error {sup},", f"sup error {wrong},"), doc) == [
        f"m = 1, ε = 0.05: sup quoted {wrong}, the report has {value!r}"]
    assert figure_mismatches("no figures here", doc) == ["no figures quoted"]
    assert quoted_number("6.279·10⁴") == (62790.0, 5.0) and quoted_number("0.015116") == (0.015116, 5e-7)
