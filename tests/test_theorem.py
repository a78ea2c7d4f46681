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
from verifier.theorem import _load, ENTRY_POINT_GROUP, Outcome, Theorem, get, registry


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
    claims = list(t.hypotheses(t.parameters(dim=1, eps="0.2")))
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
