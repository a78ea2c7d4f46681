"""The sampled half: H(z) − h(z) and its near/far split on [0, 1], in float64 and in mpmath, and the sup search.

With softmax weights w_i(z) of the prefix tokens, H(z) − h(z) = Σ_i w_i (h(a_i) − h(z)) = near(z) + far(z):

    near(z) = Σ_{|z−a_i|≤r} w_i (h(a_i) − h(z)),   far(z) = Σ_{|z−a_i|>r} w_i (h(a_i) − h(z)).

The weights come from the head's closed form derived by ``verifier.attention.derive_closed_form`` from the
matrices (the H0 layout with a one-dimensional query, m = 0): σ(z; k, b, v) = z·k + b, ν = v.
verifier.supnorm searches spheres; [0, 1] needs its own (short) scan, whose result is a SupResult so that
``verifier.claims.claim_sup_le`` decides it like any other sampled sup.
"""
from __future__ import annotations

import time
from dataclasses import replace
from functools import cached_property

import mpmath
import numpy as np
import sympy
from scipy.optimize import minimize_scalar

from verifier.attention import ClosedForm, Head, derive_closed_form
from verifier.precision import exact_to_mp
from verifier.supnorm import FLOAT64_AGREEMENT, SupResult

from .construction import Construction
from .cost import CHUNK_CELLS

PARTS = ("error", "near", "far")
REFINE, VERIFY = 8, 3  # worst scan points refined in float64; best refined points re-evaluated in mpmath


def interval_head() -> Head:
    """W_Q = W_K = [I_2 | 0], W_V = [0 0 1] on tokens (k, b, v) ∈ R³; the query token is e(z) = (z, 1, 0)."""
    qk = sympy.Matrix([[1, 0, 0], [0, 1, 0]])
    return Head(qk, qk, sympy.Matrix([[0, 0, 1]]))


class Evaluator:
    """|H − h|, |near| and |far| of one construction through the derived closed form."""

    def __init__(self, construction: Construction):
        self.c = construction
        self.target = construction.params.target
        self.head = interval_head()
        self.cf: ClosedForm = derive_closed_form(self.head, 0, 1)

    def output_f64(self, z: np.ndarray) -> np.ndarray:
        """H(z) at every z (float64 closed form, log-sum-exp), shape (P,)."""
        wp, _ = self.cf.weights_numpy(z[:, None], self.c.float64, np.empty((len(z), 0, 1)))
        return wp @ self.c.float64.values[:, 0]

    def parts_f64(self, z: np.ndarray) -> dict[str, np.ndarray]:
        out, chunk = {name: np.empty(len(z)) for name in PARTS}, max(1, CHUNK_CELLS // self.c.N)
        for start in range(0, len(z), chunk):
            rows = z[start:start + chunk]
            wp, _ = self.cf.weights_numpy(rows[:, None], self.c.float64, np.empty((len(rows), 0, 1)))
            gap = self.c.float64.values[:, 0][None, :] - self.target.numpy(rows)[:, None]  # h(a_i) − h(z)
            near = np.abs(rows[:, None] - self.c.grid_f64[None, :]) <= self._r_f64
            for name, mask in (("error", True), ("near", near), ("far", ~near)):
                out[name][start:start + chunk] = np.abs(np.sum(wp * gap * mask, axis=1))
        return out

    def parts_mp(self, z) -> dict[str, mpmath.mpf]:
        """The same three values at the current mpmath precision (every token summed)."""
        zm = mpmath.mpf(z)
        prefix = self.c.at_precision()
        wp, _ = self.cf.weights_mp([zm], prefix, [])
        hz = self.target.mp(zm)
        r, K = exact_to_mp(self.c.r), self.c.K
        near = [abs(zm - mpmath.mpf(i) / K) <= r for i in range(K + 1)]  # |z − a_i| ≤ r, a_i = i/K
        terms = [w * (v[0] - hz) for w, v in zip(wp, prefix.values)]
        near_sum = mpmath.fsum(t for t, n in zip(terms, near) if n)
        far_sum = mpmath.fsum(t for t, n in zip(terms, near) if not n)
        return {"error": abs(near_sum + far_sum), "near": abs(near_sum), "far": abs(far_sum)}

    @cached_property
    def _r_f64(self) -> float:
        return float(self.c.r)

    def sups(self) -> dict[str, SupResult]:
        """Sampled sup of each part over [0, 1]: a float64 grid of ``points`` points plus the grid's midpoints
        (where nearest-point interpolation errs most), Brent refinement of the worst, mpmath at both precisions."""
        params = self.c.params
        began = time.perf_counter()
        z = np.unique(np.concatenate([np.linspace(0, 1, params.points), (self.c.grid_f64[:-1] + self.c.grid_f64[1:]) / 2]))
        scan = self.parts_f64(z)
        step = 1 / (params.points - 1)
        results = {}
        for name in PARTS:
            evaluations, refined = 0, []
            for i in np.argsort(-scan[name], kind="stable")[:REFINE]:
                lo, hi = max(0.0, z[i] - step), min(1.0, z[i] + step)
                opt = minimize_scalar(lambda t: -self.parts_f64(np.array([t]))[name][0], bounds=(lo, hi), method="bounded",
                                      options={"xatol": 1e-13})
                evaluations += opt.nfev
                refined.append((-opt.fun, opt.x) if -opt.fun > scan[name][i] else (scan[name][i], z[i]))
            refined.sort(key=lambda item: -item[0])
            best = None
            for _, t in refined[:VERIFY]:
                low, high = params.policy.at_both(lambda _dps, t=t: self.parts_mp(t))
                if best is None or high[name] > best[2][name]:
                    best = (t, low, high)
            t, low, high = best
            value64 = float(self.parts_f64(np.array([t]))[name][0])
            results[name] = SupResult(
                name=name, value=high[name], value_working=low[name], float64_value=value64, argmax=(float(t),),
                points=len(z) + evaluations + 1, dps=params.policy.dps, verify_dps=params.policy.verify_dps,
                precision_agrees=params.policy.agree(low[name], high[name]),
                float64_agrees=bool(abs(value64 - float(high[name])) <= FLOAT64_AGREEMENT * max(1.0, abs(value64))),
                method="sampled: float64 grid on [0, 1] + bounded Brent refinement, mpmath at the argmax",
            )
        seconds = time.perf_counter() - began
        return {name: replace(r, seconds=seconds) for name, r in results.items()}
