"""verifier.report.suite: the default and quick suites, and TOML configurations checked before any work."""
from __future__ import annotations

from pathlib import Path

import pytest
import sympy

from verifier import cli
from verifier.errors import InputError
from verifier.report import build
from verifier.report.suite import Suite, SuiteEntry, default_suite, read_suite
from verifier.theorem import registry

GOOD = '''\
name = "small"
seed = 3

[[instance]]
theorem = "single-head"
name = "m1"
dim = 1
eps = 0.2

[[instance]]
theorem = "single-head"
dim = 2
eps = "1/2"
seed = 5
'''


def write(tmp_path, text: str):
    path = tmp_path / "suite.toml"
    path.write_text(text)
    return path


def test_default_suite_has_every_default_instance_and_quick_is_smaller(monkeypatch):
    # the suites' composition: the --lipschitz/--bound auto constants their validation computes (a certified branch and
    # bound each, 6 s in all) are stubbed; test_theorem checks parameters() on every default instance with the real ones
    from verifier import certify
    monkeypatch.setattr(certify, "automatic_value", lambda target, which, *args: certify.Automatic(sympy.Integer(1), None))
    full, quick = default_suite(), default_suite(quick=True)
    expected = [(name, inst) for name, t in registry().items() for inst, _ in t.default_instances()]
    assert [(e.theorem, e.name) for e in full.entries] == expected
    assert {e.theorem for e in quick.entries} == set(registry())
    assert 0 < len(quick.entries) < len(full.entries)
    assert full.source == "default" and quick.source == "quick" and full.digest != quick.digest


def test_a_configuration_file_is_read_with_the_global_seed_where_none_is_given(tmp_path):
    suite = read_suite(write(tmp_path, GOOD))
    assert suite.name == "small"
    assert [e.name for e in suite.entries] == ["m1", "single-head-2"]
    assert suite.entries[0].options == {"dim": 1, "eps": 0.2, "seed": 3}
    assert suite.entries[1].options == {"dim": 2, "eps": "1/2", "seed": 5}


def test_to_toml_reads_back_to_the_same_suite(tmp_path):
    suite = read_suite(write(tmp_path, GOOD))
    again = read_suite(write(tmp_path, suite.to_toml()))
    assert again.entries == suite.entries and again.name == suite.name and again.digest == suite.digest


def test_digest_follows_the_options():
    a = Suite((SuiteEntry("x", "single-head", {"eps": "0.2"}),), "t")
    b = Suite((SuiteEntry("x", "single-head", {"eps": "0.3"}),), "t")
    assert a.digest != b.digest and len(a.digest) == 8


@pytest.mark.parametrize("text, message", [
    (GOOD.replace('theorem = "single-head"\ndim = 2', 'theorem = "single-hed"\ndim = 2'),
     r"suite.toml:11: unknown theorem 'single-hed'; known theorems: .*single-head"),
    (GOOD.replace("dim = 2", "dimension = 2"),
     r"suite.toml:12: theorem single-head has no option 'dimension'; it takes dim, eps, .* \(change or remove this key\)"),
    (GOOD.replace('eps = "1/2"', 'eps = "-0.5"'), r"suite.toml:13: --eps must be > 0; got '-0.5'.* \(change this value\)"),
    (GOOD.replace("dim = 1", "dim = 1.5"), r"suite.toml:7: --dim must be an integer ≥ 1 .*\(change this value\)"),
    (GOOD.replace("eps = 0.2", "eps = 9"), r"suite.toml:8: instance 'm1': E1 is stated for ε ∈ \(0, 4L\]"),
    (GOOD.replace("dim = 1", 'dim = 1\ntarget = "__import__(\'os\')"\nlipschitz = 1\nbound = 1'),
     r"suite.toml:8: instance 'm1': .*--target"),
    (GOOD.replace("eps = 0.2\n", ""), r"suite.toml:4: instance 'm1': single-head needs --eps"),
    (GOOD.replace('name = "small"', 'title = "small"'), r"suite.toml:1: unknown key 'title'; the top level takes name, seed, sweeps, instance"),
    (GOOD.replace('name = "small"', 'name = "../up"'), r"suite.toml:1: name '../up' must be 1–80 letters"),
    (GOOD.replace("seed = 3", "seed = -1"), r"suite.toml:2: seed must be ≥ 0"),
    (GOOD.replace('name = "m1"', 'name = "single-head-2"'), r"suite.toml:10: instance name 'single-head-2' is used twice \(first at .*suite.toml:6\)"),
    (GOOD.replace('theorem = "single-head"\nname = "m1"', 'name = "m1"'), r"suite.toml:4: this \[\[instance\]\] has no theorem"),
    ('name = "x"\n', r"no instances; add at least one \[\[instance\]\]"),
    ('name = "x"\n\n[instance]\ntheorem = "single-head"\n', r"suite.toml:3: write each instance as an \[\[instance\]\] table"),
    ("[[instance]\n", r"not valid TOML: .*line 1"),
])
def test_bad_configuration_names_the_line_and_the_fix(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_suite(write(tmp_path, text))


def test_unreadable_configuration(tmp_path):
    with pytest.raises(InputError, match="cannot be read"):
        read_suite(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="--config /dev/zero is not a regular file"):  # never read (MemoryError)
        read_suite(Path("/dev/zero"))


def test_cli_rejects_a_bad_configuration_before_any_computation(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(build, "run", lambda *a, **k: pytest.fail("a check ran before the configuration was validated"))
    path = write(tmp_path, GOOD.replace("eps = 0.2", "eps = 0.2\nlambda = 3"))
    assert cli.main(["report", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "suite.toml:9: theorem single-head has no option 'lambda'" in err
    assert not (tmp_path / "out").exists()
    assert cli.main(["report", "--config", str(path), "--quick"]) == 2
    assert "--quick selects the reduced default suite" in capsys.readouterr().err


def test_a_hypothesis_refuted_while_running_is_bad_input_naming_the_instance(tmp_path, capsys):
    # cert_cells: B = 1 is attained, so the branch and bound of H.bound would spend its whole 50 000 cells (about 5 s)
    path = write(tmp_path, '[[instance]]\ntheorem = "single-head"\nname = "steep"\neps = 0.1\ntarget = "sin(30*x0)"\n'
                           'lipschitz = 3\nbound = 1\ncert_cells = 1000\n')
    assert cli.main(["report", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "instance 'steep': the theorem's hypotheses do not hold" in err and "Fix: pass --lipschitz" in err
