"""Locally refined sampled maxima (the tie rule's evidence): q_B = ‖f‖ and q_L = ‖Df(x)P_x‖_op in mpmath."""
from __future__ import annotations

import mpmath
import pytest

from verifier.domains import to_sphere_mp
from verifier.precision import PrecisionPolicy
from verifier.refine import norm_quantity, refine_maximum, slope_quantity
from verifier.targets import Target

POLICY = PrecisionPolicy(dps=30)


def test_slope_is_the_tangential_derivative():
    """f = sin(2·x0)/2 on S¹: along the tangent (−x1, x0) the derivative is −x1·cos(2·x0), so q_L = |x1·cos(2·x0)|;
    the radial part of the gradient (cos 2x0, 0) is projected away (q_L(1, 0) = 0, not 1)."""
    q = slope_quantity(Target.parse("sin(2*x0)/2", 1, 1, 1))
    with mpmath.workdps(40):
        for t in (mpmath.mpf("0.3"), mpmath.mpf("1.1"), mpmath.mpf(0)):
            x = [mpmath.cos(t), mpmath.sin(t)]
            assert abs(q(x) - abs(x[1] * mpmath.cos(2 * x[0]))) < mpmath.mpf(10) ** -35
        assert q([mpmath.mpf(1), mpmath.mpf(0)]) == 0


def test_jacobian_of_a_vector_target_in_mpmath():
    target = Target.parse("(x0*x1, x2/2)", 2, 1, 1)
    with mpmath.workdps(30):
        assert target.jacobian_mp([mpmath.mpf(2), mpmath.mpf(3), mpmath.mpf(5)]) == [[3, 2, 0], [0, 0, mpmath.mpf(1) / 2]]


def test_refinement_reaches_the_peak_of_a_narrow_bump():
    """0.5·exp(−10⁵(x0 − 0.3)²): from a point 10⁻³ off the peak the polish reaches 0.5 to the working precision."""
    start = [0.301, (1 - 0.301**2) ** 0.5]
    refined = refine_maximum(norm_quantity(Target.parse("0.5*exp(-100000*(x0-0.3)**2)", 1, 1, 1)), start, 1, POLICY)
    assert refined.agrees_with_check and abs(refined.value - mpmath.mpf("0.5")) < POLICY.tolerance
    assert refined.point[0] == pytest.approx(0.3, abs=1e-9)


def test_a_refined_value_is_a_value_at_a_point_never_above_the_sup():
    """The negative control: whatever the start, the refined value is f at a point (≤ the true sup 1/2 of x0*x1 on S¹);
    from a start far from both peaks it need not reach the sup."""
    target = Target.parse("x0*x1", 1, 1, 1)
    for start in ([1.0, 0.0], [0.6, 0.8], [-0.1, 0.995]):
        refined = refine_maximum(norm_quantity(target), start, 1, POLICY)
        with mpmath.workdps(60):
            x = to_sphere_mp(refined.point)
            assert refined.value <= mpmath.mpf(1) / 2 and abs(refined.value - abs(x[0] * x[1])) < mpmath.mpf(10) ** -12
