"""E1: the explicit single-head Jackson bound on the H0 head (CLAIMS.md, sections H0, E1, P1, P2).

Given m ≥ 1, f: S^m → R^d with ‖f‖ ≤ B and Lipschitz constant L, T content tokens of value norm
≤ V_c (V_c = 0 for H0) and ε ∈ (0, 4L]:

    r = ε/(2L),  δ = r/√2,  n = ⌈√m/δ⌉,  N = (n+1)^(m+1) − (n−1)^(m+1),
    p_i = the normalised points of {−1, −1+2/n, …, 1}^(m+1) on the cube's surface,
    λ = (4/r²)·ln(8BN/ε),   β = max(0, 2 + ln(4T(B+V_c)/ε) − λ(1 − δ²/2)),
    prefix token i = (λ p_i, β, f(p_i)).

Claim: sup_{x∈S^m} ‖H(x) − f(x)‖ ≤ ε and N ≤ 2(m+1)(n+1)^m. The error splits exactly as
H(x) − f(x) = near(x) + far(x) + leak(x) with, for softmax weights w_i (prefix) and c_t (content),

    near(x) = Σ_{‖x−p_i‖≤r} w_i (v_i − f(x)),  far(x) = Σ_{‖x−p_i‖>r} w_i (v_i − f(x)),
    leak(x) = Σ_t c_t (ν_t − f(x)),

and the proof bounds them by L·r = ε/2, 2BN·e^{−λr²/4} = ε/4 and T(B+V_c)e²·e^{−λ(1−δ²/2)−β} ≤ ε/4.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Optional

import math

import mpmath
import numpy as np
import sympy
from scipy.spatial import cKDTree

from verifier.attention import (ClosedForm, Head, Prefix, derive_closed_form, forward_matrix_mp, forward_matrix_numpy,
                                h0_embedding, h0_embedding_numpy)
from verifier.claims import ClaimResult, Evidence, Kind, Verdict, claim_exp_le, claim_holds, claim_le, claim_sup_le
from verifier.domains import (CoveringRadius, CubeSurfaceGrid, Sphere, covering_radius, farthest_point_candidates,
                              to_sphere_mp)
from verifier.errors import InputError
from verifier.exact_sign import log_form
from verifier.precision import PrecisionPolicy, exact_to_mp
from verifier.supnorm import SupResult, sup_search
from verifier.sweep import Sizing
from verifier.budget import OPTIONS as BUDGET_OPTIONS, Estimate, check_budget
from verifier.certify import Budget, automatic_value, certified_hypotheses
from verifier.inputs import choice, integer, parse_number, show, text
from verifier.options import Option, read_options
from verifier.targets import Target
from verifier.theorem import Outcome

from . import e1_certify
from . import e1_formulas as F

DEFAULT_TARGET = ("sin(2*x0)/2", sympy.Integer(1), sympy.Integer(1))  # (expression, Lipschitz constant L, bound B): |∇f| = |cos 2x0| ≤ 1
CERTIFIED_DEFAULT = {"target": DEFAULT_TARGET[0], "lipschitz": "auto", "bound": "auto"}
TAMPER_MODES = ("short-prefix", "small-lambda", "wrong-values")
EVIDENCE_MODES = ("auto", "certified", "sampled")
AUTO = "auto"
HYPOTHESIS_BUDGET = Budget(50_000, 30)  # hypotheses run before the construction: keep them cheap


def number_or_auto(raw: Any, name: str):
    """An exact positive number, or ``auto`` (the theorem computes a certified value)."""
    return AUTO if raw == AUTO else parse_number(raw, name)
SCAN_CELLS = 4_000_000  # rows × prefix tokens per float64 scan chunk (32 MB per array)
GROUP_ROWS = 64  # rows of the truncated float64 scan summed over one union of near tokens
FLOAT64_DIGITS = 20  # the truncated float64 scan drops tokens weighing < 10^−20 relative to the best
TWO_PATH_AGREEMENT = 1e-10  # float64: closed form vs matrix forward pass, relative to max(1, B)

# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class E1Parameters:
    """A validated instance of E1 (everything exact where the math is exact)."""

    dim: int
    eps: sympy.Rational
    target: Target
    context: int
    seed: int
    policy: PrecisionPolicy
    points: int
    tamper: Optional[str]
    grid: Optional[int] = None  # n overriding ⌈√m/δ⌉ (N, λ, β re-derived from it): the sweep's construction family
    evidence: str = "auto"
    budget: Budget = Budget()
    tight: bool = False

    @property
    def certify(self) -> bool:
        """Whether certification is attempted (``--evidence`` auto or certified)."""
        return self.evidence != "sampled"

    @property
    def substitutions(self) -> dict:
        """Values of the E1 symbols; V_c = 0 because H0's content value W_V e(u) is 0 (claim H0.closed-form)."""
        return {F.eps: self.eps, F.L: self.target.lipschitz, F.B: self.target.bound, F.T: self.context, F.V_c: 0, F.m: self.dim}

    def exact(self, expr) -> sympy.Expr:
        """An E1 formula with this instance's exact values substituted."""
        return sympy.sympify(expr).subs(self.substitutions)

    def to_json(self) -> dict:
        return {
            "dim": self.dim, "eps": float(self.eps), "eps_exact": str(self.eps),
            "target": self.target.text, "d": self.target.d,
            "lipschitz": float(self.target.lipschitz), "bound": float(self.target.bound),
            "context": self.context, "seed": self.seed, "dps": self.policy.dps, "verify_dps": self.policy.verify_dps,
            "points": self.points, "tamper": self.tamper, "grid": self.grid, "evidence_mode": self.evidence,
            "cert_cells": self.budget.cells, "cert_seconds": self.budget.seconds, "tight": self.tight,
        }


@dataclass(frozen=True)
class E1Construction:
    """The E1 prefix for an instance (or a deliberately broken one when ``params.tamper`` is set)."""

    params: E1Parameters
    _mp_cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def m(self) -> int:
        return self.params.dim

    @cached_property
    def n(self) -> int:
        return self.params.grid or int(self.exact(F.CELLS))

    @cached_property
    def N(self) -> int:
        """The theorem's prefix length N = (n+1)^(m+1) − (n−1)^(m+1)."""
        return int(self.exact(F.PREFIX_LENGTH.subs(F.n, self.n)))

    @cached_property
    def N_bound(self) -> int:
        """The theorem's bound 2(m+1)(n+1)^m on N."""
        return int(self.exact(F.PREFIX_LENGTH_BOUND.subs(F.n, self.n)))

    @cached_property
    def grid(self) -> CubeSurfaceGrid:
        return CubeSurfaceGrid.build(self.m, self.n)

    def exact(self, expr) -> sympy.Expr:
        return self.params.exact(expr)

    @cached_property
    def lam(self) -> sympy.Expr:
        """λ used: (4/r²)·ln(8BN/ε), or 1 under the small-lambda tamper."""
        return sympy.Integer(1) if self.params.tamper == "small-lambda" else self.exact(F.TEMPERATURE.subs(F.N, self.N))

    @cached_property
    def beta(self) -> sympy.Expr:
        return self.exact(F.OFFSET.subs(F.lam, self.lam))

    @cached_property
    def r(self) -> sympy.Expr:
        return self.exact(F.R)

    @cached_property
    def delta(self) -> sympy.Expr:
        return self.exact(F.DELTA)

    @property
    def value_sign(self) -> int:
        return -1 if self.params.tamper == "wrong-values" else 1

    def points_mp(self) -> list[list]:
        """Prefix points p_i at the current precision: the cube-surface grid (or a regular simplex of
        m+2 points under the short-prefix tamper)."""
        if self.params.tamper == "short-prefix":
            return regular_simplex_mp(self.m)
        return self.grid.sphere_points_mp()

    def at_precision(self) -> tuple[list, Prefix]:
        """(points, prefix) at the current mpmath precision, cached per precision."""
        dps = mpmath.mp.dps
        if dps not in self._mp_cache:
            lam, beta = exact_to_mp(self.lam), exact_to_mp(self.beta)
            points = self.points_mp()
            f = self.params.target
            prefix = Prefix(
                keys=[[lam * c for c in p] for p in points],
                biases=[beta] * len(points),
                values=[[self.value_sign * v for v in f.mp(p)] for p in points],
            )
            self._mp_cache[dps] = (points, prefix)
        return self._mp_cache[dps]

    @cached_property
    def float64(self) -> tuple[np.ndarray, Prefix]:
        """(points, prefix) in float64, rounded from 20-digit values."""
        with mpmath.workdps(20):
            points, prefix = self.at_precision()
            as_array = lambda rows: np.array([[float(v) for v in row] for row in rows])  # noqa: E731
            return as_array(points), Prefix(as_array(prefix.keys), np.array([float(b) for b in prefix.biases]), as_array(prefix.values))

    @property
    def prefix_length(self) -> int:
        return len(self.float64[0])


def regular_simplex_mp(m: int) -> list[list]:
    """m+2 vertices of a regular simplex inscribed in S^m, at the current precision:
    e_1..e_(m+1) and c·(1,…,1) with c = (1 − √(m+2))/(m+1), centred and normalised."""
    k = m + 1
    c = (1 - mpmath.sqrt(k + 1)) / k
    vertices = [[mpmath.mpf(int(i == j)) for j in range(k)] for i in range(k)] + [[c] * k]
    centre = [mpmath.fsum(v[j] for v in vertices) / (k + 1) for j in range(k)]
    out = []
    for v in vertices:
        w = [a - b for a, b in zip(v, centre)]
        norm = mpmath.norm(w)
        out.append([a / norm for a in w])
    return out


# Cost model of one check (seconds, bytes), fitted on this 2-core machine to
# `verifier check single-head --eps 0.05 [--dps 100|300|1000] [--points 200000] [--context 1000|10000]`,
# `--eps 0.02`, `--dim 2 --eps 0.3`, `--dim 3 --eps 0.5` and sums of 50–2000 sines as --target:
# mpmath work is ~MP_EVALUATIONS evaluations of all N + T tokens, each costing MP_TOKEN·(1 + (dps/140)²)
# per coordinate; the float64 scan costs SCAN_CELL per (point, token, coordinate); the target costs
# TARGET_NODE_F64 per (node, point) in float64 and TARGET_NODE_MP per node and mpmath evaluation.
MP_EVALUATIONS, MP_TOKEN, SCAN_CELL = 400, 4.2e-6, 1.5e-9
TARGET_NODE_F64, TARGET_NODE_MP = 1e-8, 6e-6
BYTES_PER_POINT, BYTES_PER_CELL = 100, 64


def cost_estimate(params: E1Parameters, N: int) -> Estimate:
    """The estimated seconds and bytes of checking ``params`` with N prefix tokens (see the constants)."""
    tokens, width = N + params.context, params.dim + 1 + params.target.d
    scan_points = params.points + 4096 + 512  # the sup scan, the hypothesis samples, the two-paths points
    nodes = params.target.size
    seconds = {
        "the float64 scan (--points, --context)": scan_points * tokens * width * SCAN_CELL,
        "the mpmath evaluations (--dps, --context)": MP_EVALUATIONS * tokens * width * MP_TOKEN * (1 + (params.policy.dps / 140) ** 2),
        "evaluating the target (--target)": nodes * (scan_points * TARGET_NODE_F64 + (2 * N + MP_EVALUATIONS) * TARGET_NODE_MP),
    }
    memory = {
        "the scan points (--points)": scan_points * BYTES_PER_POINT * (params.dim + 1),
        "the scan chunks": SCAN_CELLS * BYTES_PER_CELL * width,
        "the prefix in mpmath (--dps)": tokens * width * 4 * (80 + params.policy.dps),
    }
    return Estimate(seconds, memory)


# ---------------------------------------------------------------------------------------------
PARTS = ("error", "near", "far", "leak")  # ‖H − f‖ and the norms of its three parts
CONTINUOUS_PARTS = ("error", "leak")  # continuous in x; near/far are split by the hard threshold ‖x − p_i‖ ≤ r


class E1Evaluator:
    """Evaluates ‖H − f‖, ‖near‖, ‖far‖, ‖leak‖ on the H0 head through the derived closed form."""

    def __init__(self, construction: E1Construction, closed_form: ClosedForm, truncate: bool = True):
        self.c = construction
        self.truncate = truncate  # mpmath sums over the tokens near x only (see near_tokens)
        self.cf = closed_form
        self.target = construction.params.target
        self.T = construction.params.context
        self._values: dict = {}  # ν_prefix of every token, per mpmath precision (dps)
        self._thresholds: dict = {}  # 1 − r²/2, per mpmath precision (dps)

    def sups(self, rho: CoveringRadius) -> dict[str, SupResult]:
        """Sampled sups of the four norms; the scan also covers the points farthest from the prefix
        (where nearest-point interpolation errs most), and ‖H − f‖ gets the mpmath polish."""
        params = self.c.params
        farthest = farthest_point_candidates(self.c.float64[0])
        extra = np.vstack([rho.witness[None, :], farthest[0] if farthest is not None else np.empty((0, params.dim + 1))])
        return sup_search(self.parts_f64, self.parts_mp, PARTS, Sphere(params.dim), params.policy, params.seed,
                          scan_points=params.points, extra_points=extra, polish=("error",),
                          chunk_rows=max(1, SCAN_CELLS // (self.c.prefix_length + self.T)))

    def content_f64(self, X: np.ndarray) -> np.ndarray:
        """The content tokens: T copies of x itself (score ⟨x,x⟩+1 = 2, the worst case for leakage)."""
        return np.repeat(X[:, None, :], self.T, axis=1)

    def parts_f64(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """The four norms in float64 at the rows of X, over the prefix tokens near the rows only when the
        evaluator truncates: rows sorted by their nearest prefix point, in groups of GROUP_ROWS, each
        summed over the union of its rows' :meth:`near_tokens` at FLOAT64_DIGITS = 20 digits (the dropped
        tokens weigh, all together, < 10^−19 relative to the best one, below float64's rounding of the
        sums; the scan only proposes points, the verdicts are read in mpmath or ball arithmetic)."""
        if not self.truncate or self.c.prefix_length <= GROUP_ROWS:
            return self._parts_f64(X, slice(None))
        _, nearest = self._tree.query(X)
        order = np.argsort(nearest, kind="stable")
        out = {name: np.empty(len(X)) for name in PARTS}
        for start in range(0, len(X), GROUP_ROWS):
            rows = order[start:start + GROUP_ROWS]
            index = np.unique(np.concatenate([self.near_tokens(X[i], FLOAT64_DIGITS) for i in rows]))
            for name, values in self._parts_f64(X[rows], index).items():
                out[name][rows] = values
        return out

    def _parts_f64(self, X: np.ndarray, index) -> dict[str, np.ndarray]:
        """The four norms over the prefix tokens ``index`` (a slice or an index array)."""
        points, full = self.c.float64
        points = points[index]
        prefix = Prefix(full.keys[index], full.biases[index], full.values[index])
        content = self.content_f64(X)
        wp, wc = self.cf.weights_numpy(X, prefix, content)
        vp, vc = self.cf.values_numpy(prefix, content)
        fx = self.target.numpy(X)
        near = (X @ points.T) >= 1 - float(self.c.r) ** 2 / 2  # ‖x − p‖ ≤ r ⇔ ⟨x, p⟩ ≥ 1 − r²/2
        wn, wf = wp * near, wp * ~near
        vectors = {
            "near": wn @ vp - wn.sum(1, keepdims=True) * fx,
            "far": wf @ vp - wf.sum(1, keepdims=True) * fx,
            "leak": np.einsum("pt,ptd->pd", wc, vc) - wc.sum(1, keepdims=True) * fx,
            "error": wp @ vp + np.einsum("pt,ptd->pd", wc, vc) - fx,
        }
        return {k: np.linalg.norm(v, axis=1) for k, v in vectors.items()}

    def parts_mp(self, x, truncate: Optional[bool] = None) -> dict[str, mpmath.mpf]:
        """The same four norms at the current mpmath precision (x: floats or mpf), over the prefix
        tokens near x only (see :meth:`near_tokens`); ``truncate=False`` sums over all N tokens
        (default: the evaluator's ``truncate``)."""
        truncate = self.truncate if truncate is None else truncate
        points, prefix = self.c.at_precision()
        xm = to_sphere_mp(x)
        index = self.near_tokens(np.array([float(v) for v in xm])) if truncate else range(len(points))
        sub = Prefix([prefix.keys[i] for i in index], [prefix.biases[i] for i in index], [prefix.values[i] for i in index])
        content = [xm] * self.T
        wp, wc = self.cf.weights_mp(xm, sub, content)
        values = self._prefix_values_mp()
        vp, vc = [values[i] for i in index], self.cf.values_mp(sub, content)[1]
        fx = self.target.mp(xm)
        is_near = self._near_mp(xm, [points[i] for i in index], index)
        if len(index) < len(points):
            tail = self.truncation_tail(xm, sub, fx)
            if tail > mpmath.mpf(10) ** (-(mpmath.mp.dps + 3)):  # the cut was wrong: stop rather than read wrong digits
                raise AssertionError(f"truncation of the mpmath sum too coarse: tail {mpmath.nstr(tail, 3)}")

        def part(weights, values) -> list:
            """Σ_j w_j (ν_j − f(x)) as a vector."""
            total = mpmath.fsum(weights)
            return [mpmath.fsum(w * v[i] for w, v in zip(weights, values)) - total * fx[i] for i in range(len(fx))]

        vectors = {
            "near": part([w for w, k in zip(wp, is_near) if k], [v for v, k in zip(vp, is_near) if k]),
            "far": part([w for w, k in zip(wp, is_near) if not k], [v for v, k in zip(vp, is_near) if not k]),
            "leak": part(wc, vc),
        }
        vectors["error"] = [mpmath.fsum(parts) for parts in zip(*vectors.values())]  # H − f = near + far + leak
        return {name: mpmath.norm(v) for name, v in vectors.items()}

    def near_tokens(self, x: np.ndarray, digits: Optional[int] = None) -> list[int]:
        """The prefix tokens that matter at x to ``digits`` digits (default the current precision + 6): those with
        ⟨x, p⟩ ≥ c_cut = ⟨x, p*⟩ − G/λ − 10⁻⁹ (p* the nearest; 10⁻⁹ covers float64 rounding),
        G = ln(3N(V + B + 1)) + digits·ln 10, found by a cKDTree ball query of chord radius (2 − 2c_cut)^(1/2)
        (every token when c_cut ≤ −1: the radius is then at least the diameter 2). The others weigh, all
        together, less than 10^−(digits−1) relative to the best token (for mpmath checked after the
        evaluation by :meth:`truncation_tail`), so dropping them changes no digit the verdict reads."""
        digits = mpmath.mp.dps + 6 if digits is None else digits
        distance, _ = self._tree.query(x)
        best = 1 - distance**2 / 2
        G = math.log(3 * self.c.prefix_length * (self._value_bound + float(self.target.bound) + 1)) + digits * math.log(10)
        cut = best - G / self._lam_f64 - 1e-9
        return sorted(self._tree.query_ball_point(x, math.sqrt(2 - 2 * cut)))

    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(self.c.float64[0])

    @cached_property
    def _lam_f64(self) -> float:
        return float(self.c.lam)

    @cached_property
    def _value_bound(self) -> float:
        return float(np.max(np.abs(self.c.float64[1].values))) * (1 + 1e-9)

    def truncation_tail(self, xm: list, sub: Prefix, fx: list) -> mpmath.mpf:
        """A bound, relative to the best kept token and times the value scale, of the weight of the prefix tokens
        :meth:`near_tokens` dropped at x (``sub`` the kept ones, the nearest): with D = N − len(sub) dropped tokens,
        the nearest of them at chord distance d_out (so ⟨x, p⟩ ≤ c_out = 1 − (d_out − 10⁻⁹)²/2 for each),

            tail = 3·D·e^{λ c_out − max_kept ⟨k, x⟩}·(V + ‖f(x)‖ + 1),   V = max|ν| (1 + 10⁻⁹)

        (every prefix token has the same bias β, which cancels from the ratio of weights).

        A correct cut keeps it below about 10^−(dps+6) (G of near_tokens); parts_mp stops if it exceeds 10^−(dps+3)."""
        points = self.c.float64[0]
        lam_mp = exact_to_mp(self.c.lam)
        distance = np.sqrt(np.maximum(0.0, 2 - 2 * (points @ np.array([float(v) for v in xm]))))
        outside = np.sort(distance)[len(sub)]
        c_out = mpmath.mpf(1) - mpmath.mpf(max(0.0, outside - 1e-9)) ** 2 / 2
        best = max(mpmath.fsum(k * v for k, v in zip(key, xm)) for key in sub.keys)
        scale = self._value_bound + mpmath.norm(fx) + 1
        return 3 * (len(points) - len(sub)) * mpmath.exp(lam_mp * c_out - best) * scale

    def _prefix_values_mp(self) -> list:
        """ν_prefix of every prefix token at the current precision (independent of x: cached)."""
        dps = mpmath.mp.dps
        if dps not in self._values:
            _, prefix = self.c.at_precision()
            self._values[dps] = self.cf.values_mp(prefix, [])[0]
        return self._values[dps]

    def _near_mp(self, xm: list, points: list, index) -> list[bool]:
        """‖x − p_i‖ ≤ r ⇔ ⟨x, p_i⟩ ≥ 1 − r²/2 for the tokens ``index`` (``points`` are theirs), decided in
        float64 where the margin exceeds 1e-9 and in mpmath otherwise."""
        dps = mpmath.mp.dps
        if dps not in self._thresholds:
            self._thresholds[dps] = 1 - exact_to_mp(self.c.r**2 / 2)
        threshold = self._thresholds[dps]
        margin = self.c.float64[0][list(index)] @ np.array([float(v) for v in xm]) - float(threshold)
        return [bool(gap > 0) if abs(gap) > 1e-9 else mpmath.fdot(xm, p) >= threshold for gap, p in zip(margin, points)]


# ---------------------------------------------------------------------------------------------
def closed_form_claim(closed_form: ClosedForm) -> ClaimResult:
    """H0: the closed form derived from the matrices equals the stated one:
    σ_prefix = ⟨x,k⟩ + b, ν_prefix = v, σ_content = ⟨x,u⟩ + 1, ν_content = 0."""
    cf = closed_form
    stated = [
        cf.prefix_score - (sum(a * b for a, b in zip(cf.x, cf.k)) + cf.b),
        *(cf.prefix_value - sympy.Matrix(cf.v)),
        cf.content_score - (sum(a * b for a, b in zip(cf.x, cf.u)) + 1),
        *cf.content_value,
    ]
    residuals = [sympy.expand(e) for e in stated]
    holds = all(e == 0 for e in residuals)
    return claim_holds(
        "H0.closed-form",
        "H(x) = Σ_i e^{⟨x,k_i⟩+b_i} v_i / (Σ_i e^{⟨x,k_i⟩+b_i} + Σ_c e^{⟨x,u_c⟩+1}), derived from (W_Q, W_K, W_V) "
        "with a generic prefix token (k, b, v) and content token (u, 1, 0)",
        holds, Kind.THEOREM, "sympy: expand(derived − stated) = 0 for every score and value",
        detail="" if holds else f"residuals: {residuals}",
    )


def two_paths_claim(evaluator: E1Evaluator, head: Head, sups: dict, params: E1Parameters) -> ClaimResult:
    """Framework: the closed form agrees with the matrix forward pass (float64 on a point set, mpmath at
    the sup's argmax), and every float64 sup value agrees with its mpmath value."""
    c, cf, d = evaluator.c, evaluator.cf, params.target.d
    X = Sphere(params.dim).scan_points(512, params.seed + 7)
    _, prefix = c.float64
    closed = cf.output_numpy(X, prefix, evaluator.content_f64(X))
    matrix = forward_matrix_numpy(head, h0_embedding_numpy(X, d), prefix.tokens(), h0_embedding_numpy(evaluator.content_f64(X), d))
    numpy_gap = float(np.max(np.abs(closed - matrix)))
    x = np.array(sups["error"].argmax)
    with mpmath.workdps(params.policy.dps):
        _, prefix_mp = c.at_precision()
        xm = to_sphere_mp(x)
        content = [h0_embedding(xm, d)] * params.context
        tokens = [list(k) + [b] + list(v) for k, b, v in zip(prefix_mp.keys, prefix_mp.biases, prefix_mp.values)] + content
        mp_gap = mpmath.norm([a - b for a, b in zip(cf.output_mp(xm, prefix_mp, [xm] * params.context),
                                                       forward_matrix_mp(head, h0_embedding(xm, d), tokens))])
    scale = max(1.0, float(params.target.bound))
    # near/far jump where ‖x − p_i‖ = r, and refinement climbs to that edge, where float64 and mpmath may
    # classify p_i differently; the continuous quantities must agree.
    disagreeing = [name for name in CONTINUOUS_PARTS if not sups[name].float64_agrees]
    holds = numpy_gap <= TWO_PATH_AGREEMENT * scale and mp_gap <= params.policy.tolerance * scale and not disagreeing
    detail = "" if holds else (
        f"FRAMEWORK ERROR: closed form vs matrix pass differ by {numpy_gap:.3g} (float64) / {mpmath.nstr(mp_gap, 5)} (mpmath); "
        f"float64 vs mpmath disagree for {disagreeing or 'none'}"
    )
    return claim_holds(
        "F.two-paths",
        "the derived closed form and the plain matrix forward pass agree (float64 at 512 points, mpmath at the argmax); "
        "float64 and mpmath agree at every sup argmax",
        holds, Kind.FRAMEWORK,
        f"sampled: max gap float64 {numpy_gap:.3g} ≤ {TWO_PATH_AGREEMENT:g}·{scale:g}; mpmath gap {mpmath.nstr(mp_gap, 3)}",
        detail=detail, value=max(numpy_gap, float(mp_gap)), bound=TWO_PATH_AGREEMENT * scale, evidence=Evidence.SAMPLED,
    )


def covering_claim(construction: E1Construction, rho: CoveringRadius) -> ClaimResult:
    """Step 1: the realised covering radius ρ of the prefix points is ≤ δ."""
    delta = float(construction.delta)
    statement = f"step 1 (covering): every x ∈ S^{construction.m} has a prefix point within δ = r/√2"
    if rho.method != "sampled":
        return claim_le("E1.step1.covering", statement, rho.value, delta, 1e-9, Kind.PROOF_STEP,
                        f"{rho.method} (float64 geometry; margin must exceed 1e-9)", witness=rho.witness)
    # m ≥ 3: sampling only gives a lower estimate; a PASS needs the proof's bound √m/n ≤ δ for the E1 grid.
    is_grid = construction.params.tamper != "short-prefix"
    proof_bound = sympy.sqrt(construction.m) / construction.n
    proof_ok = is_grid and bool(proof_bound <= construction.delta)
    claim = claim_le("E1.step1.covering", statement, rho.value, delta, 1e-9, Kind.PROOF_STEP,
                     f"sampled lower estimate ({rho.samples} points) + the proof bound √m/n = {float(proof_bound):.6g} "
                     f"({'applies' if is_grid else 'does not apply: not the E1 grid'})", witness=rho.witness)
    if claim.verdict is Verdict.PASS and not proof_ok:
        return replace(claim, verdict=Verdict.INCONCLUSIVE, detail="sampling cannot prove a covering radius")
    return claim


# ---------------------------------------------------------------------------------------------
class SingleHead:
    """The registered theorem object for E1 on H0."""

    name = "single-head"
    statement = ("E1: prefixing the H0 head with N = (n+1)^(m+1) − (n−1)^(m+1) tokens (λp_i, β, f(p_i)) "
                 "gives sup_{S^m} ‖H − f‖ ≤ ε for L-Lipschitz f, with N ≤ 2(m+1)(n+1)^m = O((√m L/ε)^m)")
    realises = ("P1", "P2")

    options = (
        Option("dim", "sphere dimension m (S^m ⊂ R^(m+1))", integer(1, 10), 1),
        Option("eps", "target accuracy ε > 0, read exactly (0.05 is 1/20)", parse_number),
        Option("target", "expression in x0..xm (a tuple for d > 1); default sin(2*x0)/2 with L = B = 1", text),
        Option("lipschitz", "claimed Lipschitz constant L of the target (chordal metric), or auto (a certified bound)",
               number_or_auto),
        Option("bound", "claimed bound B ≥ sup ‖f‖, or auto (a certified bound)", number_or_auto),
        Option("context", "number T of content tokens (copies of x: the worst case for leakage)", integer(1), 1),
        Option("dps", "working decimal digits for verdicts (checked at 2·dps)",
               integer(15, 1000, "verdicts at 30–100 digits are checked at twice that; use --dps ≤ 1000"), 30),
        Option("seed", "seed of every random step", integer(0), 0),
        Option("points", "float64 scan points of the sup search", integer(100), 20_000),
        Option("tamper", "negative control: " + " | ".join(TAMPER_MODES), choice(*TAMPER_MODES)),
        Option("evidence", "auto: certify where possible (m = 1, 2, 3 within the budget), else sample; certified: "
               "an error if the instance cannot be certified; sampled: skip certification", choice(*EVIDENCE_MODES), "auto"),
        Option("cert_cells", "budget of the certified branch and bound: cells evaluated", integer(1), 400_000),
        Option("cert_seconds", "budget of the certified branch and bound: seconds", integer(1), 120),
        Option("tight", "on: keep splitting until the certified upper bound of the sup error is within 5% of the "
               "sampled lower bound", choice("on", "off"), "off"),
        Option("max_prefix", "refuse constructions with more prefix tokens (m = 3, N = 8080 takes about 80 s)",
               integer(1), 20_000),
        *BUDGET_OPTIONS,
        Option("grid", "grid size n overriding ⌈√m/δ⌉, with N, λ, β re-derived (the family `verifier sweep` bisects)",
               integer(1)),
    )
    sizing = Sizing(option="grid", fact="n", claim="E1.step5.sup", exponent=lambda m: m, exponent_label="m (E1)",
                    temperature="lambda")

    def parameters(self, **raw: Any) -> E1Parameters:
        o = read_options(self.options, raw)
        dim, eps, target, lipschitz, bound = (o[k] for k in ("dim", "eps", "target", "lipschitz", "bound"))
        if eps is None:
            raise InputError("single-head needs --eps, the target accuracy ε > 0 (e.g. --eps 0.1)")
        if target is None:
            if lipschitz is not None or bound is not None:
                raise InputError("--lipschitz/--bound describe a --target; give the target too")
            target, lipschitz, bound = DEFAULT_TARGET
        elif lipschitz is None or bound is None:
            raise InputError("a custom --target needs its hypotheses: --lipschitz L and --bound B "
                             "(‖f(x)−f(y)‖ ≤ L‖x−y‖ and ‖f(x)‖ ≤ B on the sphere)")
        policy, budget = PrecisionPolicy(dps=o["dps"]), Budget(o["cert_cells"], o["cert_seconds"])
        f = Target.parse(target, dim, 1 if lipschitz == AUTO else lipschitz, 1 if bound == AUTO else bound)
        for name, value in (("lipschitz", lipschitz), ("bound", bound)):
            if value == AUTO:
                f = replace(f, **{name: automatic_value(f, name, policy, o["seed"], o["points"], budget)})
        if eps > 4 * f.lipschitz:
            raise InputError(f"E1 is stated for ε ∈ (0, 4L] = (0, {4 * f.lipschitz}]; pass a smaller --eps")
        params = E1Parameters(dim, eps, f, o["context"], o["seed"], policy, o["points"], o["tamper"],
                              o["grid"], o["evidence"], budget, o["tight"] == "on")
        uncertifiable = params.evidence == "certified" and e1_certify.why_not_certifiable(params)
        if uncertifiable:
            raise InputError(f"--evidence certified: {uncertifiable}; use --evidence auto")
        limit = o["max_prefix"]
        cells = float(params.exact(F.CELLS.args[0]))  # √m/δ, before the exact ceiling
        N = E1Construction(params).N if cells < 1e7 else None
        if N is None or N > limit:
            size = f"N = {N}" if N is not None else f"N ≈ {float(F.PREFIX_LENGTH_BOUND.subs({F.n: cells, F.m: dim})):.3g}"
            raise InputError(f"E1 needs {size} prefix tokens for m = {dim}, ε = {show(eps)}, L = {show(f.lipschitz)} "
                             f"(over the budget --max-prefix {limit}); use a larger --eps or raise --max-prefix")
        if 8 * f.bound * N <= eps:
            raise InputError(
                f"λ = (4/r²)·ln(8BN/ε) would be ≤ 0 because 8BN = {show(8 * f.bound * N)} ≤ ε = {show(eps)}: E1's "
                "construction needs 8BN > ε. Here ‖f‖ ≤ B < ε/(8N), so f is within ε of 0 everywhere and the claim is "
                "trivial; if B is the true bound nothing needs checking, otherwise pass the real --bound")
        check_budget(cost_estimate(params, N), float(o["max_seconds"]), float(o["max_memory"]),
                     "use a larger --eps, fewer --points, a smaller --context or --dps, or a shorter --target")
        return params

    def hypotheses(self, params: E1Parameters) -> list[ClaimResult]:
        budget = Budget(min(params.budget.cells, HYPOTHESIS_BUDGET.cells), min(params.budget.seconds, HYPOTHESIS_BUDGET.seconds))
        return certified_hypotheses(params.target, params.policy, params.seed, params.points, budget, certify=params.certify)

    def check(self, params: E1Parameters) -> Outcome:
        m, tol = params.dim, params.policy.tolerance
        head = Head.h0(m, params.target.d)
        cf = derive_closed_form(head, m, params.target.d)
        c = E1Construction(params)
        evaluator = E1Evaluator(c, cf)
        rho = covering_radius(c.float64[0], seed=params.seed)
        sups = evaluator.sups(rho)
        values = {F.lam: c.lam, F.beta: c.beta, F.N: c.prefix_length}
        near_b = c.exact(F.BUDGET[0])
        log_far_b, log_leak_b = (c.exact(log_form(e).subs(values)) for e in F.BUDGET[1:])  # powers never formed
        log_goal = c.exact(log_form(F.eps / 4))
        claims = [
            closed_form_claim(cf),
            two_paths_claim(evaluator, head, sups, params),
            claim_holds(
                "E1.size", "the prefix has N = (n+1)^(m+1) − (n−1)^(m+1) tokens and N ≤ 2(m+1)(n+1)^m",
                c.prefix_length == c.N and c.N <= c.N_bound, Kind.PROOF_STEP,
                f"exact integers: n = {c.n}, prefix tokens = {c.prefix_length}, N = {c.N}, "
                f"2(m+1)(n+1)^m = {c.N_bound}",
                value=float(c.prefix_length), bound=float(c.N_bound),
            ),
            covering_claim(c, rho),
            claim_sup_le("E1.step2.near", "step 2: near points (‖x−p_i‖ ≤ r) contribute at most L·r = ε/2",
                         sups["near"], near_b, tol, Kind.PROOF_STEP),
            claim_exp_le("E1.step3.far-bound", "step 3 (bound): 2BN·e^{−λr²/4} ≤ ε/4", log_far_b, log_goal,
                         Kind.PROOF_STEP, "exact sympy numbers with the construction's N, λ"),
            claim_sup_le("E1.step3.far", "step 3: far points (‖x−p_i‖ > r) contribute at most ε/4",
                         sups["far"], params.eps / 4, tol, Kind.PROOF_STEP),
            claim_exp_le("E1.step4.leak-bound", "step 4 (bound): T(B+V_c)e²·e^{−λ(1−δ²/2)−β} ≤ ε/4", log_leak_b, log_goal,
                         Kind.PROOF_STEP, "exact sympy numbers with the construction's λ, β"),
            claim_sup_le("E1.step4.leak", "step 4: content-token leakage is at most ε/4", sups["leak"], params.eps / 4, tol,
                         Kind.PROOF_STEP),
            claim_sup_le("E1.step5.sup", f"step 5 / E1: sup over S^{m} of ‖H(x) − f(x)‖ ≤ ε", sups["error"], params.eps, tol,
                         Kind.THEOREM),
            F.budget_identity_claim(),
            F.rate_claim(m, params.target.lipschitz),
        ]
        sup_error = sups["error"].to_json()
        reason = e1_certify.why_not_certifiable(params) if params.certify else "certification skipped (--evidence sampled)"
        if reason is None:
            claims, certified = e1_certify.certified_claims(claims, c, params, evaluator, sups)
            sup_error.update(certified)
        else:
            sup_error["not_certified"] = reason
        facts = {
            "prefix_length": c.prefix_length,
            "prefix_length_bound": c.N_bound,
            "n": c.n,
            "lambda": float(c.lam),
            "beta": float(c.beta),
            "r": float(c.r),
            "delta": float(c.delta),
            "sup_error": sup_error,
        }
        return Outcome(tuple(claims), facts)

    def default_instances(self):
        """The default target with certified constants (``auto``): the claimed L = 1 is tight, and a tight
        constant can be sampled but not certified, so the report instances let the back-end bound L and B."""
        return [(f"single-head-m{m}-eps{e}", {"dim": m, "eps": e, **CERTIFIED_DEFAULT}) for m, e in
                ((1, "0.2"), (1, "0.05"), (2, "0.5"), (2, "0.3"))]

    # --- for `verifier report` (optional methods; see verifier/report/plots.py for the figure data) ---
    def quick_instances(self):
        """The reduced suite of ``verifier report --quick``: one instance on S¹ and one on S²."""
        return [(f"single-head-m{m}-eps{e}", {"dim": m, "eps": e, "points": "5000", **CERTIFIED_DEFAULT})
                for m, e in ((1, "0.2"), (2, "0.5"))]

    def report_formulas(self) -> list[tuple[str, sympy.Basic]]:
        """The closed forms a report shows: H0's per-token terms and H derived from the matrices (for
        m = 1, d = 1, one prefix and one content token), and the E1 formulas of e1_formulas."""
        cf = derive_closed_form(Head.h0(1, 1), 1, 1)
        return [
            ("prefix score (derived)", sympy.Eq(sympy.Symbol("sigma_prefix"), cf.prefix_score)),
            ("content score (derived)", sympy.Eq(sympy.Symbol("sigma_content"), cf.content_score)),
            ("prefix value (derived)", sympy.Eq(sympy.Symbol("nu_prefix"), cf.prefix_value[0])),
            ("content value (derived)", sympy.Eq(sympy.Symbol("nu_content"), cf.content_value[0])),
            ("H(x) with one prefix token (k, b, v) and one content token u (derived)",
             sympy.Eq(sympy.Symbol("H"), cf.output(1, 1)[0])),
            ("radius", sympy.Eq(sympy.Symbol("r"), F.R)), ("covering radius", sympy.Eq(sympy.Symbol("delta"), F.DELTA)),
            ("grid cells per edge", sympy.Eq(F.n, F.CELLS)), ("prefix length", sympy.Eq(F.N, F.PREFIX_LENGTH)),
            ("bound on the prefix length", sympy.Le(F.PREFIX_LENGTH, F.PREFIX_LENGTH_BOUND)),
            ("temperature", sympy.Eq(F.lam, F.TEMPERATURE)), ("offset", sympy.Eq(F.beta, F.OFFSET)),
            ("error budget: near + far + leak", sympy.Eq(sympy.Symbol("budget"), sympy.Add(*F.BUDGET, evaluate=False))),
            ("P2's exponent", sympy.Eq(sympy.Symbol("e_P2"), F.P2_EXPONENT)),
        ]

    def report_figures(self, params: E1Parameters) -> list[dict]:
        """Figure data (float64 scan of the construction): on S¹ the error H − f against θ with the ±ε
        band and the prefix points marked; on S² an equirectangular map of ‖H − f‖; none for m ≥ 3."""
        c = E1Construction(params)
        evaluator = E1Evaluator(c, derive_closed_form(Head.h0(params.dim, params.target.d), params.dim, params.target.d))
        points, prefix = c.float64
        eps = float(params.eps)
        rows = max(1, SCAN_CELLS // c.prefix_length)

        def on_chunks(compute, X):
            return np.concatenate([compute(X[i:i + rows]) for i in range(0, len(X), rows)])

        def signed_error(X):
            return evaluator.cf.output_numpy(X, prefix, evaluator.content_f64(X)) - params.target.numpy(X)

        if params.dim == 1:
            theta = np.linspace(-np.pi, np.pi, 4097)
            error = on_chunks(signed_error, np.column_stack([np.cos(theta), np.sin(theta)]))
            marks = on_chunks(signed_error, points)[:, 0]
            return [{
                "id": "error-s1", "kind": "curve", "title": f"H − f on S¹ (ε = {eps:g}, N = {c.prefix_length})",
                "caption": "float64 closed form at 4097 angles; the band is ±ε; dots: the prefix points p_i",
                "x": {"label": "θ (x = (cos θ, sin θ))", "values": theta.tolist()},
                "series": [{"label": f"(H − f)_{j}" if params.target.d > 1 else "H − f", "values": error[:, j].tolist()}
                           for j in range(params.target.d)],
                "band": {"low": -eps, "high": eps, "label": "±ε"},
                "markers": {"label": "prefix points", "x": np.arctan2(points[:, 1], points[:, 0]).tolist(),
                            "y": marks.tolist()},
            }]
        if params.dim == 2:
            lon, lat = np.linspace(-np.pi, np.pi, 241), np.linspace(-np.pi / 2, np.pi / 2, 121)
            LON, LAT = np.meshgrid(lon, lat)
            X = np.column_stack([(np.cos(LAT) * np.cos(LON)).ravel(), (np.cos(LAT) * np.sin(LON)).ravel(), np.sin(LAT).ravel()])
            error = on_chunks(lambda chunk: evaluator.parts_f64(chunk)["error"], X).reshape(LAT.shape)
            return [{
                "id": "error-s2", "kind": "map", "title": f"‖H − f‖ on S² (ε = {eps:g}, N = {c.prefix_length})",
                "caption": f"equirectangular, float64 closed form on a 241 × 121 grid; max {error.max():.4g} against ε = {eps:g}; "
                           "dots: the prefix points p_i",
                "x": {"label": "longitude φ", "values": lon.tolist()}, "y": {"label": "latitude", "values": lat.tolist()},
                "z": error.tolist(), "z_label": "‖H − f‖",
                "markers": {"label": "prefix points", "x": np.arctan2(points[:, 1], points[:, 0]).tolist(),
                            "y": np.arcsin(np.clip(points[:, 2], -1, 1)).tolist()},
            }]
        return []


THEOREM = SingleHead()
