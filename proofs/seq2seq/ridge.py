"""Targets in ridge form g_j(x) = Σ_{q=1}^{Q} Φ_{j,q}(Σ_{p=1}^{n} ψ_{p,q}(x_p)) on [0,1]^n, with their hypotheses.

A ridge form lists the univariate ψ_{p,q}, Φ_{j,q} as sympy expressions in the symbol :data:`T`, the claimed
Lipschitz constants Lip(ψ_{·,q}) on [0,1] and Lip(Φ_{·,q}) on the domain D_q = [S_min,q − ρ, S_max,q + ρ]
(ρ = formulas.MARGIN), and the target g_j written directly in x_1..x_n (checked against the form).
The range of an inner sum follows from the hypotheses: ψ_{p,q}([0,1]) ⊆ [ψ_{p,q}(½) − L/2, ψ_{p,q}(½) + L/2]
(and {0} where ψ_{p,q} = 0), so S_q = Σ_p ψ_{p,q}(x_p) ∈ [S_min,q, S_max,q].

Shipped targets (for n ≥ 1; each Q is what its form needs, the inner sums being shared by all outputs j):

* ``neighbour-products``: g_j = x_j·x_{j+1} (cyclic, x_{n+1} = x_1), by polarisation
  x_a x_b = ¼(x_a + x_b)² − ¼(x_a − x_b)²: two terms per distinct neighbour pair, Q = 2n for n ≥ 3, Q = 2 for n ≤ 2.
* ``mean-sine``: g_j = (1/n)Σ_p x_p + ¼·sin(2πx_j): one mean term plus one term per position, Q = n + 1.
* ``running-mean``: g_j = (1/j)Σ_{p≤j} x_p (causal): term k sums x_1..x_k and Φ_{k,k}(s) = s/k, Q = n.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Optional

import mpmath
import numpy as np
import sympy
from sympy.calculus.util import maximum, minimum

from verifier.ball import CannotCertify, compile_arb, interval
from verifier.claims import ClaimResult, Kind, Verdict, claim_le, claim_le_certified
from verifier.errors import InputError
from verifier.expressions import read_expression
from verifier.inputs import parse_number
from verifier.precision import PrecisionPolicy
from verifier.reproducible import NUMPY

from .choices import TARGETS
from .formulas import MARGIN

T = sympy.Symbol("t", real=True)
HALF = sympy.Rational(1, 2)
LIPSCHITZ_SAMPLES = 4096
EXACT_OPS = 12  # larger functions get only the sampled Lipschitz test
CONTINUITY_DEPTH = 40  # halvings of an interval after which a piece whose enclosure is not finite is reported
CONTINUITY_PIECES = 4096  # pieces examined before continuity counts as not proved


def values_numpy(f: sympy.Expr, t: np.ndarray, symbol: sympy.Symbol = T) -> np.ndarray:
    """f at the points t in float64, as an array of t's shape (also for a constant f)."""
    return np.broadcast_to(np.asarray(sympy.lambdify(symbol, f, NUMPY)(t), float), np.shape(t))


def sequence_symbols(n: int) -> tuple[sympy.Symbol, ...]:
    return sympy.symbols(f"x1:{n + 1}", real=True)


@dataclass(frozen=True)
class RidgeForm:
    """g_j = Σ_q Φ_{j,q}(Σ_p ψ_{p,q}(x_p)); ``inner[q][p]`` = ψ_{p+1,q+1}, ``outer[q][j]`` = Φ_{j+1,q+1} (0-based)."""

    name: str
    n: int
    inner: tuple[tuple[sympy.Expr, ...], ...]
    outer: tuple[tuple[sympy.Expr, ...], ...]
    lip_inner: tuple[sympy.Rational, ...]
    lip_outer: tuple[sympy.Rational, ...]
    target: tuple[sympy.Expr, ...]

    def __post_init__(self) -> None:
        Q = len(self.inner)
        if Q < 1 or len(self.outer) != Q or len(self.lip_inner) != Q or len(self.lip_outer) != Q:
            raise InputError(f"ridge form {self.name!r}: give Q ≥ 1 inner sums and, for each, its outer functions and both "
                             f"Lipschitz constants; got {len(self.inner)} inner, {len(self.outer)} outer, "
                             f"{len(self.lip_inner)}/{len(self.lip_outer)} constants")
        for q, (psi, phi) in enumerate(zip(self.inner, self.outer), start=1):
            if len(psi) != self.n:
                raise InputError(f"ridge form {self.name!r}, term q = {q}: {len(psi)} inner functions ψ_(p,q) for a sequence of "
                                 f"length n = {self.n}; give exactly one per input position")
            if len(phi) != self.n:
                raise InputError(f"ridge form {self.name!r}, term q = {q}: output length {len(phi)} differs from n = {self.n}; "
                                 "a sequence-to-sequence map needs one outer function Φ_(j,q) per output position j")
            for f in (*psi, *phi):
                if not f.free_symbols <= {T}:
                    raise InputError(f"ridge form {self.name!r}: {f} uses {sorted(map(str, f.free_symbols - {T}))}; "
                                     "univariate functions are written in t")
        if len(self.target) != self.n:
            raise InputError(f"ridge form {self.name!r}: the target has {len(self.target)} outputs, but n = {self.n}")
        if any(L < 0 for L in (*self.lip_inner, *self.lip_outer)):
            raise InputError(f"ridge form {self.name!r}: Lipschitz constants must be ≥ 0")

    def require_finite(self) -> None:
        """InputError naming a ψ_{p,q} (on [0,1]) or Φ_{j,q} (on D_q) that is not finite at a point of the grid
        of LIPSCHITZ_SAMPLES + 1 points k/LIPSCHITZ_SAMPLES of its interval (which holds ½, ¼, … exactly)."""
        for q in range(self.Q):
            for symbol, functions, (lo, hi) in (("ψ", self.inner[q], (0, 1)), ("Φ", self.outer[q], self.outer_domain(q))):
                t = float(lo) + (float(hi) - float(lo)) * np.arange(LIPSCHITZ_SAMPLES + 1) / LIPSCHITZ_SAMPLES
                for k, f in enumerate(functions, start=1):
                    with np.errstate(all="ignore"):
                        values = values_numpy(f, t)
                    bad = ~np.isfinite(values)
                    if bad.any():
                        raise InputError(f"ridge form {self.name!r}: {symbol}_({k},{q + 1}) = {f} is not finite at t = "
                                         f"{t[int(np.argmax(bad))]:.6g} in [{lo}, {hi}]; give functions that are finite and "
                                         "Lipschitz on the whole interval")

    @property
    def Q(self) -> int:
        return len(self.inner)

    def inner_range(self, q: int) -> tuple[sympy.Rational, sympy.Rational]:
        """[S_min, S_max] ∋ Σ_p ψ_{p,q}(x_p) from ψ(½) ± Lip/2 (q 0-based)."""
        lo = hi = sympy.Integer(0)
        for psi in self.inner[q]:
            if psi != 0:
                centre = psi.subs(T, HALF)
                lo, hi = lo + centre - self.lip_inner[q] / 2, hi + centre + self.lip_inner[q] / 2
        return sympy.nsimplify(lo), sympy.nsimplify(hi)

    def outer_domain(self, q: int) -> tuple[sympy.Rational, sympy.Rational]:
        """D_q = [S_min − ρ, S_max + ρ], where Lip(Φ_{·,q}) is claimed."""
        lo, hi = self.inner_range(q)
        return lo - MARGIN, hi + MARGIN

    def composed(self, x) -> list[sympy.Expr]:
        """Σ_q Φ_{j,q}(Σ_p ψ_{p,q}(x_p)) for j = 1..n, symbolically."""
        return compose(self.inner, self.outer, x)


def compose(inner, outer, x) -> list[sympy.Expr]:
    """g_j(x) = Σ_q Φ_{j,q}(Σ_p ψ_{p,q}(x_p)) from the lists of inner and outer functions in t."""
    sums = [sum(psi.subs(T, xp) for psi, xp in zip(inner_q, x)) for inner_q in inner]
    return [sum(outer_q[j].subs(T, s) for outer_q, s in zip(outer, sums)) for j in range(len(x))]


# ---------------------------------------------------------------------------------------------
def neighbour_products(n: int) -> RidgeForm:
    pairs = sorted({tuple(sorted((j, (j + 1) % n))) for j in range(n)})
    inner, outer, lip_inner, lip_outer = [], [], [], []
    for a, b in pairs:
        uses = [tuple(sorted((j, (j + 1) % n))) == (a, b) for j in range(n)]
        for sign in (1, -1):
            coefficients = [int(p == a) + sign * int(p == b) for p in range(n)]
            inner.append(tuple(c * T for c in coefficients))
            outer.append(tuple(sign * T**2 / 4 if used else sympy.Integer(0) for used in uses))
            lip_inner.append(sympy.Integer(max(abs(c) for c in coefficients)))
            lo = sum(min(c, 0) for c in coefficients) - MARGIN
            hi = sum(max(c, 0) for c in coefficients) + MARGIN
            lip_outer.append(max(abs(lo), abs(hi)) / 2)  # |d/ds (±s²/4)| = |s|/2 on D_q
    x = sequence_symbols(n)
    return RidgeForm("neighbour-products", n, tuple(inner), tuple(outer), tuple(lip_inner), tuple(lip_outer),
                     tuple(x[j] * x[(j + 1) % n] for j in range(n)))


def mean_sine(n: int) -> RidgeForm:
    zero = sympy.Integer(0)
    inner = [tuple(T / n for _ in range(n))] + [tuple(T if p == k else zero for p in range(n)) for k in range(n)]
    outer = [tuple(T for _ in range(n))] + [tuple(sympy.sin(2 * sympy.pi * T) / 4 if j == k else zero for j in range(n))
                                            for k in range(n)]
    lip_outer = [sympy.Integer(1)] + [sympy.Rational(8, 5)] * n  # |d/ds sin(2πs)/4| ≤ π/2 < 8/5
    x = sequence_symbols(n)
    return RidgeForm("mean-sine", n, tuple(inner), tuple(outer), (sympy.Rational(1, n),) + (sympy.Integer(1),) * n,
                     tuple(lip_outer), tuple(sum(x) / n + sympy.sin(2 * sympy.pi * xj) / 4 for xj in x))


def running_mean(n: int) -> RidgeForm:
    zero = sympy.Integer(0)
    inner = [tuple(T if p <= k else zero for p in range(n)) for k in range(n)]
    outer = [tuple(T / (k + 1) if j == k else zero for j in range(n)) for k in range(n)]
    x = sequence_symbols(n)
    return RidgeForm("running-mean", n, tuple(inner), tuple(outer), (sympy.Integer(1),) * n,
                     tuple(sympy.Rational(1, k + 1) for k in range(n)), tuple(sum(x[: j + 1]) / (j + 1) for j in range(n)))


def typed_form(n: int, psi: str, phi: str, lip_psi: str, lip_phi: str) -> RidgeForm:
    """A ridge form typed by the user, read by the safe reader (no eval): ``psi`` and ``phi`` are Q terms
    separated by ';', each a tuple of n expressions in t (ψ_{1,q}..ψ_{n,q}, resp. Φ_{1,q}..Φ_{n,q}); ``lip_psi``
    and ``lip_phi`` are Q claimed Lipschitz constants separated by ','. The target is the form itself."""
    terms = {}
    for option, text in (("--psi", psi), ("--phi", phi)):
        parts = [part for part in text.split(";")]
        if any(not part.strip() for part in parts):
            raise InputError(f"{option} has an empty term; write Q terms separated by ';', each a tuple of n expressions in t")
        terms[option] = [read_expression(part, {"t": T}, option) for part in parts]
    Q = len(terms["--psi"])
    if len(terms["--phi"]) != Q:
        raise InputError(f"--psi has {Q} terms but --phi has {len(terms['--phi'])}; give one outer tuple per inner sum")
    constants = {}
    for option, text in (("--lip-psi", lip_psi), ("--lip-phi", lip_phi)):
        values = [parse_number(v.strip(), option) for v in text.split(",")]
        if len(values) != Q:
            raise InputError(f"{option} has {len(values)} constants for Q = {Q} terms; give one per term, separated by ','")
        constants[option] = tuple(values)
    inner, outer = tuple(terms["--psi"]), tuple(terms["--phi"])
    target = tuple(compose(inner, outer, sequence_symbols(n))) if all(len(o) == n for o in outer) else ()
    return RidgeForm("typed", n, inner, outer, constants["--lip-psi"], constants["--lip-phi"], target)


SHIPPED: dict[str, Callable[[int], RidgeForm]] = {
    "neighbour-products": neighbour_products,
    "mean-sine": mean_sine,
    "running-mean": running_mean,
}
if tuple(SHIPPED) != TARGETS:  # the option --target reads choices.TARGETS
    raise ImportError(f"proofs.seq2seq.choices.TARGETS {TARGETS} must list ridge.SHIPPED's keys {tuple(SHIPPED)} in order")


# ---------------------------------------------------------------------------------------------
def _sampled_lipschitz(functions, lo, hi, policy: PrecisionPolicy) -> tuple[mpmath.mpf, mpmath.mpf, float]:
    """The largest difference quotient |f(t') − f(t)|/|t' − t| over neighbouring points of a grid of
    LIPSCHITZ_SAMPLES points on [lo, hi], for every f (a lower bound on max Lip f), recomputed in mpmath
    at both precisions at the steepest pair; returns (working, check, t)."""
    t = float(lo) + (float(hi) - float(lo)) * np.arange(LIPSCHITZ_SAMPLES + 1) / LIPSCHITZ_SAMPLES
    best = (-1.0, None, 0)
    for f in functions:
        if f == 0:
            continue
        values = values_numpy(f, t)
        quotients = np.abs(np.diff(values)) / np.diff(t)
        k = int(np.argmax(quotients))
        if quotients[k] > best[0]:
            best = (float(quotients[k]), f, k)
    if best[1] is None:
        return mpmath.mpf(0), mpmath.mpf(0), float(lo)
    _, f, k = best
    fm = sympy.lambdify(T, f, "mpmath")

    def quotient(_dps):
        a, b = mpmath.mpf(float(t[k])), mpmath.mpf(float(t[k + 1]))
        return abs(fm(b) - fm(a)) / (b - a)

    low, high = policy.at_both(quotient)
    return low, high, float(t[k])


def undefined_piece(f: sympy.Expr, lo, hi) -> Optional[tuple[float, float]]:
    """None when f is proved continuous on [lo, hi]: its ball enclosure (verifier.ball.compile_arb) is finite on every
    piece of a bisection of the interval (at most CONTINUITY_PIECES pieces). Every function the ball compiler knows,
    except sign and Heaviside, is continuous where it is defined, and a finite enclosure shows f defined on the whole
    piece. Else a piece [a, b] on which the enclosure is still not finite after CONTINUITY_DEPTH halvings (a pole
    or a jump there, such as tan's at π/2 inside atan(tan t)), or the whole interval when the piece budget runs
    out, f has a sign/Heaviside node, or the compiler does not know one of its functions."""
    whole = (math.nextafter(float(lo), -math.inf), math.nextafter(float(hi), math.inf))
    if f.has(sympy.sign, sympy.Heaviside):
        return whole
    try:
        enclose = compile_arb(f, (T,))
    except CannotCertify:
        return whole
    pieces, examined = [(*whole, 0)], 0
    while pieces:
        a, b, depth = pieces.pop()
        examined += 1
        if enclose([interval(a, b)]).is_finite():
            continue
        if depth == CONTINUITY_DEPTH:
            return a, b
        if examined > CONTINUITY_PIECES:
            return whole
        mid = (a + b) / 2
        pieces += [(a, mid, depth + 1), (mid, b, depth + 1)]
    return None


def exact_lipschitz(functions, lo, hi) -> tuple[Optional[sympy.Expr], Optional[tuple[float, float]]]:
    """(max_f sup_{[lo, hi]} |f'| computed by sympy, None): the Lipschitz constant of continuous, piecewise-C¹
    functions. (None, piece) when an f is not proved continuous (:func:`undefined_piece`, which returns the piece:
    sympy's derivative simplifies, e.g. d/dt atan(tan t) = (1 + tan²t)/(1 + tan²t) = 1, which is f' only where f is
    defined); (None, None) when sympy cannot find the maximum (a non-elementary f, or one with more than EXACT_OPS
    operations, for which sympy's search may not end). Then only sampling is possible."""
    for f in set(functions):
        piece = undefined_piece(f, lo, hi)
        if piece is not None:
            return None, piece
    if any(sympy.count_ops(f) > EXACT_OPS for f in functions):
        return None, None
    domain = sympy.Interval(lo, hi)
    best = sympy.Integer(0)
    for f in set(functions):
        try:
            d = sympy.diff(f, T)
            top, bottom = maximum(d, T, domain), minimum(d, T, domain)
        except (NotImplementedError, ValueError, TypeError):
            return None, None
        if not (top.is_number and bottom.is_number and top.is_finite and bottom.is_finite):
            return None, None
        best = sympy.Max(best, top, -bottom)
    return best, None


def check_hypotheses(form: RidgeForm, policy: PrecisionPolicy) -> list[ClaimResult]:
    """The claimed Lip(ψ_{·,q}) on [0,1] and Lip(Φ_{·,q}) on D_q, one claim each per term: from max |f'| where sympy
    finds it for continuous f (:func:`claim_le_certified`: exact when equal, else certified), else a sampled lower
    bound, which can refute a claim, never prove it: INCONCLUSIVE, not PASS, where f's enclosure is not finite."""
    claims = []
    for q in range(form.Q):
        for kind, functions, (lo, hi), claimed, symbol in (
            ("inner", form.inner[q], (sympy.Integer(0), sympy.Integer(1)), form.lip_inner[q], "ψ"),
            ("outer", form.outer[q], form.outer_domain(q), form.lip_outer[q], "Φ"),
        ):
            cid = f"H.lipschitz.{kind}.q{q + 1}"
            statement = f"{symbol}_(·,{q + 1}) is Lipschitz on [{lo}, {hi}] with the claimed constant {claimed}"
            exact, undefined = exact_lipschitz(functions, lo, hi)
            if exact is not None:
                claim = claim_le_certified(cid, statement, exact, claimed, Kind.HYPOTHESIS,
                                           f"sympy maximum of |f'| on the interval = {exact}")
            else:
                low, high, at = _sampled_lipschitz(functions, lo, hi, policy)
                claim = claim_le(cid, statement, high, claimed, policy.tolerance, Kind.HYPOTHESIS,
                                 f"sampled lower bound: difference quotients on a grid of {LIPSCHITZ_SAMPLES + 1} points, the steepest "
                                 f"one recomputed in mpmath at {policy.dps} and {policy.verify_dps} digits",
                                 witness=(at,), precision_agrees=policy.agree(low, high))
                if claim.verdict is Verdict.PASS and undefined is not None:
                    claim = replace(claim, verdict=Verdict.INCONCLUSIVE, detail=(
                        f"{symbol}_(·,{q + 1}) has no finite enclosure on [{undefined[0]:.10g}, {undefined[1]:.10g}]: a pole or "
                        "a jump there (or a function whose continuity cannot be shown), so no Lipschitz constant is proved; "
                        "the sampled quotients only failed to refute it"))
            if claim.verdict is Verdict.FAIL:
                claim = replace(claim, detail=f"claim a Lipschitz constant ≥ {claim.value:.10g} for {symbol}_(·,{q + 1}) on "
                                              f"[{lo}, {hi}], or change the form")
            claims.append(claim)
    return claims
