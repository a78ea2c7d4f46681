"""verifier.report.build and the `report` command: the folder it writes, its schema, and reproducibility."""
from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from html.parser import HTMLParser

import jsonschema
import pytest

from verifier import cli
from verifier.report.build import REPORT_FILES
from verifier.report.docs_links import local
from verifier.report.document import without_timing
from verifier.report.schema import validate

# cert_cells = 5000: a small budget that still decides the default target's auto constants; E1's certified steps need 112 cells at m1. m2 (there for its S² map) is
# sampled: its branch and bound takes 4 s, and m1 already puts certified claims in the report
CONFIG = '''\
name = "small"

[[instance]]
theorem = "single-head"
name = "m1"
dim = 1
eps = "0.2"
points = 2000
cert_cells = 5000

[[instance]]
theorem = "single-head"
name = "m2"
dim = 2
eps = "0.5"
points = 2000
evidence = "sampled"

[[instance]]
theorem = "single-head"
name = "m1-tampered"
dim = 1
eps = "0.2"
points = 2000
cert_cells = 5000
tamper = "wrong-values"
'''


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Run the small suite once: (exit status, stdout, report folder, arguments)."""
    base = tmp_path_factory.mktemp("report")
    (base / "suite.toml").write_text(CONFIG)
    args = ["report", "--config", str(base / "suite.toml"), "--out", str(base / "out")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(args)
    return status, out.getvalue(), base / "out" / "small", args


def test_exit_status_and_summary_line(made):
    status, out, folder, _ = made
    assert status == 1  # the tampered instance FAILs, as `check` would
    lines = out.rstrip().splitlines()
    assert [line.split(" (")[0] for line in lines[:2]] == ["m1: PASS", "m2: PASS"]
    assert lines[0].startswith("m1: PASS (certified) (") and lines[1].startswith("m2: PASS (sampled — not a proof) (")
    assert lines[2].startswith("m1-tampered: FAIL (")
    assert lines[-1] == (f"3 instances: 2 PASS, 1 FAIL, 0 INCONCLUSIVE (PASS evidence: 1 certified, 1 sampled) -> "
                         f"{folder / 'index.html'}")


def test_folder_has_every_file(made):
    folder = made[2]
    assert {p.name for p in folder.iterdir()} == {"index.html", "report.md", "report.json", "figures", "docs"} == set(REPORT_FILES)
    assert "single-head.html" in {p.name for p in (folder / "docs").iterdir()}
    assert sorted(p.name for p in (folder / "figures").iterdir()) == ["m1-error-s1.svg", "m1-tampered-error-s1.svg",
                                                                       "m2-error-s2.svg"]
    for svg in (folder / "figures").iterdir():
        assert svg.read_text().startswith("<svg") and svg.read_text().rstrip().endswith("</svg>")


@pytest.fixture(scope="module")
def doc(made):
    return json.loads((made[2] / "report.json").read_text())


def test_report_json_is_valid_and_complete(doc, made):
    validate(doc)
    assert doc["verdict"] == "FAIL" and doc["counts"]["instances"] == {"PASS": 2, "FAIL": 1, "INCONCLUSIVE": 0}
    assert doc["command"] == "verifier " + " ".join(made[3])
    (theorem,) = doc["theorems"]
    assert theorem["name"] == "single-head" and theorem["realises"] == ["P1", "P2"]
    assert theorem["fact_labels"]["prefix_length_bound"] == "bound 2(m+1)(n+1)^m"  # the theorem's own labels
    assert any(f["mathml"].startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"') and "<mfrac>" in f["mathml"]
               for f in theorem["formulas"])
    assert [i["name"] for i in theorem["instances"]] == ["m1", "m2", "m1-tampered"]
    claims = [c for i in theorem["instances"] for c in i["claims"]]
    assert doc["counts"]["claims"]["FAIL"] == sum(c["verdict"] == "FAIL" for c in claims) > 0
    for c in claims:
        if c["value"] is not None and c["bound"] is not None:
            assert c["margin"] == pytest.approx(c["bound"] - c["value"])
        assert (c["precision"] is None) == (c["evidence"] == "exact")
    tampered = theorem["instances"][2]
    assert tampered["verdict"] == "FAIL" and tampered["parameters"]["tamper"] == "wrong-values"
    assert next(c for c in tampered["claims"] if c["id"] == "E1.step5.sup")["verdict"] == "FAIL"
    figure = theorem["instances"][1]["figures"][0]
    assert figure["kind"] == "map" and figure["file"] == "figures/m2-error-s2.svg" and 0 < figure["max_abs"] < 0.5


@pytest.mark.parametrize("corrupt", [
    lambda d: d.update(verdict="MAYBE"),
    lambda d: d["theorems"][0]["instances"][0]["claims"][0].update(evidence="proved"),
    lambda d: d["theorems"][0]["instances"][0]["claims"][0].pop("margin"),
    lambda d: d["theorems"][0]["instances"][0]["figures"][0].update(kind="table"),
    lambda d: d["counts"]["instances"].update(PASS=-1),
    lambda d: d.update(extra=1),
])
def test_schema_rejects_a_corrupted_report(doc, corrupt):
    broken = copy.deepcopy(doc)
    corrupt(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_two_runs_of_one_instance_give_the_same_json_apart_from_timing(tmp_path):
    """The fast twin of the next test (slow: it runs the three instances again): a report of the m1 instance alone,
    made twice, has the same JSON apart from timing and the same figure."""
    (tmp_path / "one.toml").write_text("\n\n[[instance]]".join(CONFIG.split("\n\n[[instance]]")[:2]) + "\n")  # name, m1
    args = ["report", "--config", str(tmp_path / "one.toml"), "--out", str(tmp_path / "out")]
    runs = []
    for folder in (tmp_path / "out" / "small", tmp_path / "out" / "small-2"):  # the second beside the first
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli.main(args) == 0
        runs.append((json.loads((folder / "report.json").read_text()), {p.name: p.read_text() for p in (folder / "figures").iterdir()}))
    (first, first_svgs), (second, second_svgs) = runs
    assert [i["name"] for t in first["theorems"] for i in t["instances"]] == ["m1"]
    assert without_timing(first) == without_timing(second) and first["generated_at"] <= second["generated_at"]
    assert first_svgs == second_svgs and list(first_svgs) == ["m1-error-s1.svg"]


@pytest.mark.slow
def test_two_runs_give_the_same_json_apart_from_timing(made):
    _, _, folder, args = made
    first = json.loads((folder / "report.json").read_text())
    svgs = {p.name: p.read_text() for p in (folder / "figures").iterdir()}
    assert cli.main(args + ["--replace"]) == 1
    second = json.loads((folder / "report.json").read_text())
    assert second.pop("command") == first.pop("command") + " --replace"  # the command as typed, the rest identical
    assert without_timing(first) == without_timing(second)
    assert first["generated_at"] <= second["generated_at"] and "wall_time_s" not in json.dumps(without_timing(first))
    assert svgs == {p.name: p.read_text() for p in (folder / "figures").iterdir()}


def test_markdown_has_the_same_content(made, doc):
    md = (made[2] / "report.md").read_text()
    assert md.startswith("# prefix-verifier report `small`: FAIL")
    instances = doc["theorems"][0]["instances"]
    for i in instances:
        assert f"### {i['name']}: " in md
        for c in i["claims"]:
            assert re.search(rf"\| \[?`{re.escape(c['id'])}`", md), c["id"]
    assert "![‖H − f‖ on S² (ε = 0.5, N = 386)](figures/m2-error-s2.svg)" in md
    assert md.count("$") >= 2 * len(doc["theorems"][0]["formulas"])
    assert "```toml\nname = \"small\"" in md
    assert "| bound 2(m+1)(n+1)^m | " in md  # a fact under its theorem's label


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.urls = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("href", "src", "xlink:href", "action", "data") and v is not None]


def test_html_is_self_contained_without_script(made, doc):
    page = (made[2] / "index.html").read_text()
    parser = _Links()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    external = [u for u in parser.urls if re.match(r"[a-z]+:", u) and not u.startswith("data:image/png;base64,")]
    assert external == []  # fragments, relative links to docs/, and the map's inline raster only
    assert page.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">') == len(doc["theorems"][0]["formulas"])
    assert parser.tags.count("svg") == 3 + 1  # the three figures and the summary's matrix (summary.py)
    for i in doc["theorems"][0]["instances"]:
        for c in i["claims"]:
            assert f'id="{i["name"]}-{c["id"]}"' in page


def test_every_claim_links_to_a_page_and_anchor_inside_the_folder(made, doc):
    """Docs travel with the report: each claim's and theorem's docs link has its rendered page in the folder's docs/,
    with the anchor as an id there (report.md may still link the repository's .md pages)."""
    folder = made[2]
    links = [t["docs"] for t in doc["theorems"]] + [c["docs"] for t in doc["theorems"] for i in t["instances"]
                                                    for c in i["claims"]]
    assert links and all(links)
    for link in set(links):
        path, _, anchor = local(link).partition("#")
        assert (folder / path).is_file(), link
        assert f'id="{anchor}"' in (folder / path).read_text(), link


def test_every_link_on_the_page_resolves_inside_the_folder(made):
    """Every link of index.html (docs pages, figures) is a file in the folder, with its anchor there."""
    folder = made[2]
    parser = _Links()
    parser.feed((folder / "index.html").read_text())
    for url in parser.urls:
        if url.startswith(("#", "data:")):
            continue
        path, _, anchor = url.partition("#")
        target = (folder / path).resolve()
        assert target.is_relative_to(folder.resolve()), url  # inside the folder: it works offline, wherever it is moved
        assert target.is_file() and (not anchor or f'id="{anchor}"' in target.read_text()), url


def test_the_page_prints_the_real_value_of_an_underflowing_claim(made, doc):
    """E1.step4.leak-bound: e^{−…} is 0 in float64; report.json carries its text, the page prints it, never the 0."""
    page = (made[2] / "index.html").read_text()
    claim = next(c for c in doc["theorems"][0]["instances"][0]["claims"] if c["id"] == "E1.step4.leak-bound")
    assert claim["value"] == 0.0 and re.fullmatch(r"\d\.\d+e-\d{3,}", claim["value_text"]), claim["value_text"]
    row = page[page.index('id="m1-E1.step4.leak-bound"'):]
    row = row[:row.index("</tr>")]
    shown = re.sub(r"e-(\d+)$", "", claim["value_text"])[:7]  # its leading digits, 6 significant
    assert f"e-{claim['value_text'].rsplit('e-', 1)[1]}" in row and shown[:4] in row
    assert '<td class="n">0</td>' not in row and "e-323" not in row


def test_an_existing_report_is_never_overwritten(tmp_path, capsys):
    """A second run writes NAME-2 and says so; the first folder is untouched (bytes and times). --replace replaces a
    report folder and refuses anything else (exit 2), as before."""
    (tmp_path / "s.toml").write_text('name = "r"\n[[instance]]\ntheorem = "limitation"\nname = "l1"\n')
    args = ["report", "--config", str(tmp_path / "s.toml"), "--out", str(tmp_path / "out")]
    first = tmp_path / "out" / "r"
    assert cli.main(args) == 0
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in first.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert cli.main(args) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"-> {tmp_path / 'out' / 'r-2' / 'index.html'}")
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in first.rglob("*") if p.is_file()} == before
    assert cli.main(args) == 0 and (tmp_path / "out" / "r-3" / "report.json").is_file()
    assert json.loads((tmp_path / "out" / "r-3" / "report.json").read_text())["name"] == "r"  # the report's own name
    assert cli.main(args + ["--replace"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r", "r-2", "r-3"]
    assert (first / "report.json").read_bytes() != before[first / "report.json"][0]  # replaced: a new generated_at
    (tmp_path / "out" / "r-2" / "notes.txt").write_text("mine")
    (tmp_path / "s.toml").write_text('name = "r-2"\n[[instance]]\ntheorem = "limitation"\nname = "l1"\n')
    assert cli.main(args + ["--replace"]) == 2  # not a report folder: refused, untouched
    assert (tmp_path / "out" / "r-2" / "notes.txt").read_text() == "mine"


def test_replace_accepts_the_reference_screenshot_but_not_other_files(tmp_path):
    """A committed reference holds first-screen.png beside its pages (ADDED_FILES): --replace may clear it; any other
    file makes the folder not ours to delete."""
    from verifier.errors import InputError
    from verifier.report.build import ADDED_FILES, clear_earlier_report

    folder = tmp_path / "reference"
    folder.mkdir()
    for name in ("index.html", "report.json", *ADDED_FILES):
        (folder / name).write_text("x")
    clear_earlier_report(folder)
    assert not folder.exists()
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a report folder"):
        clear_earlier_report(folder)
    assert (folder / "notes.txt").exists()
