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
from proofs.prefix_training.models import FreePrefix, TanhNetwork
from proofs.single_head import THEOREM
from proofs.single_head.construction import E1Construction
from verifier.claims import Evidence, Verdict
from verifier.domains import Sphere
from verifier.errors import InputError
from verifier.targets import Target

SIN2 = Target.parse("sin(2*x0)/2", 1, 1, 1)
TIGHT = sympy.Rational(6, 100)  # E1's m = 1, ε = 0.2 prefix has sampled sup ≈ 0.0534: 0.89·ε at ε = 0.06


@pytest.fixture(scope="module")
def e1_prefix() -> FreePrefix:
    params = THEOREM.parameters(dim=1, eps="0.2")
    return FreePrefix.of(E1Construction(params).float64[1], params.context)


@pytest.fixture(scope="module")
def passed(e1_prefix) -> Certificate:
    return certify(SIN2, e1_prefix, TIGHT)


def _fitted_network(target: Target, W: int, scale: float, seed: int = 0) -> TanhNetwork:
    """Amplitudes by least squares on random weights and offsets (a stand-in for the study's fitter)."""
    rng = np.random.default_rng(seed)
    w, c = rng.normal(size=(W, target.m + 1)) * scale, rng.uniform(-scale, scale, size=W)
    X = Sphere(target.m).uniform(4000, seed + 1)
    coef, *_ = np.linalg.lstsq(np.column_stack([np.tanh(X @ w.T + c), np.ones(len(X))]), target.numpy(X), rcond=None)
    return TanhNetwork(w, c, coef[:-1], coef[-1])


def _prefix_error_50_digits(prefix: FreePrefix, target: Target, x) -> mpmath.mpf:
    """‖H(x) − f(x)‖ at 50 digits straight from the closed form (no shift, no code of the module under test)."""
    with mpmath.workdps(50):
        x = [mpmath.mpf(v) for v in x]
        x = [v / mpmath.norm(x) for v in x]
        weights = [mpmath.exp(mpmath.fsum(a * mpmath.mpf(k) for a, k in zip(x, key)) + mpmath.mpf(b))
                   for key, b in zip(prefix.keys.tolist(), prefix.biases.tolist())]
        total = mpmath.fsum(weights) + prefix.context * mpmath.e ** 2
        H = [mpmath.fsum(w * mpmath.mpf(v[j]) for w, v in zip(weights, prefix.values.tolist())) / total
             for j in range(prefix.d)]
        return mpmath.norm([h - f for h, f in zip(H, target.mp(x))])


def test_e1_prefix_as_free_tokens_passes_certified(passed):
    """E1's m = 1 prefix at 0.89·ε: PASS on certified evidence, the stored upper bound ≤ ε and ≥ the sampled max."""
    assert passed.verdict is Verdict.PASS and passed.evidence is Evidence.CERTIFIED
    assert passed.sampled_max <= sympy.Rational(passed.certified_upper) <= TIGHT
    assert 0 < passed.cells <= passed.cell_budget


def test_certified_upper_contains_an_independent_50_digit_value_at_the_witness(passed, e1_prefix):
    value = _prefix_error_50_digits(e1_prefix, SIN2, passed.witness)
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
    assert _prefix_error_50_digits(moved, SIN2, result.witness) > TIGHT


def test_fitted_network_passes_and_a_narrow_one_fails():
    """A least-squares tanh network of width 6 on sin(2·x0)/2 (sampled sup ≈ 0.062) is certified at ε = 0.1; width 2
    misses ε: FAIL with a witness."""
    good = certify(SIN2, _fitted_network(SIN2, 6, 2.0), sympy.Rational(1, 10))
    assert good.verdict is Verdict.PASS and good.evidence is Evidence.CERTIFIED
    assert good.sampled_max <= sympy.Rational(good.certified_upper) <= sympy.Rational(1, 10)
    bad = certify(Target.parse("sin(6*x0)/6", 1, 1, 1), _fitted_network(SIN2, 2, 2.0), sympy.Rational(1, 10))
    assert bad.verdict is Verdict.FAIL and bad.sampled_max > 0.1


def _network_excess(net: TanhNetwork, cell_point) -> float:
    """max over 3 random 50-digit points of 12 random cells of ‖e(x)‖ − (the cell's bound)."""
    bounds, initial = cert_module._cell_bounds(net, SIN2)
    rng = np.random.default_rng(4)
    cells = [child for cell in initial for child in cell.split()]
    cells = [cells[i] for i in rng.choice(len(cells), size=12, replace=False)]
    worst = -np.inf
    for cell, (bound,) in zip(cells, bounds(cells)):
        with mpmath.workdps(50):
            for _ in range(3):
                worst = max(worst, float(cert_module.error_mp(net, SIN2, cell_point(cell, rng)) - mpmath.mpf(bound)))
    return worst


def test_network_bound_contains_50_digit_values_on_cells(cell_point, monkeypatch):
    """The centred form of a fitted network's error (amplitudes up to ≈ 30 that cancel) on random cells lies above
    the 50-digit error at random points; without its first-order term (e(x̃) alone: unsound) it does not."""
    net = _fitted_network(SIN2, 10, 2.0)
    assert np.abs(net.amplitudes).max() > 10
    assert _network_excess(net, cell_point) <= 0
    monkeypatch.setattr(cert_module, "_centred", lambda value, slope, offset: value)
    assert _network_excess(net, cell_point) > 0


def _fitted_prefix(target: Target, N: int, seed: int = 0) -> FreePrefix:
    """Broad tokens (key norms 2 … 12, β_i = −‖k_i‖) with values by ridge least squares: values up to ≈ 15 that
    cancel, as an optimiser may leave them."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(N, target.m + 1))
    keys = directions / np.linalg.norm(directions, axis=1, keepdims=True) * rng.uniform(2, 12, size=(N, 1))
    biases = -np.linalg.norm(keys, axis=1)
    X = Sphere(target.m).uniform(4000, seed + 1)
    E = np.exp(X @ keys.T + biases)
    w = E / (E.sum(axis=1, keepdims=True) + np.e ** 2)
    values = np.linalg.solve(w.T @ w + 1e-3 * np.eye(N), w.T @ target.numpy(X))
    return FreePrefix(keys, biases, values, 1)


def test_prefix_centred_form_contains_50_digit_values_on_cells(cell_point, monkeypatch):
    """The prefix's centred form alone (not its minimum with H0's enclosure) lies above the 50-digit error at random
    points of random S² cells; without its first-order term (H̃(x̃) − f(x̃) alone: unsound) it does not."""
    target = Target.parse("x0*x1", 2, 1, 1)
    prefix = _fitted_prefix(target, 24)
    assert np.abs(prefix.values).max() > 3
    centred = cert_module._prefix_centred(prefix, target)
    rng = np.random.default_rng(6)
    cells = [child for cell in cert_module._cell_bounds(prefix, target)[1] for child in cell.split()]
    cells = [cells[i] for i in rng.choice(len(cells), size=12, replace=False)]

    def excess() -> float:
        worst = -np.inf
        for cell, bound in zip(cells, centred(cells)):
            with mpmath.workdps(50):
                for _ in range(3):
                    value = _prefix_error_50_digits(prefix, target, cell_point(cell, rng))
                    worst = max(worst, float(value - mpmath.mpf(float(bound))))
        return worst

    assert excess() <= 0
    monkeypatch.setattr(cert_module, "_centred", lambda value, slope, offset: value)
    assert excess() > 0


def test_an_unsound_enclosure_is_reported_as_a_framework_error(monkeypatch, e1_prefix):
    """Negative control of the guard: cell bounds divided by 10 fall below the sampled max, which the certificate
    reports as a framework error instead of a PASS."""
    original = cert_module._cell_bounds

    def shrunk(model, target):
        bounds, initial = original(model, target)
        return (lambda cells: [(b / 10,) for (b,) in bounds(cells)]), initial

    monkeypatch.setattr(cert_module, "_cell_bounds", shrunk)
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
