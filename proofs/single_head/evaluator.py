"""The sampled half of E1: ‖H − f‖ and its parts near/far/leak on the prefixed H0 head.

H(x) − f(x) = near(x) + far(x) + leak(x) with, for softmax weights w_i (prefix) and c_t (content),

    near(x) = Σ_{‖x−p_i‖≤r} w_i (v_i − f(x)),  far(x) = Σ_{‖x−p_i‖>r} w_i (v_i − f(x)),
    leak(x) = Σ_t c_t (ν_t − f(x)).
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import Optional

import mpmath
import numpy as np
from scipy.spatial import cKDTree

from verifier.attention import ClosedForm, Prefix, tail_log_budget
from verifier.budget import scan_chunk_rows
from verifier.domains import CoveringRadius, Sphere, farthest_point_candidates, to_sphere_mp
from verifier.precision import exact_to_mp
from verifier.reproducible import matmul
from verifier.supnorm import SupResult, sup_search

from proofs.h0.evaluator import H0Evaluator

from .construction import E1Construction

GROUP_ROWS = 64  # rows of the truncated float64 scan summed over one union of near tokens
FLOAT64_DIGITS = 20  # the truncated float64 scan drops tokens weighing < 10^−20 relative to the best
PARTS = ("error", "near", "far", "leak")  # ‖H − f‖ and the norms of its three parts
CONTINUOUS_PARTS = ("error", "leak")  # continuous in x; near/far are split by the hard threshold ‖x − p_i‖ ≤ r


class E1Evaluator(H0Evaluator):
    """Evaluates ‖H − f‖, ‖near‖, ‖far‖, ‖leak‖ on the H0 head through the derived closed form."""

    def __init__(self, construction: E1Construction, closed_form: ClosedForm, truncate: bool = True):
        super().__init__(construction, closed_form)
        self.truncate = truncate  # mpmath sums over the tokens near x only (see near_tokens)
        self._values: dict = {}  # ν_prefix of every token, per mpmath precision (dps)
        self._thresholds: dict = {}  # 1 − r²/2, per mpmath precision (dps)

    def sups(self, rho: CoveringRadius) -> dict[str, SupResult]:
        """Sampled sups of the four norms; the scan also covers the points farthest from the prefix
        (where nearest-point interpolation errs most), and ‖H − f‖ gets the mpmath polish. When the instance is
        certified (``certify.why_not_certifiable`` is None and --evidence is not sampled) the verdicts of the parts
        rest on their certified bounds, so only ‖H − f‖ (the theorem's sup, whose argmax F.two-paths reads) is
        refined by Nelder–Mead; near, far and leak keep their worst scan points (lower estimates either way)."""
        from .certify import why_not_certifiable

        params = self.c.params
        farthest = farthest_point_candidates(self.c.float64[0])
        extra = np.vstack([rho.witness[None, :], farthest[0] if farthest is not None else np.empty((0, params.dim + 1))])
        certified = params.certify and why_not_certifiable(params) is None
        return sup_search(self.parts_f64, self.parts_mp, PARTS, Sphere(params.dim), params.policy, params.seed,
                          scan_points=params.points, extra_points=extra, polish=("error",),
                          chunk_rows=scan_chunk_rows(self.c.prefix_length + self.T),
                          refined=("error",) if certified else None)

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
        terms = self.terms_f64(X, Prefix(full.keys[index], full.biases[index], full.values[index]))
        wp, vp, fx = terms.prefix_weights, terms.prefix_values, terms.target
        near = matmul(X, points.T) >= 1 - float(self.c.r) ** 2 / 2  # ‖x − p‖ ≤ r ⇔ ⟨x, p⟩ ≥ 1 − r²/2
        wn, wf = wp * near, wp * ~near
        vectors = {
            "near": matmul(wn, vp) - wn.sum(1, keepdims=True) * fx,
            "far": matmul(wf, vp) - wf.sum(1, keepdims=True) * fx,
            "leak": terms.content_sum_f64() - terms.content_weights.sum(1, keepdims=True) * fx,
            "error": terms.output_f64() - fx,
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
        values = self._prefix_values_mp()
        terms = self.terms_mp(xm, sub, [values[i] for i in index])
        wp, vp, wc, vc, fx = terms.prefix_weights, terms.prefix_values, terms.content_weights, terms.content_values, terms.target
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
        G = tail_log_budget(3 * self.c.prefix_length * (self._value_bound + float(self.target.bound) + 1), digits)
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
        distance = np.sqrt(np.maximum(0.0, 2 - 2 * matmul(points, np.array([float(v) for v in xm]))))
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
        margin = matmul(self.c.float64[0][list(index)], np.array([float(v) for v in xm])) - float(threshold)
        return [bool(gap > 0) if abs(gap) > 1e-9 else mpmath.fdot(xm, p) >= threshold for gap, p in zip(margin, points)]

