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
from sympy.core.function import AppliedUndef

from .claims import ClaimResult, Kind, Verdict, claim_le
from .domains import CubeSurfaceGrid, Sphere, normalise_rows, to_sphere_mp
from .errors import InputError
from .inputs import parse_number
from .precision import PrecisionPolicy


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
        """Parse ``text`` (one expression, or a tuple/list for d > 1) in the symbols x0..xm."""
        Sphere(m)
        xs = coordinates(m)
        names = {str(s): s for s in xs}
        try:
            parsed = sympy.parse_expr(str(text), local_dict=names)
        except Exception as exc:  # sympy raises many types for bad syntax
            raise InputError(
                f"cannot parse target {text!r} ({type(exc).__name__}: {exc}); "
                f"write a sympy expression in {', '.join(names)}, e.g. 'sin(2*x0)/2'"
            ) from None
        components = tuple(sympy.sympify(c) for c in parsed) if isinstance(parsed, (tuple, list, sympy.Tuple)) else (sympy.sympify(parsed),)
        if not components:
            raise InputError("the target has no components; give at least one expression")
        for c in components:
            if not isinstance(c, sympy.Expr):
                raise InputError(f"target component {c!r} is not an expression in {', '.join(names)}")
            extra = sorted(str(s) for s in c.free_symbols if s not in xs)
            if extra:
                raise InputError(
                    f"target uses {', '.join(extra)} but on S^{m} the coordinates are {', '.join(names)}; "
                    f"rewrite the target or pass a larger --dim"
                )
            unknown = sorted(str(f.func) for f in c.atoms(AppliedUndef))
            if unknown:
                raise InputError(f"target uses unknown function(s) {', '.join(unknown)}; use sympy functions "
                                 "such as sin, cos, exp, log, sqrt, Abs")
            if c.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
                raise InputError(f"target component {c} contains NaN or infinity; give a finite expression")
        return cls(str(text), m, components, parse_number(lipschitz, "--lipschitz"), parse_number(bound, "--bound"))

    @property
    def d(self) -> int:
        return len(self.components)

    @cached_property
    def _numpy(self):
        return sympy.lambdify(coordinates(self.m), list(self.components), modules="numpy")

    @cached_property
    def _mp(self):
        return sympy.lambdify(coordinates(self.m), list(self.components), modules="mpmath")

    @cached_property
    def _jacobian(self):
        xs = coordinates(self.m)
        jac = sympy.Matrix(self.components).jacobian(xs)
        return sympy.lambdify(xs, jac.tolist(), modules="numpy")

    def numpy(self, X: np.ndarray) -> np.ndarray:
        """f at the rows of X, shape (P, d), float64."""
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            out = self._numpy(*X.T)
        return np.column_stack([np.broadcast_to(np.asarray(c, dtype=float), (len(X),)) for c in out])

    def mp(self, x) -> list:
        """f(x) at the current mpmath precision, as a list of d mpf."""
        return [mpmath.mpf(v) for v in self._mp(*x)]

    def jacobian(self, X: np.ndarray) -> np.ndarray:
        """The ambient Jacobian ∂f/∂x at the rows of X, shape (P, d, m+1)."""
        with np.errstate(all="ignore"):
            J = self._jacobian(*np.asarray(X, dtype=float).T)
        P = len(X)
        return np.stack([np.stack([np.broadcast_to(np.asarray(e, dtype=float), (P,)) for e in row], axis=-1) for row in J], axis=1)

    def require_finite(self, X: np.ndarray) -> None:
        """Raise InputError naming a point where f is not finite (NaN/inf, e.g. log(0) or 1/0)."""
        values = self.numpy(X)
        bad = ~np.all(np.isfinite(values), axis=1)
        if bad.any():
            x = X[int(np.argmax(bad))]
            raise InputError(
                f"target {self.text!r} is not finite at x = {np.round(x, 6).tolist()} on S^{self.m}; "
                "give a target defined (and continuous) on the whole sphere"
            )


def _quotient_mp(target: Target, x: np.ndarray, y: np.ndarray) -> mpmath.mpf:
    """‖f(x̂) − f(ŷ)‖/‖x̂ − ŷ‖ for x̂, ŷ the normalisations of x, y at the current precision."""
    xm, ym = to_sphere_mp(x), to_sphere_mp(y)
    df = mpmath.norm([a - b for a, b in zip(target.mp(xm), target.mp(ym))])
    return df / mpmath.norm([a - b for a, b in zip(xm, ym)])


def check_hypotheses(target: Target, policy: PrecisionPolicy, seed: int, samples: int = 4096) -> list[ClaimResult]:
    """Sampled tests of ‖f‖ ≤ B and Lip(f) ≤ L on S^m; the witnesses are re-evaluated in mpmath.

    Raises InputError first if f is not finite at a sample.
    """
    sphere = Sphere(target.m)
    X = sphere.scan_points(samples, seed)
    # Poles of common expressions (1/x0, log(x1)) sit where coordinates vanish exactly: the points of a
    # coarse cube-surface grid have exact zeros, which a scan almost surely misses.
    target.require_finite(np.vstack([X, CubeSurfaceGrid.build(target.m, 2).sphere_points()]))

    # Lipschitz: tangential Jacobian J(x)·T_x; its top right-singular vector is the steepest direction.
    J = target.jacobian(X)
    bases = np.stack([sphere.tangent_basis(x) for x in X])
    _, s, vt = np.linalg.svd(J @ bases)
    steep = int(np.argmax(s[:, 0]))
    h = 1e-6
    u = bases[steep] @ vt[steep, 0]
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
    )
    return [lip_claim, _with_fix(bound_claim, "--bound")]


def _with_fix(claim: ClaimResult, option: str) -> ClaimResult:
    """A refuted hypothesis names the fix: the option and the smallest value sampling allows."""
    if claim.verdict is not Verdict.FAIL:
        return claim
    return replace(claim, detail=f"pass {option} ≥ {claim.value:.10g} (a sampled lower bound), or change the target")
