"""Tests for verifier.theorem: the Theorem protocol, the entry-point registry, get() and Outcome."""
from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import pytest

import verifier.theorem as theorem_module
from verifier.claims import ClaimResult, Kind, Verdict
from verifier.errors import InputError
from verifier.precision import PrecisionPolicy
from verifier.theorem import _load, ENTRY_POINT_GROUP, Outcome, Theorem, TheoremBase, get, registry


def test_registry_contains_single_head():
    theorems = registry()
    assert "single-head" in theorems
    obj = theorems["single-head"]
    assert isinstance(obj, Theorem)
    assert obj.name == "single-head"
    assert isinstance(obj.statement, str) and obj.statement
    assert isinstance(obj.realises, tuple) and "P1" in obj.realises


def test_registry_is_sorted_by_name():
    theorems = registry()
    assert list(theorems) == sorted(theorems)
    assert all(isinstance(t, Theorem) and t.name == name for name, t in theorems.items())


def test_registry_found_through_entry_point_group():
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert ENTRY_POINT_GROUP == "verifier.theorems"
    assert "single-head" in names
    assert set(registry()) == names


def test_get_returns_registered_object():
    assert get("single-head") is registry()["single-head"]


def test_get_unknown_names_known_theorems():
    with pytest.raises(InputError) as info:
        get("nope")
    message = str(info.value)
    assert "'nope'" in message
    assert "single-head" in message
    assert "verifier list" in message
    assert isinstance(info.value, ValueError)


def test_protocol_rejects_incomplete_objects():
    incomplete = SimpleNamespace(name="x", statement="s", realises=(), parameters=lambda **o: None)
    assert not isinstance(incomplete, Theorem)
    assert not isinstance(object(), Theorem)


class _FakeEntryPoint:
    def __init__(self, name, obj):
        self.name, self.value, self._obj = name, f"fake:{name}", obj

    def load(self):
        return self._obj


@pytest.fixture
def fake_entry_points(monkeypatch):
    """Replace the entry points seen by the registry; the lru_cache is cleared before and after."""
    _load.cache_clear()

    def install(eps):
        monkeypatch.setattr(theorem_module, "entry_points", lambda group: eps if group == ENTRY_POINT_GROUP else [])

    yield install
    monkeypatch.undo()
    _load.cache_clear()


def test_registry_rejects_non_theorem(fake_entry_points):
    fake_entry_points([_FakeEntryPoint("bad", object())])
    with pytest.raises(TypeError, match="bad"):
        registry()


def test_registry_rejects_name_mismatch(fake_entry_points):
    real = get("single-head")
    _load.cache_clear()
    fake_entry_points([_FakeEntryPoint("other-name", real)])
    with pytest.raises(TypeError, match="other-name"):
        registry()


def test_get_with_no_theorems_says_how_to_install(fake_entry_points):
    fake_entry_points([])
    with pytest.raises(InputError, match="pip install -e"):
        get("single-head")


def test_registry_restored_after_fakes():
    # runs after the fake-entry-point tests: the real registry is back
    assert "single-head" in registry()


def test_default_instances_accepted_by_parameters():
    t = get("single-head")
    instances = list(t.default_instances())
    assert instances
    names = [name for name, _ in instances]
    assert len(set(names)) == len(names)
    for name, options in instances:
        assert isinstance(name, str) and name
        assert isinstance(options, dict) and options
        params = t.parameters(**options)
        assert isinstance(params.policy, PrecisionPolicy)
        assert isinstance(params.seed, int)
        j = params.to_json()
        assert isinstance(j, dict)
        json.dumps(j)
        assert j["dim"] == int(options["dim"])
        assert j["eps"] == pytest.approx(float(options["eps"]))


def test_parameters_rejects_bad_input():
    t = get("single-head")
    with pytest.raises(InputError, match="--eps"):
        t.parameters(dim=1)
    with pytest.raises(InputError, match="--dim"):
        t.parameters(dim="zero", eps="0.1")


def test_hypotheses_of_default_target_pass():
    t = get("single-head")
    claims = list(t.hypotheses(t.parameters(dim=1, eps="0.2", cert_cells="5000")))  # a small budget
    ids = [c.id for c in claims]
    assert "H.lipschitz" in ids and "H.bound" in ids
    assert all(isinstance(c, ClaimResult) and c.verdict is Verdict.PASS for c in claims)
    assert all(c.kind is Kind.HYPOTHESIS for c in claims)


def test_outcome_is_frozen_plain_data():
    claim = ClaimResult("X.id", "a statement", Verdict.PASS, Kind.THEOREM, "by hand")
    outcome = Outcome(claims=(claim,), facts={"n": 3})
    assert outcome.claims[0] is claim and outcome.facts["n"] == 3
    assert outcome == Outcome((claim,), {"n": 3})
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.claims = ()  # type: ignore[misc]


class _Minimal(TheoremBase):
    """The least a theorem writes: its declaration and the four required methods."""

    name = "minimal"
    statement = "a minimal theorem"
    realises = ("P0",)

    def parameters(self, **options):
        return SimpleNamespace(policy=PrecisionPolicy(dps=15), seed=0, to_json=lambda: {})

    def hypotheses(self, params):
        return []

    def check(self, params):
        return Outcome((), {"x": 1})

    def default_instances(self):
        return [("minimal-a", {}), ("minimal-b", {"seed": 1})]


def test_a_minimal_subclass_of_the_base_gets_every_default():
    t = _Minimal()
    assert isinstance(t, Theorem)
    assert t.options == () and t.sizing is None and dict(t.fact_labels) == {}
    assert list(t.quick_instances()) == [("minimal-a", {})]  # the first default instance
    assert list(t.report_formulas()) == [] and list(t.report_figures(t.parameters())) == []
    with pytest.raises(TypeError):
        t.fact_labels["x"] = "y"  # the shared default is read-only


def test_the_base_names_every_required_method_it_lacks():
    bare = TheoremBase()
    for call in (lambda: bare.parameters(), lambda: bare.hypotheses(None), lambda: bare.check(None), bare.default_instances):
        with pytest.raises(NotImplementedError, match="TheoremBase must implement"):
            call()


def test_the_protocol_declares_every_hook_the_base_defaults():
    hooks = ("name", "statement", "realises", "options", "sizing", "fact_labels", "parameters", "hypotheses", "check",
             "decide", "default_instances", "quick_instances", "report_formulas", "report_figures")
    declared = set(Theorem.__annotations__) | {k for k in vars(Theorem) if not k.startswith("_")}
    assert set(hooks) <= declared
    for hook in hooks:
        assert hasattr(TheoremBase, hook) or hook in TheoremBase.__annotations__, hook


def test_every_registered_theorem_subclasses_the_base_and_labels_only_its_own_facts():
    for name, t in registry().items():
        assert isinstance(t, TheoremBase), name
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in t.fact_labels.items()), name


def test_the_core_never_special_cases_a_theorem_hook():
    """Every hook is declared with a default: no hasattr/getattr(theorem, …) in verifier/."""
    from pathlib import Path
    import re

    root = Path(theorem_module.__file__).parent
    offenders = [f"{path.relative_to(root)}:{k}" for path in root.rglob("*.py")
                 for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"(hasattr|getattr)\((self\.)?theorem\b", line)]
    assert offenders == []


def theorem_mentions(root, names) -> list[str]:
    """'file:line' of every line under ``root`` that imports ``proofs`` or names a theorem: a registered name
    (single-head …), a claim-id prefix of its claims (E1, S1, …), or H0, the head the theorems on it share."""
    import re

    pattern = re.compile(r"\b(from proofs|import proofs|%s)\b" % "|".join(re.escape(n) for n in names))
    return [f"{path.relative_to(root)}:{k}" for path in sorted(root.rglob("*.py"))
            for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]


def test_the_core_imports_no_theorem_and_names_none(tmp_path):
    """No import of proofs and no theorem name in verifier/: the registered names (so a newly registered theorem is
    covered too), the theorems' names in the docs (E1, E2, S1, L1, E1I), the shared head H0 and the worked example."""
    from pathlib import Path

    names = set(registry()) | {"E1", "E2", "S1", "L1", "E1I", "H0", "h0", "interval-head"}
    assert theorem_mentions(Path(theorem_module.__file__).parent, names) == []
    (tmp_path / "leak.py").write_text('"""Uses E1."""\nfrom proofs.h0 import head\n')  # negative control
    assert theorem_mentions(tmp_path, names) == ["leak.py:1", "leak.py:2"]
