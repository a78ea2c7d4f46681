"""The sampled half of R1: the real head's closed form in float64 and in mpmath, and its sampled sup error.

For x ∈ S^m, with the stored prefix (k_i, v_i) inserted into head h and T content tokens u(x):

    s_i(x) = ⟨κ_i, x⟩ + b_i  (κ_i = A_Qᵀk_i/√d_h, b_i = ⟨c_Q, k_i⟩/√d_h),   s_c(x) = ⟨A_Q x + c_Q, A_K x + c_K⟩/√d_h,
    α = softmax(s_1, …, s_N, s_c + ln T),   o(x) = W_O (Σ_i α_i v_i + α_C (A_V x + c_V)),
    error(x) = ‖o(x) − U f(x)‖ = ‖W_O (z(x) − M f(x))‖   (U = W_O M; the output bias excluded).

The parts near/far are E1's split of the prefix-only head H̄ = Σ_i ŵ_i f(p_i) (ŵ: softmax of the prefix scores alone):
near = ‖Σ_{‖x−p_i‖≤r} ŵ_i (f(p_i) − f(x))‖, far likewise over ‖x − p_i‖ > r. The mpmath evaluation uses the exact
inputs (float32 weights and keys, the exact frame B·diag(n^{−1/2}), s = √(1/D + ε_LN)) at the working precision.
"""
from __future__ import annotations

import math
from functools import cached_property

import mpmath
import numpy as np

from verifier.domains import Sphere, to_sphere_mp
from verifier.supnorm import SupResult, sup_search

from .construction import rational
from .instance import R1Instance

PARTS = ("error", "near", "far")


class R1Evaluator:
    """Evaluates the R1 head's error and its parts at points of S^m (module doc)."""

    def __init__(self, instance: R1Instance):
        self.i = instance
        self._mp_cache: dict = {}

    @cached_property
    def _f64(self) -> dict:
        i = self.i
        root = math.sqrt(i.head.head_dim)
        keys = i.prefix.keys.astype(np.float64)
        W_O = np.asarray(i.head.W_O, np.float64)
        return {"kappa": keys @ i.query.A_f64 / root, "bias": keys @ i.query.c_f64 / root,
                "values": i.prefix.values.astype(np.float64), "W_O": W_O, "U": W_O @ i.prefix.M, "root": root}

    def output_f64(self, X: np.ndarray) -> np.ndarray:
        """o(x) (rows, D) in float64."""
        i, a = self.i, self._f64
        logits = np.column_stack([X @ a["kappa"].T + a["bias"], self.content_score_f64(X) + math.log(i.params.context)])
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(axis=1, keepdims=True)
        content_value = X @ i.value.A_f64.T + i.value.c_f64
        return (w[:, :-1] @ a["values"] + w[:, -1:] * content_value) @ a["W_O"].T

    def content_score_f64(self, X: np.ndarray) -> np.ndarray:
        i = self.i
        q, k = X @ i.query.A_f64.T + i.query.c_f64, X @ i.key.A_f64.T + i.key.c_f64
        return np.einsum("ij,ij->i", q, k) / self._f64["root"]

    def parts_f64(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """error, near, far at the rows of X (float64)."""
        i, a = self.i, self._f64
        f = i.params.target.numpy(X)
        error = np.linalg.norm(self.output_f64(X) - f @ a["U"].T, axis=1)
        scores = X @ a["kappa"].T + a["bias"]
        scores -= scores.max(axis=1, keepdims=True)
        w = np.exp(scores)
        w /= w.sum(axis=1, keepdims=True)
        fp = i.params.target.numpy(i.points)
        near_mask = np.linalg.norm(X[:, None, :] - i.points[None, :, :], axis=2) <= float(i.e1.r)
        parts = {"error": error}
        for name, mask in (("near", near_mask), ("far", ~near_mask)):
            wm = w * mask
            parts[name] = np.linalg.norm(wm @ fp - wm.sum(axis=1, keepdims=True) * f, axis=1)
        return parts

    def _mp(self) -> dict:
        """The exact inputs at the current precision (cached per precision)."""
        dps = mpmath.mp.dps
        if dps in self._mp_cache:
            return self._mp_cache[dps]
        i = self.i
        D = i.model.hidden_size
        s = mpmath.sqrt(mpmath.mpf(1) / D + mpmath.mpf(i.head.ln_eps))
        scales = [1 / (mpmath.sqrt(n) * s) for n in i.frame.norms2]

        def affine(aff):
            A = [[mpmath.mpf(int(aff.P[r, j].p)) / int(aff.P[r, j].q) * scales[j] for j in range(aff.P.ncols())]
                 for r in range(aff.P.nrows())]
            c = [mpmath.mpf(int(aff.c[r, 0].p)) / int(aff.c[r, 0].q) for r in range(aff.c.nrows())]
            return A, c

        W_O = rational(i.head.W_O)
        G = W_O.transpose() * W_O
        data = {
            "Q": affine(i.query), "K": affine(i.key), "V": affine(i.value), "root": mpmath.sqrt(i.head.head_dim),
            "keys": [[mpmath.mpf(float(v)) for v in row] for row in i.prefix.keys],
            "values": [[mpmath.mpf(float(v)) for v in row] for row in i.prefix.values],
            "M": [[mpmath.mpf(float(v)) for v in row] for row in i.prefix.M],
            "G": [[mpmath.mpf(int(G[r, c].p)) / int(G[r, c].q) for c in range(G.ncols())] for r in range(G.nrows())],
            "points": [[mpmath.mpf(float(v)) for v in p] for p in i.points],
        }
        self._mp_cache[dps] = data
        return data

    def parts_mp(self, x) -> dict[str, mpmath.mpf]:
        """error, near, far at one point x (normalised here) at the current precision."""
        i, a = self.i, self._mp()
        xm = to_sphere_mp(x)
        (AQ, cQ), (AK, cK), (AV, cV) = a["Q"], a["K"], a["V"]
        q = [mpmath.fsum(A_r[j] * xm[j] for j in range(len(xm))) + c_r for A_r, c_r in zip(AQ, cQ)]
        kc = [mpmath.fsum(A_r[j] * xm[j] for j in range(len(xm))) + c_r for A_r, c_r in zip(AK, cK)]
        vc = [mpmath.fsum(A_r[j] * xm[j] for j in range(len(xm))) + c_r for A_r, c_r in zip(AV, cV)]
        scores = [mpmath.fsum(qj * kj for qj, kj in zip(q, k)) / a["root"] for k in a["keys"]]
        content = mpmath.fsum(qj * kj for qj, kj in zip(q, kc)) / a["root"] + mpmath.log(i.params.context)
        top = max(scores + [content])
        w = [mpmath.exp(v - top) for v in scores]
        wc = mpmath.exp(content - top)
        total = mpmath.fsum(w) + wc
        fx = i.params.target.mp(xm)
        z = [(mpmath.fsum(wi * v[j] for wi, v in zip(w, a["values"])) + wc * vc[j]) / total for j in range(len(vc))]
        e = [zj - mpmath.fsum(Mj[k] * fx[k] for k in range(len(fx))) for zj, Mj in zip(z, a["M"])]
        error = mpmath.sqrt(max(mpmath.mpf(0), mpmath.fsum(e[r] * Gr[c] * e[c] for r, Gr in enumerate(a["G"])
                                                              for c in range(len(e)))))
        prefix_total = mpmath.fsum(w)
        fp = [i.params.target.mp(p) for p in a["points"]]
        r2 = mpmath.mpf(float(i.e1.r)) ** 2
        near_mask = [mpmath.fsum((pj - xj) ** 2 for pj, xj in zip(p, xm)) <= r2 for p in a["points"]]
        parts = {"error": error}
        for name, want in (("near", True), ("far", False)):
            vec = [mpmath.fsum(wi * (f_i[k] - fx[k]) for wi, f_i, m in zip(w, fp, near_mask) if m == want) / prefix_total
                   for k in range(len(fx))]
            parts[name] = mpmath.norm(vec)
        return parts

    def sups(self) -> dict[str, SupResult]:
        """Sampled sups of error, near, far over S^m (float64 scan including the prefix's cell midpoints, refinement,
        mpmath at two precisions)."""
        p = self.i.params
        midpoints = self.i.points + np.roll(self.i.points, 1, axis=0)
        extra = midpoints[np.linalg.norm(midpoints, axis=1) > 1e-9]
        extra = extra / np.linalg.norm(extra, axis=1, keepdims=True)
        return sup_search(self.parts_f64, self.parts_mp, PARTS, Sphere(p.dim), p.policy, p.seed, p.points,
                          extra_points=extra, chunk_rows=256)
