"""Tests for verifier/targets.py: parsing targets, evaluating them, and testing their hypotheses."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from verifier.claims import Kind, Verdict
from verifier.domains import Sphere
from verifier.errors import InputError
from verifier.precision import PrecisionPolicy
from verifier.targets import Target, check_hypotheses, coordinates

FAST = settings(max_examples=20, deadline=None, derandomize=True)
POLICY = PrecisionPolicy(dps=30)


# --------------------------------------------------------------------------- parsing


def test_parse_scalar_target():
    t = Target.parse("sin(2*x0)/2", 1, 1, 1)
    x0, x1 = coordinates(1)
    assert t.m == 1 and t.d == 1
    assert sympy.simplify(t.components[0] - sympy.sin(2 * x0) / 2) == 0
    assert t.lipschitz == 1 and t.bound == 1
    assert t.text == "sin(2*x0)/2"


def test_parse_vector_target():
    t = Target.parse("(x0*x1, x2)", 2, 2, 1)
    x0, x1, x2 = coordinates(2)
    assert t.d == 2
    assert t.components == (x0 * x1, x2)
    X = Sphere(2).uniform(7, 0)
    assert np.allclose(t.numpy(X), np.column_stack([X[:, 0] * X[:, 1], X[:, 2]]), atol=0, rtol=0)


def test_parse_list_target_and_constants():
    t = Target.parse("[x0, 3]", 1, 1, 3)
    X = Sphere(1).uniform(5, 1)
    out = t.numpy(X)
    assert out.shape == (5, 2)
    assert np.array_equal(out[:, 0], X[:, 0]) and np.all(out[:, 1] == 3.0)


def test_target_hypotheses_are_exact():
    t = Target.parse("x0", 1, "0.5", "1.25")
    assert t.lipschitz == sympy.Rational(1, 2) and t.bound == sympy.Rational(5, 4)


@pytest.mark.parametrize("text", ["sin(", "x0 +* 2", "(x0,", "x0)"])
def test_unparsable_target(text):
    with pytest.raises(InputError) as exc:
        Target.parse(text, 1, 1, 1)
    msg = str(exc.value)
    assert "cannot parse" in msg and repr(text) in msg
    assert "x0, x1" in msg  # names the symbols the user may use


def test_symbol_outside_dimension_mentions_dim():
    with pytest.raises(InputError) as exc:
        Target.parse("x0 + x5", 1, 1, 1)
    msg = str(exc.value)
    assert "x5" in msg and "--dim" in msg and "x0, x1" in msg


def test_unknown_symbol_is_rejected():
    with pytest.raises(InputError, match="y"):
        Target.parse("x0*y", 2, 1, 1)


def test_target_containing_infinity_is_rejected():
    with pytest.raises(InputError, match="infinite"):
        Target.parse("x0 + log(0)", 1, 1, 1)
    with pytest.raises(InputError, match="'oo' is not allowed"):
        Target.parse("x0 + oo", 1, 1, 1)


@pytest.mark.parametrize("text", ["x0 + sqrt(-1)", "(-8)**(1/3)*x0"])
def test_complex_valued_target_is_rejected(text):
    """(-8)**(1/3)*x0 was exit 4: its constant is sympy's principal root 1 + √3·i, without an I in the expression."""
    with pytest.raises(InputError, match="non-real number"):
        Target.parse(text, 1, 1, 1)


def test_a_target_whose_derivative_is_not_finite_is_bad_input():
    """0**(x0**2) is 1 where x0 = 0 and 0 elsewhere; sympy's derivative of it is NaN, and the SVD of a NaN Jacobian
    raised LinAlgError (exit 4): now refused, naming the derivative and the fix."""
    target = Target.parse("0**(x0**2)", 1, 1, 1)
    with pytest.raises(InputError, match="the derivative of target '0\\*\\*\\(x0\\*\\*2\\)' is not finite at x = "):
        check_hypotheses(target, POLICY, seed=0, samples=256)
    kink = check_hypotheses(Target.parse("Abs(x0)", 1, 2, 2), POLICY, seed=0, samples=256)  # differentiable almost
    assert [c.verdict for c in kink] == [Verdict.PASS, Verdict.PASS]  # everywhere: checked, not refused


def test_undefined_function_is_rejected_at_parse_time():
    with pytest.raises(InputError):
        Target.parse("foo(x0)", 1, 1, 1)


@pytest.mark.parametrize("value,fragment", [("0", "> 0"), ("-1", "> 0"), ("nan", "finite"), ("abc", "finite"), ("oo", "finite"), ("1/0", "finite"), ("", "positive number")])
@pytest.mark.parametrize("which", ["lipschitz", "bound"])
def test_bad_lipschitz_or_bound(value, fragment, which):
    kwargs = {"lipschitz": 1, "bound": 1, which: value}
    with pytest.raises(InputError) as exc:
        Target.parse("x0", 1, **kwargs)
    msg = str(exc.value)
    assert f"--{which}" in msg and fragment in msg


def test_bad_dimension():
    with pytest.raises(InputError, match="m ≥ 1"):
        Target.parse("x0", 0, 1, 1)


# --------------------------------------------------------------------------- not finite on the sphere


def test_require_finite_reports_the_pole():
    t = Target.parse("1/x0", 1, 1, 1)
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    with pytest.raises(InputError) as exc:
        t.require_finite(X)
    msg = str(exc.value)
    assert "not finite" in msg and "[0.0, 1.0]" in msg and "'1/x0'" in msg
    t.require_finite(X[[0, 2]])  # finite elsewhere: no error


@pytest.mark.parametrize("text", ["log(x0)", "sqrt(x1)", "1/(x0**2 + x1**2 - 1)"])
def test_check_hypotheses_rejects_target_undefined_on_sphere(text):
    with pytest.raises(InputError, match="not finite"):
        check_hypotheses(Target.parse(text, 1, 1, 1), POLICY, seed=0, samples=512)


def test_check_hypotheses_rejects_pole_on_sphere():
    with pytest.raises(InputError):
        check_hypotheses(Target.parse("1/x0", 1, 1, 1), POLICY, seed=0, samples=512)


# --------------------------------------------------------------------------- evaluation


VECTOR = "(exp(x0)*sin(3*x1) + x2**2, cos(x0*x1*x2), atan(2*x1 - x0))"


@FAST
@given(seed=st.integers(0, 2**31))
def test_numpy_and_mp_agree(seed):
    t = Target.parse(VECTOR, 2, 10, 10)
    X = Sphere(2).uniform(5, seed)
    F = t.numpy(X)
    assert F.shape == (5, 3)
    with mpmath.workdps(30):
        for x, row in zip(X, F):
            ref = t.mp([mpmath.mpf(float(v)) for v in x])
            assert len(ref) == 3
            assert all(isinstance(r, mpmath.mpf) for r in ref)
            for a, b in zip(row, ref):
                assert abs(a - b) <= 1e-14 * max(1, abs(b))
    assert mpmath.mp.dps == 15


def test_mp_evaluation_uses_current_precision():
    t = Target.parse("sin(2*x0)/2", 1, 1, 1)
    with mpmath.workdps(50):
        v50 = t.mp([mpmath.mpf(1) / 3, mpmath.sqrt(8) / 3])[0]
        exact = mpmath.sin(mpmath.mpf(2) / 3) / 2
        assert abs(v50 - exact) < mpmath.mpf(10) ** -48


@FAST
@given(seed=st.integers(0, 2**31))
def test_jacobian_agrees_with_finite_differences(seed):
    t = Target.parse(VECTOR, 2, 10, 10)
    X = Sphere(2).uniform(4, seed)
    J = t.jacobian(X)
    assert J.shape == (4, 3, 3)
    h = 1e-6
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        fd = (t.numpy(X + e) - t.numpy(X - e)) / (2 * h)
        assert np.max(np.abs(J[:, :, j] - fd)) < 1e-7


def test_jacobian_of_constant_and_linear_components():
    t = Target.parse("(x0*x1, 3, 2*x1)", 1, 1, 3)
    X = Sphere(1).uniform(6, 2)
    J = t.jacobian(X)
    assert J.shape == (6, 3, 2)
    assert np.allclose(J[:, 0, 0], X[:, 1]) and np.allclose(J[:, 0, 1], X[:, 0])
    assert np.all(J[:, 1, :] == 0)
    assert np.all(J[:, 2, 0] == 0) and np.all(J[:, 2, 1] == 2)


# --------------------------------------------------------------------------- hypotheses check


def _by_id(results):
    return {r.id: r for r in results}


def test_check_hypotheses_pass():
    results = _by_id(check_hypotheses(Target.parse("sin(2*x0)/2", 1, 1, 1), POLICY, seed=0, samples=2048))
    assert set(results) == {"H.lipschitz", "H.bound"}
    lip, bnd = results["H.lipschitz"], results["H.bound"]
    assert lip.verdict is Verdict.PASS and bnd.verdict is Verdict.PASS
    assert lip.kind is Kind.HYPOTHESIS and bnd.kind is Kind.HYPOTHESIS
    # the sampled quotient is a lower bound of the true constant 1 and comes close to it
    assert 0.99 < lip.value <= 1.0
    assert lip.bound == 1.0 and bnd.bound == 1.0
    # max |sin(2 x0)/2| on S^1 is 1/2 (at x0 = π/4); the scan comes within ~1e-7 of it
    assert 0.5 - 1e-6 < bnd.value <= 0.5
    for r in (lip, bnd):
        assert abs(np.linalg.norm(r.witness) - 1) < 1e-12
        assert str(POLICY.dps) in r.method and str(POLICY.verify_dps) in r.method


def test_check_hypotheses_false_lipschitz_constant_fails():
    # negative control: sin(30 x0) has Lipschitz constant 30, not 3
    results = _by_id(check_hypotheses(Target.parse("sin(30*x0)", 1, 3, 1), POLICY, seed=0, samples=2048))
    lip = results["H.lipschitz"]
    assert lip.verdict is Verdict.FAIL
    assert lip.value >= 29 and lip.value <= 30 + 1e-9
    assert lip.bound == 3.0
    assert lip.witness is not None
    assert results["H.bound"].verdict is Verdict.PASS


def test_check_hypotheses_false_bound_fails():
    # negative control: ‖2 x0‖ reaches 2 > B = 1 at x = (±1, 0); L = 2 is true
    results = _by_id(check_hypotheses(Target.parse("2*x0", 1, 2, 1), POLICY, seed=0, samples=2048))
    bnd = results["H.bound"]
    assert bnd.verdict is Verdict.FAIL
    assert bnd.value == pytest.approx(2.0, rel=1e-9)
    assert abs(abs(bnd.witness[0]) - 1) < 1e-9
    assert results["H.lipschitz"].verdict is Verdict.PASS
    assert Verdict.combine(r.verdict for r in results.values()) is Verdict.FAIL


def test_check_hypotheses_vector_target_on_s2():
    # f = (x0*x1, x2): ‖f‖ ≤ 1, Lipschitz ≤ 2; claim L = 0.5 is false
    t_ok = Target.parse("(x0*x1, x2)", 2, 2, 1)
    t_bad = Target.parse("(x0*x1, x2)", 2, "0.5", 1)
    ok = _by_id(check_hypotheses(t_ok, POLICY, seed=3, samples=1024))
    bad = _by_id(check_hypotheses(t_bad, POLICY, seed=3, samples=1024))
    assert ok["H.lipschitz"].verdict is Verdict.PASS and ok["H.bound"].verdict is Verdict.PASS
    assert bad["H.lipschitz"].verdict is Verdict.FAIL and bad["H.lipschitz"].value > 0.9


def test_check_hypotheses_is_deterministic():
    t = Target.parse("(sin(5*x0), x1*x2)", 2, 6, 2)
    a = check_hypotheses(t, POLICY, seed=11, samples=1024)
    b = check_hypotheses(Target.parse("(sin(5*x0), x1*x2)", 2, 6, 2), POLICY, seed=11, samples=1024)
    assert a == b
    assert [r.to_json() for r in a] == [r.to_json() for r in b]


def test_check_hypotheses_restores_precision():
    check_hypotheses(Target.parse("x0", 1, 1, 1), PrecisionPolicy(dps=40), seed=0, samples=256)
    assert mpmath.mp.dps == 15
