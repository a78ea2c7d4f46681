"""Tests for proofs/prefix_training/certificate.py: E1's prefix as free tokens and a fitted network certified, the
negative controls (a token removed, values moved past ε, a network that misses, an unsound enclosure), the stored
certificate's JSON and its recheck, the certified bound against an independent 50-digit value, bad input."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy

from proofs.prefix_training import certificate as cert_module
from proofs.prefix_training.certificate import Certificate, certify, error_f64, recheck
from proofs.prefix_training.models import FreePrefix
from proofs.single_head import THEOREM
from proofs.single_head.construction import E1Construction
from verifier.claims import Evidence, Verdict
from verifier.domains import Sphere
from verifier.errors import InputError
from verifier.targets import Target

from prefix_training_helpers import fitted_network, prefix_error_50_digits

SIN2 = Target.parse("sin(2*x0)/2", 1, 1, 1)
TIGHT = sympy.Rational(6, 100)  # E1's m = 1, ε = 0.2 prefix has sampled sup ≈ 0.0534: 0.89·ε at ε = 0.06


@pytest.fixture(scope="module")
def e1_prefix() -> FreePrefix:
    params = THEOREM.parameters(dim=1, eps="0.2")
    return FreePrefix.of(E1Construction(params).float64[1], params.context)


@pytest.fixture(scope="module")
def passed(e1_prefix) -> Certificate:
    return certify(SIN2, e1_prefix, TIGHT)


def test_e1_prefix_as_free_tokens_passes_certified(passed):
    """E1's m = 1 prefix at 0.89·ε: PASS on certified evidence, the stored upper bound ≤ ε and ≥ the sampled max."""
    assert passed.verdict is Verdict.PASS and passed.evidence is Evidence.CERTIFIED
    assert passed.sampled_max <= sympy.Rational(passed.certified_upper) <= TIGHT
    assert 0 < passed.cells <= passed.cell_budget


def test_certified_upper_contains_an_independent_50_digit_value_at_the_witness(passed, e1_prefix):
    value = prefix_error_50_digits(e1_prefix, SIN2, passed.witness)
    assert abs(value - passed.sampled_max) <= 1e-12
    assert value <= mpmath.mpf(passed.certified_upper)


def test_one_token_removed_is_never_pass(e1_prefix):
    """Negative control: without the token whose absence raises the float64 scan error the most, the prefix misses
    ε = 0.06: FAIL or INCONCLUSIVE, never PASS."""
    X = Sphere(1).scan_points(4000, 0)
    without = [np.arange(e1_prefix.N) != i for i in range(e1_prefix.N)]
    worst = max(without, key=lambda keep: error_f64(FreePrefix(e1_prefix.keys[keep], e1_prefix.biases[keep],
                                                               e1_prefix.values[keep], e1_prefix.context), SIN2, X).max())
    shorter = FreePrefix(e1_prefix.keys[worst], e1_prefix.biases[worst], e1_prefix.values[worst], e1_prefix.context)
    assert certify(SIN2, shorter, TIGHT).verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE)


def test_values_moved_past_eps_fail_with_a_witness(e1_prefix):
    """Negative control: every value shifted by 2ε moves H by about 2ε: FAIL on sampled evidence, with a witness
    where the 50-digit error exceeds ε."""
    moved = FreePrefix(e1_prefix.keys, e1_prefix.biases, e1_prefix.values + float(2 * TIGHT), e1_prefix.context)
    result = certify(SIN2, moved, TIGHT)
    assert result.verdict is Verdict.FAIL and result.evidence is Evidence.SAMPLED and result.certified_upper is None
    assert prefix_error_50_digits(moved, SIN2, result.witness) > TIGHT


def test_a_spike_sampling_misses_is_found_at_the_worst_cell(e1_prefix):
    """Negative control: one extra token of norm 10¹⁰ aimed between the scan's angles outscores the rest within ≈ 10⁻⁵
    rad of its direction (value 5: an error of ≈ 4.5 there). Sampling misses it; the branch and bound's worst cell
    closes in on it, and its centre in mpmath gives FAIL (sampled) with the certified upper above the witness."""
    phi, scale = 2 * np.pi * 1234.5 / 10000, 1e10
    top = float(np.max(np.linalg.norm(e1_prefix.keys, axis=1) + e1_prefix.biases))
    spiked = FreePrefix(np.vstack([e1_prefix.keys, scale * np.array([[np.cos(phi), np.sin(phi)]])]),
                        np.append(e1_prefix.biases, -scale + top + 10), np.vstack([e1_prefix.values, [[5.0]]]),
                        e1_prefix.context)
    result = certify(SIN2, spiked, TIGHT, cells=300)
    assert result.verdict is Verdict.FAIL and "worst cell" in result.detail
    assert abs(np.arctan2(result.witness[1], result.witness[0]) - phi) < 1e-5
    assert 4 < result.sampled_max <= sympy.Rational(result.certified_upper)


def test_fitted_network_passes_and_a_narrow_one_fails():
    """A least-squares tanh network of width 6 on sin(2·x0)/2 (sampled sup ≈ 0.062) is certified at ε = 0.1; width 2
    misses ε: FAIL with a witness."""
    good = certify(SIN2, fitted_network(SIN2, 6, 2.0), sympy.Rational(1, 10))
    assert good.verdict is Verdict.PASS and good.evidence is Evidence.CERTIFIED
    assert good.sampled_max <= sympy.Rational(good.certified_upper) <= sympy.Rational(1, 10)
    bad = certify(Target.parse("sin(6*x0)/6", 1, 1, 1), fitted_network(SIN2, 2, 2.0), sympy.Rational(1, 10))
    assert bad.verdict is Verdict.FAIL and bad.sampled_max > 0.1


@pytest.mark.parametrize("kind", ["prefix", "network"])
def test_models_on_s2_pass_certified_at_the_studys_eps(kind):
    """On S², x0·x1 at ε = 0.2 (the study's smallest S² ε): E1's prefix of 98 tokens (its construction at ε = 1,
    sampled sup ≈ 0.148) and a least-squares network of width 16 (≈ 0.179) are certified; the upper bound lies between the
    sampled max and ε."""
    target = Target.parse("x0*x1", 2, 1, 1)
    if kind == "prefix":
        params = THEOREM.parameters(dim=2, eps="1", target="x0*x1", lipschitz="1", bound="1")
        model = FreePrefix.of(E1Construction(params).float64[1], params.context)
    else:
        model = fitted_network(target, 16, 2.0)
    result = certify(target, model, sympy.Rational(1, 5))
    assert result.verdict is Verdict.PASS and result.evidence is Evidence.CERTIFIED
    assert result.sampled_max <= sympy.Rational(result.certified_upper) <= sympy.Rational(1, 5)


def test_an_unsound_enclosure_is_reported_as_a_framework_error(monkeypatch, e1_prefix):
    """Negative control of the guard: cell bounds divided by 10 fall below the sampled max, which the certificate
    reports as a framework error instead of a PASS."""
    original = cert_module.cell_bounds

    def shrunk(model, target, threshold):
        bounds, initial = original(model, target, threshold)
        return (lambda cells: [(b / 10,) for (b,) in bounds(cells)]), initial

    monkeypatch.setattr(cert_module, "cell_bounds", shrunk)
    with pytest.raises(RuntimeError, match="FRAMEWORK ERROR"):
        certify(SIN2, e1_prefix, TIGHT)


def test_json_round_trip_and_recheck_reproduce_the_certificate(passed):
    stored = passed.to_json()
    assert Certificate.from_json(stored) == passed
    again = recheck(stored)
    assert again == passed


def test_recheck_of_a_failing_certificate_fails_again(e1_prefix):
    moved = FreePrefix(e1_prefix.keys, e1_prefix.biases, e1_prefix.values + 0.2, e1_prefix.context)
    first = certify(SIN2, moved, TIGHT, cells=500, seed=3)
    assert first.verdict is Verdict.FAIL and recheck(first.to_json()) == first


@pytest.mark.parametrize("change,message", [
    (lambda t, m, e: (Target.parse("x0*x1", 2, 1, 1), m, e), "S\\^1"),
    (lambda t, m, e: (t, m, "-0.1"), "eps"),
    (lambda t, m, e: (t, "a prefix", e), "FreePrefix or a TanhNetwork"),
])
def test_bad_input_is_refused_before_sampling(change, message, e1_prefix, monkeypatch):
    monkeypatch.setattr(cert_module, "sup_search", lambda *a, **k: pytest.fail("sampled before refusing"))
    with pytest.raises(InputError, match=message):
        certify(*change(SIN2, e1_prefix, TIGHT))


def test_stored_certificate_with_a_missing_field_is_refused(passed):
    stored = passed.to_json()
    del stored["model"]
    with pytest.raises(InputError, match="missing or malformed"):
        recheck(stored)
    with pytest.raises(InputError, match="missing or malformed"):
        Certificate.from_json(stored)
