"""The E1 formulas (one sympy expression each) and the symbolic claims P1.via-E1, P2.via-E1."""
import math

import pytest
import sympy

from proofs.single_head import formulas as F
from verifier.claims import Verdict


def at(expr, m, eps, more=None, L=1, B=1, T=1):
    return expr.subs({F.m: m, F.eps: sympy.Rational(eps), F.L: L, F.B: B, F.T: T, F.V_c: 0, **(more or {})})


@pytest.mark.parametrize("m, eps, n, N", [(1, "1/20", 57, 228), (2, "3/10", 14, 1178), (3, "1", 5, 1040), (3, "1/2", 10, 8080)])
def test_grid_size_and_prefix_length(m, eps, n, N):
    assert at(F.CELLS, m, eps) == n
    assert at(F.PREFIX_LENGTH, m, eps, {F.n: n}) == N
    assert N <= at(F.PREFIX_LENGTH_BOUND, m, eps, {F.n: n})


def test_cells_is_exact_at_an_integer_boundary():
    """√m/δ = 40 exactly for m = 1, ε·... : ⌈40⌉ = 40, not 41 from rounding."""
    eps = sympy.Rational(1, 20) * sympy.sqrt(2)  # δ = ε/(2√2) = 1/40
    assert F.CELLS.subs({F.m: 1, F.eps: eps, F.L: 1}) == 40


def test_temperature_matches_the_spec_example():
    lam = float(at(F.TEMPERATURE, 1, "1/20", {F.N: 228}))
    assert lam == pytest.approx(4 / 0.025**2 * math.log(8 * 228 / 0.05), rel=1e-14)
    assert 6.7e4 <= lam < 6.75e4  # docs/single-head.md: λ = 6.723·10⁴


def test_offset_is_zero_when_lambda_dominates_and_positive_otherwise():
    assert at(F.OFFSET, 1, "1/20", {F.lam: 67228}) == 0
    small = at(F.OFFSET, 1, "1/20", {F.lam: 1})
    assert small.is_positive


def test_budget_identity_and_its_negative_control():
    assert F.budget_identity_claim().verdict is Verdict.PASS
    wrong = 2 / F.R**2 * sympy.log(8 * F.B * F.N / F.eps)  # λ with 2/r² instead of 4/r²
    claim = F.budget_identity_claim(temperature=wrong)
    assert claim.verdict is Verdict.FAIL and "non-zero residuals" in claim.detail


@pytest.mark.parametrize("m", [1, 2, 3])
def test_rate_inside_p2_and_its_negative_control(m):
    claim = F.rate_claim(m, 1)
    assert claim.verdict is Verdict.PASS and f"ε^−{4 * m * m + 14 * m + 10}" in claim.statement
    assert F.rate_claim(m, 1, exponent=m - 1).verdict is Verdict.FAIL  # faster than E1's own ε^−m
