"""Target functions f: S^m → R^d given as sympy expressions in x0..xm, with their hypotheses.

The hypotheses of the Jackson bounds are a Lipschitz constant L (chordal metric:
‖f(x) − f(y)‖ ≤ L‖x − y‖) and a bound ‖f(x)‖ ≤ B on S^m. Both are *claimed* by the user and
*tested* here by sampling: every difference quotient ‖f(x) − f(y)‖/‖x − y‖ is a lower bound on the
true L, so a sampled quotient above L refutes the claim (the quotient is recomputed in mpmath at two
precisions). Pairs are taken along the top singular direction of the tangential Jacobian J(x)·T_x,
whose operator norm is the local Lipschitz constant, and at random.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import mpmath
import numpy as np
import sympy

from .claims import ClaimResult, Kind, Verdict, claim_le
from .domains import Sphere, normalise_rows, to_sphere_mp
from .errors import InputError
from .expressions import deep_recursion, read_expression
from .inputs import clip, parse_number
from .precision import PrecisionPolicy
from .reproducible import NUMPY, matmul, top_singular


def coordinates(m: int) -> tuple[sympy.Symbol, ...]:
    """The coordinate symbols x0, …, xm of R^(m+1) ⊃ S^m."""
    return sympy.symbols(f"x0:{m + 1}", real=True)


@dataclass(frozen=True)
class Target:
    """f(x) = (f_1(x), …, f_d(x)) on S^m with claimed Lipschitz constant L and bound B."""

    text: str
    m: int
    components: tuple[sympy.Expr, ...]
    lipschitz: sympy.Number
    bound: sympy.Number

    @classmethod
    def parse(cls, text: str, m: int, lipschitz, bound) -> "Target":
        """Read ``text`` (one expression, or a tuple/list for d > 1) in the symbols x0..xm with the safe
        reader (verifier.expressions: no eval), and the claimed L and B exactly."""
        Sphere(m)
        xs = coordinates(m)
        components = read_expression(text, {str(s): s for s in xs}, "--target")  # finite, real numbers only
        return cls(str(text), m, components, parse_number(lipschitz, "--lipschitz"), parse_number(bound, "--bound"))

    @property
    def d(self) -> int:
        return len(self.components)

    def _compile(self, expressions, modules):
        """lambdify of the already-built (reader-checked) expressions; long chains compile deep."""
        with deep_recursion():
            return sympy.lambdify(coordinates(self.m), expressions, modules=modules)

    @cached_property
    def _numpy(self):
        return self._compile(list(self.components), NUMPY)

    @cached_property
    def _mp(self):
        return self._compile(list(self.components), "mpmath")

    @cached_property
    def _jacobian_expressions(self) -> list:
        return sympy.Matrix(self.components).jacobian(coordinates(self.m)).tolist()

    @cached_property
    def _jacobian(self):
        return self._compile(self._jacobian_expressions, NUMPY)

    @cached_property
    def _jacobian_mp(self):
        return self._compile(self._jacobian_expressions, "mpmath")

    @cached_property
    def size(self) -> int:
        """The number of nodes of the expression trees (the cost of one evaluation, roughly)."""
        return sum(1 for c in self.components for _ in sympy.preorder_traversal(c))

    def numpy(self, X: np.ndarray) -> np.ndarray:
        """f at the rows of X, shape (P, d), float64 (rows that overflow in float64 recomputed in mpmath)."""
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            out = self._numpy(*X.T)
        values = np.column_stack([np.broadcast_to(np.asarray(c, dtype=float), (len(X),)) for c in out])
        return _repair_overflow(values, X, self._mp)

    def mp(self, x) -> list:
        """f(x) at the current mpmath precision, as a list of d mpf."""
        return [mpmath.mpf(v) for v in self._mp(*x)]

    def jacobian_mp(self, x) -> list[list]:
        """The ambient Jacobian ∂f/∂x at the point x at the current mpmath precision, as d rows of m+1 mpf."""
        return [[mpmath.mpf(e) for e in row] for row in self._jacobian_mp(*x)]

    def jacobian(self, X: np.ndarray) -> np.ndarray:
        """The ambient Jacobian ∂f/∂x at the rows of X, shape (P, d, m+1)."""
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            J = self._jacobian(*X.T)
        P, shape = len(X), (self.d, self.m + 1)
        flat = np.stack([np.broadcast_to(np.asarray(e, dtype=float), (P,)) for row in J for e in row], axis=1)
        return _repair_overflow(flat, X, lambda *x: [e for row in self._jacobian_mp(*x) for e in row]).reshape(P, *shape)

    def require_finite(self, X: np.ndarray) -> None:
        """Raise InputError naming a point where f is not finite (NaN/inf, e.g. log(0) or 1/0) or not real."""
        bad = ~np.all(np.isfinite(self.numpy(X)), axis=1)
        if bad.any():
            x = X[int(np.argmax(bad))]
            raise InputError(
                f"target {clip(self.text)} is not finite (or not real) at x = {np.round(x, 6).tolist()} on S^{self.m}; "
                "give a target defined (and continuous) on the whole sphere"
            )

    def require_finite_jacobian(self, X: np.ndarray, J: np.ndarray) -> None:
        """Raise InputError naming a point of X where the Jacobian J (P, d, m+1) is not finite: there f is not
        differentiable, e.g. 0**(x0**2) (1 where x0 = 0, else 0), whose derivative sympy gives as NaN."""
        bad = ~np.all(np.isfinite(J.reshape(len(J), -1)), axis=1)
        if bad.any():
            x = X[int(np.argmax(bad))]
            raise InputError(
                f"the derivative of target {clip(self.text)} is not finite at x = {np.round(x, 6).tolist()} on "
                f"S^{self.m}, so its Lipschitz constant cannot be checked; give a target that is differentiable "
                "except on a set of measure zero (e.g. Abs(x0), not 0**(x0**2))"
            )


def _repair_overflow(values: np.ndarray, X: np.ndarray, exact, dps: int = 30) -> np.ndarray:
    """Rows of ``values`` (P, k) that are not finite in float64 recomputed by ``exact`` (an mpmath
    function of the coordinates) at ``dps`` digits: exp(800·x0)·exp(−800) overflows in float64 but is
    at most 1 on the sphere. Where mpmath fails too (a pole, a complex value) the row stays NaN."""
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
    if bad.size == 0:
        return values
    values = values.copy()
    with mpmath.workdps(dps):
        for i in bad:
            try:
                row = [mpmath.mpf(v) for v in exact(*(mpmath.mpf(float(c)) for c in X[i]))]
                values[i] = [float(v) for v in row]
            except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                values[i] = np.nan
    return values


QUOTIENT_GUARD_DIGITS = 20  # a quotient over ‖x − y‖ ~ 10^−6 cancels ~6 + log10(L) digits


def _quotient_mp(target: Target, x: np.ndarray, y: np.ndarray) -> mpmath.mpf:
    """‖f(x̂) − f(ŷ)‖/‖x̂ − ŷ‖ for x̂, ŷ the normalisations of x, y, accurate to the current precision:
    the differences cancel leading digits, so they are taken with QUOTIENT_GUARD_DIGITS extra digits."""
    with mpmath.workdps(mpmath.mp.dps + QUOTIENT_GUARD_DIGITS):
        xm, ym = to_sphere_mp(x), to_sphere_mp(y)
        df = mpmath.norm([a - b for a, b in zip(target.mp(xm), target.mp(ym))])
        quotient = df / mpmath.norm([a - b for a, b in zip(xm, ym)])
    return +quotient


def check_hypotheses(target: Target, policy: PrecisionPolicy, seed: int, samples: int = 4096) -> list[ClaimResult]:
    """Sampled tests of ‖f‖ ≤ B and Lip(f) ≤ L on S^m; the witnesses are re-evaluated in mpmath.

    Raises InputError first if f is not finite at a sample.
    """
    sphere = Sphere(target.m)
    X = sphere.scan_points(samples, seed)
    # Poles of common expressions (1/x0, log(x1)) sit where coordinates vanish exactly, which a scan almost surely misses.
    target.require_finite(np.vstack([X, sphere.sign_points()]))

    # Lipschitz: tangential Jacobian J(x)·T_x; its top right-singular vector is the steepest direction.
    J = target.jacobian(X)
    target.require_finite_jacobian(X, J)
    bases = np.stack([sphere.tangent_basis(x) for x in X])
    s, v = top_singular(np.einsum("pdi,pij->pdj", J, bases))
    steep = int(np.argmax(s))
    h = 1e-6
    u = matmul(bases[steep], v[steep])
    rng = np.random.default_rng(seed + 1)
    pairs = [(X[steep], normalise_rows(X[steep] + h * u))]
    A, Bp = X[rng.integers(len(X), size=256)], X[rng.integers(len(X), size=256)]
    fa, fb = target.numpy(A), target.numpy(Bp)
    dist = np.linalg.norm(A - Bp, axis=1)
    ok = dist > 1e-9
    q = np.linalg.norm(fa - fb, axis=1)[ok] / dist[ok]
    if q.size:
        j = int(np.argmax(q))
        pairs.append((A[ok][j], Bp[ok][j]))
    quotients = [policy.at_both(lambda _d, a=a, b=b: _quotient_mp(target, a, b)) for a, b in pairs]
    k = int(np.argmax([float(hi) for _, hi in quotients]))
    lip_low, lip_high = quotients[k]
    lip_claim = claim_le(
        "H.lipschitz",
        f"f is Lipschitz on S^{target.m} with the claimed constant L = {target.lipschitz}",
        lip_high,
        target.lipschitz,
        policy.tolerance,
        Kind.HYPOTHESIS,
        f"sampled lower bound: steepest tangential Jacobian direction at {samples} points (h = {h:g}) "
        f"and 256 random pairs; quotient in mpmath at {policy.dps} and {policy.verify_dps} digits",
        witness=pairs[k][0],
        precision_agrees=policy.agree(lip_low, lip_high),
        tie=_tie("--lipschitz", target.lipschitz),
        points=samples + 256,
    )
    lip_claim = _with_fix(lip_claim, "--lipschitz")

    norms = np.linalg.norm(target.numpy(X), axis=1)
    top = int(np.argmax(norms))
    b_low, b_high = policy.at_both(lambda _d: mpmath.norm(target.mp(to_sphere_mp(X[top]))))
    bound_claim = claim_le(
        "H.bound",
        f"‖f(x)‖ ≤ B = {target.bound} on S^{target.m}",
        b_high,
        target.bound,
        policy.tolerance,
        Kind.HYPOTHESIS,
        f"sampled maximum over {samples} points, re-evaluated in mpmath at {policy.dps} and {policy.verify_dps} digits",
        witness=X[top],
        precision_agrees=policy.agree(b_low, b_high),
        tie=_tie("--bound", target.bound),
        points=samples,
    )
    return [lip_claim, _with_fix(bound_claim, "--bound")]


def _with_fix(claim: ClaimResult, option: str) -> ClaimResult:
    """A refuted hypothesis names the fix: the option and the smallest value sampling allows; a claim
    that sampling cannot separate from its value (a tight constant) says so and what to pass."""
    if claim.verdict is not Verdict.FAIL:
        return claim
    return replace(claim, detail=f"pass {option} ≥ {claim.value:.10g} (a sampled lower bound), or change the target")


def _tie(option: str, claimed) -> str:
    """What to do when a claimed constant equals the sampled value to the working precision."""
    return (f"the claimed {option} {float(claimed):.10g} equals the sampled value to the working precision, so sampling "
            f"can neither refute nor confirm it (a tight constant); pass a slightly larger {option} "
            f"(e.g. {float(claimed) * 1.000001:.10g}) to check the theorem with a margin")
