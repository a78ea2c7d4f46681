"""Tests for verifier/pytest_plugin.py, run through pytester on a deliberately broken theorem.

The broken theorem is a module written into the pytester folder and registered the way a third-party
package registers one: a ``*.dist-info`` folder with an ``entry_points.txt`` in the
``verifier.theorems`` group, found by importlib.metadata on sys.path.
"""
from __future__ import annotations

import json
import textwrap

import pytest

import verifier.run  # noqa: F401 - loaded here, so that pytester's in-process runs do not import numpy twice
from verifier import pytest_plugin as plugin
from verifier.theorem import _load, registry

pytest_plugins = ["pytester"]

BROKEN = '''
"""A theorem whose claims come out every way, for the plugin's tests."""
import json, os
from dataclasses import dataclass
from verifier.claims import ClaimResult, Evidence, Kind, Verdict, claim_holds
from verifier.inputs import choice, integer
from verifier.options import Option, read_options
from verifier.precision import PrecisionPolicy
from verifier.theorem import Outcome, TheoremBase

@dataclass(frozen=True)
class P:
    size: int
    seed: int
    policy: PrecisionPolicy
    def to_json(self):
        return {"size": self.size, "dps": self.policy.dps}

def record(event):
    with open(os.environ["BROKEN_LOG"], "a") as log:
        log.write(json.dumps(event) + "\\n")

class Broken(TheoremBase):
    name = "broken"
    statement = "a theorem with a failing, an inconclusive and a sampled claim"
    realises = ()
    options = (Option("size", "an integer", integer(1), 1), Option("dps", "digits", integer(15), 30))

    def parameters(self, **raw):
        o = read_options(self.options, raw)
        return P(o["size"], 0, PrecisionPolicy(dps=o["dps"]))

    def hypotheses(self, params):
        return []

    def check(self, params):
        record({"size": params.size, "dps": params.policy.dps})
        if os.environ.get("BROKEN_RAISE"):
            raise RuntimeError("asked to raise")
        return Outcome((
            claim_holds("B.exact", "an exact identity", True, Kind.THEOREM, "algebra"),
            ClaimResult("B.fails", "sup error ≤ ε", Verdict.FAIL, Kind.THEOREM, "sampled scan",
                        value=0.75, bound=0.5, witness=(0.6, 0.8), detail="the error exceeds ε at the witness"),
            ClaimResult("B.open", "a value against its bound", Verdict.INCONCLUSIVE, Kind.PROOF_STEP, "mpmath",
                        detail="the two precisions disagree: raise --dps"),
            claim_holds("B.sampled", "a sampled fact", True, Kind.PROOF_STEP, "sampling", evidence=Evidence.SAMPLED),
        ), {})

    def default_instances(self):
        return [("broken-small", {"size": 1}), ("broken-large", {"size": 2})]

class Crashing(Broken):
    name = "crashing"
    def check(self, params):
        raise ZeroDivisionError("a bug in the construction")
    def default_instances(self):
        return [("crashing-only", {})]

BROKEN = Broken()
CRASHING = Crashing()
'''


registry()  # the registered theorem modules too (pytester restores sys.modules after each run)


@pytest.fixture
def suite(pytester, monkeypatch, tmp_path):
    """A pytester folder in which ``broken`` and ``crashing`` are registered theorems; the log lists the runs."""
    pytester.makepyfile(broken_theorem=BROKEN)
    info = pytester.path / "broken_theorem-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-theorem\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[verifier.theorems]\nbroken = broken_theorem:BROKEN\ncrashing = broken_theorem:CRASHING\n")
    pytester.syspathinsert()
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv("BROKEN_LOG", str(log))
    # verifier's own source held fixed: an edit of it between two runs of a test (a concurrent checkout) would make
    # the cached claim names stale; the broken theorem's source still counts (test_a_changed_source_…)
    digest = plugin.source_digest
    monkeypatch.setattr(plugin, "source_digest", lambda top: "verifier" if top == "verifier" else digest(top))
    _load.cache_clear()
    yield pytester, log
    _load.cache_clear()


def runs(log):
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_items_are_named_theorem_claim_instance_and_report_each_verdict(suite):
    pytester, log = suite
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "-v", "-rs")
    result.assert_outcomes(passed=4, failed=2, skipped=2)
    result.stdout.fnmatch_lines([
        "broken::B.exact[[]broken-small[]] PASSED*",
        "broken::B.fails[[]broken-small[]] FAILED*",
        "broken::B.open[[]broken-small[]] SKIPPED*",
        "broken::B.sampled[[]broken-large[]] PASSED*",
    ])
    # the failure shows the statement, the numbers and the witness; the skip gives the reason
    result.stdout.fnmatch_lines(["*B.fails: FAIL*", "*statement: sup error ≤ ε*", "*value 0.75 against bound 0.5*",
                                 "*witness: [[]0.6, 0.8[]]*", "*detail: the error exceeds ε at the witness*"])
    result.stdout.fnmatch_lines(["*INCONCLUSIVE: the two precisions disagree: raise --dps*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_each_instance_is_run_once_and_shared_by_its_items(suite):
    pytester, log = suite
    pytester.runpytest("--proofs", "--proofs-theorem", "broken")
    assert sorted(r["size"] for r in runs(log)) == [1, 2]


def test_require_certified_fails_a_sampled_pass_and_an_inconclusive_claim(suite):
    """A CI gate that wants proofs is not green when a proof ran out of budget: B.open (INCONCLUSIVE) fails."""
    pytester, _ = suite
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "--proofs-require", "certified", "-v")
    result.assert_outcomes(passed=2, failed=6)
    result.stdout.fnmatch_lines(["broken::B.open[[]broken-small[]] FAILED*", "broken::B.open[[]broken-large[]] FAILED*"])
    result.stdout.fnmatch_lines(["*B.sampled: PASS, but on sampled evidence only, and --proofs-require is certified*"])
    result.stdout.fnmatch_lines(["*B.open: INCONCLUSIVE, and --proofs-require is certified: no proof was found*",
                                 "*detail: the two precisions disagree: raise --dps*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize("require", [(), ("--proofs-require", "sampled")])
def test_without_a_required_proof_an_inconclusive_claim_is_a_skip_with_its_reason(suite, require):
    pytester, _ = suite
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", *require, "-k", "open", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*INCONCLUSIVE: the two precisions disagree: raise --dps*"])
    assert result.ret == pytest.ExitCode.OK


def test_require_exact_fails_an_inconclusive_claim_too(suite):
    pytester, _ = suite
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "--proofs-require", "exact", "-k", "open")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*B.open: INCONCLUSIVE, and --proofs-require is exact: no proof was found*"])


def test_keyword_selects_items_and_instances_it_cannot_select_are_not_run(suite):
    pytester, log = suite
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "-k", "small and (exact or fails)", "-v")
    result.assert_outcomes(passed=1, failed=1)
    assert sorted(r["size"] for r in runs(log)) == [1, 2]  # a claim of broken-large might be named "small"
    log.unlink()
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "-k", "not large and not fails and not open")
    result.assert_outcomes(passed=2)
    assert [r["size"] for r in runs(log)] == [1]  # every item of broken-large has "large" in its name: not built
    log.unlink()
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "-m", "not proof")
    result.assert_outcomes()
    assert runs(log) == []


def test_instance_glob_and_dps_reach_the_theorem(suite):
    pytester, log = suite
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "--proofs-instance", "*large", "--proofs-dps", "40")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    assert runs(log) == [{"size": 2, "dps": 40}]


def test_a_run_that_raises_is_one_failing_item(suite):
    pytester, _ = suite
    result = pytester.runpytest("--proofs", "--proofs-theorem", "crashing", "-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["crashing::run[[]crashing-only[]] FAILED*", "*raised ZeroDivisionError: a bug in the construction*"])


def test_off_by_default_and_unknown_theorem_is_a_usage_error(suite):
    pytester, log = suite
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert runs(log) == []
    result = pytester.runpytest("--proofs", "--proofs-theorem", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--proofs-theorem nope: unknown; registered:*broken*"])


def test_marker_runs_the_proofs_alone(suite):
    pytester, _ = suite
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "-m", "proof")
    result.assert_outcomes(passed=4, failed=2, skipped=2, deselected=1)


def test_real_theorem_limitation_passes(pytester):
    _load.cache_clear()
    result = pytester.runpytest("--proofs", "--proofs-theorem", "limitation", "-v")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["limitation::L1.identity[[]limitation-n2-N2-D2[]] PASSED*"])


def test_failure_report_text():
    from verifier.claims import ClaimResult, Kind, Verdict
    from verifier.pytest_plugin import describe

    claim = ClaimResult("X.y", "a ≤ b", Verdict.FAIL, Kind.THEOREM, "scan", value=2.0, bound=1.0, witness=(1.0, 0.0))
    assert describe(claim, "FAIL") == textwrap.dedent("""\
        X.y: FAIL (theorem, evidence sampled)
          statement: a ≤ b
          value 2.0 against bound 1.0
          witness: [1.0, 0.0]
          method: scan""")


def test_keyword_pre_filter_leaves_claim_names_open():
    from verifier.pytest_plugin import _satisfiable

    known = {"limitation": True}.get  # None: could match an unknown claim name
    assert not _satisfiable("not limitation", known)
    assert _satisfiable("limitation and step5", known)
    assert _satisfiable("step5", known)
    assert not _satisfiable("step5 and not step5", known)  # one ident, one truth value
    assert _satisfiable("bad (", known)  # pytest reports the bad expression; the plugin does not pre-filter


# --- issue 20: a selection runs only the instances it selects, once their claim names are cached -----------
def test_with_cached_claim_names_an_instance_runs_only_when_a_selected_item_runs(suite):
    pytester, log = suite
    args = ("--proofs", "--proofs-theorem", "broken", "-k", "small and exact")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert sorted(r["size"] for r in runs(log)) == [1, 2]  # names unknown: a claim of broken-large might be "small"
    log.unlink()
    pytester.runpytest(*args).assert_outcomes(passed=1, deselected=7)
    assert runs(log) == [{"size": 1, "dps": 30}]  # names cached: broken-large's items are deselected, never run
    log.unlink()
    pytester.runpytest("--proofs", "--proofs-theorem", "broken", "--collect-only").assert_outcomes()
    assert runs(log) == []
    result = pytester.runpytest("--proofs", "--proofs-theorem", "broken", "-v")
    result.assert_outcomes(passed=4, failed=2, skipped=2)  # the same items and verdicts as a first run
    result.stdout.fnmatch_lines(["broken::B.fails[[]broken-small[]] FAILED*", "*value 0.75 against bound 0.5*"])
    assert sorted(r["size"] for r in runs(log)) == [1, 2]  # each instance once, shared by its 4 items


def test_a_theorem_name_selects_its_instances_and_no_other_runs(suite):
    """The cheap analogue of `pytest --proofs -k limitation`: once the names are cached, -k crashing runs no instance
    of broken (a run that raised is not cached: crashing runs while pytest collects, each time)."""
    pytester, log = suite
    both = ("--proofs", "--proofs-theorem", "broken", "--proofs-theorem", "crashing")
    pytester.runpytest(*both)
    log.unlink()
    result = pytester.runpytest(*both, "-k", "crashing", "-v")
    result.assert_outcomes(failed=1, deselected=8)
    result.stdout.fnmatch_lines(["crashing::run[[]crashing-only[]] FAILED*"])
    assert runs(log) == []


def test_without_pytests_cache_every_selection_runs_at_collection(suite):
    pytester, log = suite
    for _ in range(2):
        pytester.runpytest("-p", "no:cacheprovider", "--proofs", "--proofs-theorem", "broken", "-k", "small and exact")
        assert sorted(r["size"] for r in runs(log)) == [1, 2]
        log.unlink()


def test_a_changed_source_or_option_is_not_served_from_the_cache(suite):
    pytester, log = suite
    args = ("--proofs", "--proofs-theorem", "broken", "-k", "small and exact")
    pytester.runpytest(*args)
    log.unlink()
    theorem = pytester.path / "broken_theorem.py"
    theorem.write_text(theorem.read_text() + "# an edit\n")
    pytester.runpytest(*args)
    assert sorted(r["size"] for r in runs(log)) == [1, 2]
    log.unlink()
    pytester.runpytest(*args, "--proofs-dps", "40")
    assert sorted(r["size"] for r in runs(log)) == [1, 2]


def test_cached_names_that_the_run_contradicts_fail_and_are_refreshed(suite):
    pytester, log = suite
    args = ("--proofs", "--proofs-theorem", "broken", "--proofs-instance", "broken-small")
    pytester.runpytest(*args)
    entry = pytester.path / ".pytest_cache" / "v" / "prefix-verifier" / "claims" / "broken" / "broken-small"
    cached = json.loads(entry.read_text())
    assert cached["claims"] == ["B.exact", "B.fails", "B.open", "B.sampled"]
    entry.write_text(json.dumps({**cached, "claims": ["B.exact", "B.gone"]}))
    result = pytester.runpytest(*args, "-v")
    result.assert_outcomes(failed=2)  # B.exact too: its instance's claims are not the ones collected
    result.stdout.fnmatch_lines(["*the claims of broken-small are not the ones pytest cached (new: B.fails, B.open, "
                                 "B.sampled; gone: B.gone; or reordered)*run pytest again*"])
    assert json.loads(entry.read_text())["claims"] == cached["claims"]
    pytester.runpytest(*args).assert_outcomes(passed=2, failed=1, skipped=1)


def test_a_cached_instance_whose_run_raises_fails_its_items_and_is_forgotten(suite, monkeypatch):
    pytester, log = suite
    args = ("--proofs", "--proofs-theorem", "broken", "--proofs-instance", "broken-small", "-k", "not fails and not open")
    pytester.runpytest(*args)
    monkeypatch.setenv("BROKEN_RAISE", "1")
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*broken::run[[]broken-small[]]: the run raised RuntimeError: asked to raise*"])
    result = pytester.runpytest(*args, "-v")  # not cached any more: run while collecting, one failing run item
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["broken::run[[]broken-small[]] FAILED*"])


def test_source_digest_changes_with_any_source_file_of_the_package(tmp_path, monkeypatch):
    package = tmp_path / "somepkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "claims.py").write_text("IDS = ('A.one',)\n")
    (tmp_path / "lonely.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = plugin.source_digest("somepkg"), plugin.source_digest("lonely")
    assert plugin.source_digest("somepkg") == before[0]
    (package / "sub" / "claims.py").write_text("IDS = ('A.one', 'A.two')\n")
    (tmp_path / "lonely.py").write_text("X = 2\n")
    assert plugin.source_digest("somepkg") != before[0] and plugin.source_digest("lonely") != before[1]
