"""The von Mises–Fisher kernel and V1, V2 against independent values; the quadrature rules are partitions."""
import mpmath
import numpy as np
import pytest

from proofs.smoothing import formulas as F
from proofs.smoothing import kernel as K
from proofs.smoothing import rules as R
from proofs.smoothing.construction import cell_radius_f64
from proofs.smoothing.claims import amos_claim
from verifier.claims import Verdict
from verifier.precision import PrecisionPolicy
from verifier.targets import Target


@pytest.mark.parametrize("kappa", ["0.01", "1", "3.5", "50", "2000"])
def test_closed_forms_on_s2_and_s1(kappa):
    with mpmath.workdps(40):
        k = mpmath.mpf(kappa)
        assert mpmath.almosteq(K.resultant_mp(2, k), mpmath.coth(k) - 1 / k, 1e-35)
        assert mpmath.almosteq(K.normaliser_mp(2, k), k / (4 * mpmath.pi * mpmath.sinh(k)), 1e-35)
        assert mpmath.almosteq(K.normaliser_mp(1, k), 1 / (2 * mpmath.pi * mpmath.besseli(0, k)), 1e-35)


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("kappa", [1, 50, 10_000])
def test_kernel_integrates_to_one(m, kappa):
    with mpmath.workdps(30):
        assert abs(K.kernel_total_mp(m, kappa) - 1) < mpmath.mpf(10) ** -25


def test_kernel_mean_is_the_resultant_length():
    """E⟨x, y⟩ = A_m(κ): the quadrature means of 1 − ρ²/2 reproduce the Bessel ratio."""
    with mpmath.workdps(30):
        for m, k in ((1, 7), (2, 300)):
            mean = F.kernel_means_mp([lambda r: 1 - r * r / 2], m, k)[0]
            assert mpmath.almosteq(mean, K.resultant_mp(m, k), 1e-25)


@pytest.mark.parametrize("m, text, kappa", [(1, "sin(2*x0)/2", 5), (1, "Abs(x0)", 40), (2, "x2", 3), (2, "x0*x1", 30)])
def test_v1_against_quadrature(m, text, kappa):
    """|f_κ − f| ≤ L√(2(1 − A_m(κ))) at sample points, f_κ by mpmath quadrature (all these targets are 1-Lipschitz)."""
    f = Target.parse(text, m, 1, 1)
    X = np.random.default_rng(3).standard_normal((3, m + 1))
    with mpmath.workdps(15):
        bound = K.smoothing_bound_mp(m, kappa, 1)
        for x in X:
            xm = [mpmath.mpf(v) for v in x / np.linalg.norm(x)]
            smoothed = K.smoothed_mp(f, xm, kappa)[0]  # one quadrature (S²: seconds) for both checks
            gap = abs(smoothed - f.mp(xm)[0])
            assert gap <= bound
            # the float64 scanning value agrees with the mpmath one (two paths)
            assert abs(K.smoothed_f64(f, np.array([[float(v) for v in xm]]), float(kappa))[0, 0] - float(smoothed)) < 1e-6


def test_smoothed_constant_and_linear_targets_exactly():
    """f = 1 is fixed by the smoothing; f = x2 on S^2 is scaled by A_2(κ) (f_κ(x) = A_2(κ)·x2)."""
    with mpmath.workdps(20):
        x = [mpmath.mpf(3) / 13, mpmath.mpf(4) / 13, mpmath.mpf(12) / 13]
        assert mpmath.almosteq(K.smoothed_mp(Target.parse("1", 2, 1, 1), x, 9)[0], 1, 1e-18)
        assert mpmath.almosteq(K.smoothed_mp(Target.parse("x2", 2, 1, 1), x, 9)[0], K.resultant_mp(2, 9) * x[2], 1e-18)


def test_v2_holds_on_the_grid_with_its_smallest_margin():
    claim = amos_claim(PrecisionPolicy(dps=20))
    assert claim.verdict is Verdict.PASS and "smallest margin" in claim.detail
    low, high, order, kappa = K.v2_smallest_margin(20, 40)
    assert high > 0 and abs(low - high) < 1e-15


def test_v2_check_can_fail(monkeypatch):
    """Negative control: the reversed Amos bound κ/(ν + ½ + √(κ² + (ν+½)²)) is an upper bound, so
    'ratio ≥ it' is false and the same check must FAIL with the place."""
    mpmath_bound = lambda nu, k: k / (nu + mpmath.mpf(1) / 2 + mpmath.sqrt(k * k + (nu + mpmath.mpf(1) / 2) ** 2))  # noqa: E731
    monkeypatch.setattr(K, "_amos", lambda: mpmath_bound)
    K.v2_smallest_margin.cache_clear()
    try:
        claim = amos_claim(PrecisionPolicy(dps=20))
    finally:
        K.v2_smallest_margin.cache_clear()
    assert claim.verdict is Verdict.FAIL and "FAILS" in claim.detail


@pytest.mark.parametrize("name, m, size", [("gauss", 1, 17), ("gauss", 2, 9), ("partition", 1, 5), ("partition", 2, 4)])
def test_rules_tile_the_sphere_and_cover_within_h(name, m, size):
    r = R.rule(name, m, size)
    with mpmath.workdps(30):
        assert R.exact_area_claim_value(r) < mpmath.mpf(10) ** -25
        _, weights, h = r.at_precision()
        assert all(w > 0 for w in weights)
    points, _ = r.float64
    assert len(points) == R.rule_prefix_length(name, m, size)
    Y = np.random.default_rng(0).standard_normal((4000, m + 1))
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)
    nearest = np.min(np.linalg.norm(Y[:, None, :] - points[None, :, :], axis=2), axis=1)
    assert nearest.max() <= float(h)  # necessary for ‖y − p_i‖ ≤ h on every cell
    assert cell_radius_f64(name, m, size) == pytest.approx(float(h), rel=1e-12)


def test_gauss_legendre_nodes_lie_in_their_bands():
    for n in (2, 7, 40):
        assert R.separation_holds(n)
    with mpmath.workdps(30):
        z, w = R.gauss_legendre_mp(5)
        assert mpmath.almosteq(mpmath.fsum(wi * zi**8 for wi, zi in zip(w, z)), mpmath.mpf(2) / 9, 1e-25)


def test_kappa_formula_solves_the_amos_bound():
    assert F.kappa_claim().verdict is Verdict.PASS
    with mpmath.workdps(30):
        for m in (1, 2):
            k = mpmath.mpf(str(F.KAPPA.subs({F.m: m, F.eps: F.sympy.Rational(1, 10), F.L: 1}).evalf(40)))
            c = mpmath.mpf(m + 1) / 2
            assert mpmath.almosteq(mpmath.sqrt(2 * (1 - k / (c + mpmath.sqrt(k * k + c * c)))), mpmath.mpf(4) / 100, 1e-25)


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("kappa", ["1/100", "3", "389375/1248", "100000"])
def test_normaliser_arb_enclosure_contains_the_mpmath_value(m, kappa):
    k = F.sympy.Rational(kappa)
    digits = K.normaliser_digits(m, k, 90)
    ball = K.normaliser_arb(m, k, bits=4 * digits)
    with mpmath.workdps(digits):
        value = K.normaliser_mp(m, mpmath.mpf(k.p) / k.q)
        assert K.arb_consistent(ball, value, 90)
        assert not K.arb_consistent(ball, value * (1 + mpmath.mpf(10) ** -60), 90)  # a wrong value is caught
        assert not K.arb_consistent(K.normaliser_arb(m, k, bits=64), value, 90)  # a ball too wide to decide is not consistent


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("kappa", ["1/100", "3", "389375/1248", "124999"])
def test_smoothing_bound_ball_contains_the_mpmath_value(m, kappa):
    """kernel.smoothing_bound_arb against an independent 120-digit mpmath value of L√(2(1 − A_m(κ)))."""
    k, L = F.sympy.Rational(kappa), F.sympy.Rational(3, 2)
    ball = K.smoothing_bound_arb(m, k, L, 256)
    with mpmath.workdps(120):
        value = K.smoothing_bound_mp(m, mpmath.mpf(k.p) / k.q, mpmath.mpf(3) / 2)
        assert K.arb_consistent(ball, value, 50)
        assert not K.arb_consistent(ball, value * (1 + mpmath.mpf(10) ** -45), 50)


@pytest.mark.parametrize("name, m, size", [("gauss", 1, 7), ("gauss", 2, 5), ("gauss", 2, 60), ("partition", 1, 4),
                                           ("partition", 2, 3)])
def test_rule_constant_balls_contain_the_mpmath_values(name, m, size):
    """rules.constants_arb (h, w_min in python-flint) against the mpmath construction at 60 digits."""
    h, w_min = R.constants_arb(name, m, size)
    with mpmath.workdps(60):
        _, weights, h_mp = R.rule(name, m, size).at_precision()
        for ball, value in ((h, h_mp), (w_min, min(weights))):
            assert K.arb_consistent(ball, value, 30)


def test_v2_at_the_instance_is_certified_and_can_fail(monkeypatch):
    """E2.V2.amos at the instance's (ν, κ) is decided by arb balls (certified); with the Bessel ratio of the next order
    (smaller than the true one) it FAILs, certified; a FAIL of the grid claim is kept."""
    from proofs.smoothing import THEOREM
    from proofs.smoothing.claims import amos_instance_claim
    from proofs.smoothing.construction import E2Construction
    from verifier.claims import Evidence

    c = E2Construction(THEOREM.parameters(dim=2, eps="0.3", points=500))
    grid = amos_claim(PrecisionPolicy(dps=20))
    claim = amos_instance_claim(c, grid)
    assert (claim.verdict, claim.evidence) == (Verdict.PASS, Evidence.CERTIFIED) and "grid" in claim.detail
    true_ratio = K.resultant_arb
    monkeypatch.setattr(K, "resultant_arb", lambda m, kappa, bits: true_ratio(m + 2, kappa, bits))
    assert (amos_instance_claim(c, grid).verdict, amos_instance_claim(c, grid).evidence) == (Verdict.FAIL, Evidence.CERTIFIED)
    failed = grid.__class__(**{**grid.__dict__, "verdict": Verdict.FAIL})
    assert amos_instance_claim(c, failed) is failed


@pytest.mark.parametrize("name, m, size", [("gauss", 1, 17), ("gauss", 2, 9), ("partition", 1, 5), ("partition", 2, 4)])
def test_rule_areas_and_separation_in_balls(name, m, size):
    """Σ w_i − σ(S^m) in balls lies within 10⁻²⁵ of 0; a rule missing its last cell does not (control); Gauss–Legendre
    separation holds in balls."""
    from flint import arb

    gap = R.area_gap_arb(name, m, size)
    assert abs(gap) < 1e-25
    _, weights = R.rule_balls(name, m, size)
    assert not abs(gap - weights[-1]) < 1e-25
    if name == "gauss" and m == 2:
        assert R.separation_holds_arb(size) and isinstance(gap, arb)
