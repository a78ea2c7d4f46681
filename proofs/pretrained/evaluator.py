"""The sampled half of R1: the real head's closed form in float64 and in mpmath, and its sampled sup error.

For x ∈ S^m, with the stored prefix (k_i, v_i) inserted into head h and T content tokens u(x):

    u(x) = LayerNorm(E x) (computed, not assumed affine: R1.reduction is what proves it affine),
    q, k, v = W_{Q,K,V} u(x) + b_{Q,K,V},   s_i(x) = ⟨q, k_i⟩/√d_h,   s_c(x) = ⟨q, k⟩/√d_h,
    α = softmax(s_1, …, s_N, s_c + ln T),   o(x) = W_O (Σ_i α_i v_i + α_C v),
    error(x) = ‖o(x) − U f(x)‖ = ‖W_O (z(x) − M f(x))‖   (U = W_O M; the output bias excluded).

LayerNorm is computed through the frame without forming E x: with μ = ⟨Eᵀ1, x⟩/D and σ² = xᵀ(EᵀE)x/D − μ² (an
identity for any E),  W u(x) + b = ((W Γ E) x − μ (W Γ 1))/√(σ² + ε_LN) + W β + b;  the prefix scores likewise with
K W Γ E, K W Γ 1, K(W β + b) formed once per precision.

The parts near/far are E1's split of the prefix-only head H̄ = Σ_i ŵ_i f(p_i) (ŵ: softmax of the prefix scores alone):
near = ‖Σ_{‖x−p_i‖≤r} ŵ_i (f(p_i) − f(x))‖, far likewise over ‖x − p_i‖ > r. The mpmath evaluation uses the exact
inputs (float32 weights and keys, the exact frame B·diag(n^{−1/2})) at the working precision.
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
        i, h = self.i, self.i.head
        keys = i.prefix.keys.astype(np.float64)
        W_O = np.asarray(i.head.W_O, np.float64)
        E = i.frame.float64
        maps = {}
        for name in "QKV":
            Wg = np.asarray(getattr(h, f"W_{name}"), np.float64) * h.ln_gamma
            maps[name] = (Wg @ E, Wg.sum(axis=1), getattr(h, f"W_{name}") @ np.asarray(h.ln_beta, np.float64)
                          + getattr(h, f"b_{name}"))
        return {"keys": keys, "values": i.prefix.values.astype(np.float64), "W_O": W_O, "U": W_O @ i.prefix.M,
                "root": math.sqrt(h.head_dim), "gram": E.T @ E, "sums": E.sum(axis=0), "maps": maps,
                "targets": i.params.target.numpy(i.points)}

    def projections_f64(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(q, k, v) of the content token u(x) = LayerNorm(E x) at the rows of X (float64; LayerNorm computed through
        the frame identity of the module doc, not assumed affine)."""
        a, h = self._f64, self.i.head
        D = len(h.ln_gamma)
        mean = X @ a["sums"] / D
        scale = 1 / np.sqrt(np.einsum("ij,jk,ik->i", X, a["gram"], X) / D - mean * mean + h.ln_eps)
        return tuple((X @ WgE.T - mean[:, None] * Wg1) * scale[:, None] + c for WgE, Wg1, c in
                     (a["maps"][name] for name in "QKV"))

    def output_f64(self, X: np.ndarray) -> np.ndarray:
        """o(x) (rows, D) in float64."""
        a = self._f64
        q, k, v = self.projections_f64(X)
        logits = np.column_stack([q @ a["keys"].T, np.einsum("ij,ij->i", q, k)]) / a["root"]
        logits[:, -1] += math.log(self.i.params.context)
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(axis=1, keepdims=True)
        return (w[:, :-1] @ a["values"] + w[:, -1:] * v) @ a["W_O"].T

    def content_score_f64(self, X: np.ndarray) -> np.ndarray:
        q, k, _ = self.projections_f64(X)
        return np.einsum("ij,ij->i", q, k) / self._f64["root"]

    def parts_f64(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """error, near, far at the rows of X (float64)."""
        i, a = self.i, self._f64
        f = i.params.target.numpy(X)
        error = np.linalg.norm(self.output_f64(X) - f @ a["U"].T, axis=1)
        scores = self.projections_f64(X)[0] @ a["keys"].T / a["root"]
        scores -= scores.max(axis=1, keepdims=True)
        w = np.exp(scores)
        w /= w.sum(axis=1, keepdims=True)
        fp = a["targets"]
        near_mask = np.linalg.norm(X[:, None, :] - i.points[None, :, :], axis=2) <= float(i.e1.r)
        parts = {"error": error}
        for name, mask in (("near", near_mask), ("far", ~near_mask)):
            wm = w * mask
            parts[name] = np.linalg.norm(wm @ fp - wm.sum(axis=1, keepdims=True) * f, axis=1)
        return parts

    def _mp(self) -> dict:
        """The exact inputs at the current precision, with the frame identity's matrices (cached per precision): the
        rationals W Γ B, W Γ 1, W β + b and K·(those) from ``construction.affine``, times the frame's n_j^{−1/2}."""
        dps = mpmath.mp.dps
        if dps in self._mp_cache:
            return self._mp_cache[dps]
        i, h = self.i, self.i.head
        mp_rows = lambda a: [[mpmath.mpf(float(v)) for v in row] for row in np.atleast_2d(a)]  # noqa: E731 (exact)
        to_mp = lambda Q: [[mpmath.mpf(int(v.p)) / int(v.q) for v in row] for row in Q.tolist()]  # noqa: E731
        inv_roots = [1 / mpmath.sqrt(n) for n in i.frame.norms2]
        framed = lambda Q: [[v * r for v, r in zip(row, inv_roots)] for row in to_mp(Q)]  # noqa: E731 (· n^{−1/2})
        column = lambda Q: [row[0] for row in to_mp(Q)]  # noqa: E731
        affines = {"Q": i.query, "K": i.key, "V": i.value}
        maps = {name: (framed(a.P), column(a.ones), column(a.c)) for name, a in affines.items()}
        K = rational(i.prefix.keys)
        scores = (framed(K * i.query.P), column(K * i.query.ones), column(K * i.query.c))
        B = i.frame.B
        gram = B.transpose() * B
        W_O = rational(h.W_O)
        G = W_O.transpose() * W_O
        k = len(inv_roots)
        data = {
            "gram": [[int(gram[a, b]) * inv_roots[a] * inv_roots[b] for b in range(k)] for a in range(k)],
            "sums": [s * r for s, r in zip(i.frame.column_sums(), inv_roots)], "D": B.nrows(),
            "eps": mpmath.mpf(h.ln_eps), "maps": maps, "scores": scores, "root": mpmath.sqrt(h.head_dim),
            "values": mp_rows(i.prefix.values), "M": mp_rows(i.prefix.M), "points": mp_rows(i.points),
            "targets": [i.params.target.mp(p) for p in mp_rows(i.points)], "G": to_mp(G),
        }
        self._mp_cache[dps] = data
        return data

    def parts_mp(self, x) -> dict[str, mpmath.mpf]:
        """error, near, far at one point x (normalised here) at the current precision."""
        i, a = self.i, self._mp()
        xm = to_sphere_mp(x)
        dot = lambda u, v: mpmath.fsum(s * t for s, t in zip(u, v))  # noqa: E731
        mean = dot(a["sums"], xm) / a["D"]
        scale = 1 / mpmath.sqrt(mpmath.fsum(xm[r] * g * xm[c] for r, row in enumerate(a["gram"]) for c, g in enumerate(row))
                                / a["D"] - mean * mean + a["eps"])
        q, kc, vc = ([(dot(row, xm) - mean * s1) * scale + c for row, s1, c in zip(*a["maps"][name])] for name in "QKV")
        KWgE, KWg1, Kc = a["scores"]
        scores = [((dot(row, xm) - mean * s1) * scale + c) / a["root"] for row, s1, c in zip(KWgE, KWg1, Kc)]
        content = dot(q, kc) / a["root"] + mpmath.log(i.params.context)
        top = max(scores + [content])
        w = [mpmath.exp(v - top) for v in scores]
        wc = mpmath.exp(content - top)
        total = mpmath.fsum(w) + wc
        fx = i.params.target.mp(xm)
        z = [(mpmath.fsum(wi * v[j] for wi, v in zip(w, a["values"])) + wc * vc[j]) / total for j in range(len(vc))]
        e = [zj - dot(Mj, fx) for zj, Mj in zip(z, a["M"])]
        error = mpmath.sqrt(max(mpmath.mpf(0), mpmath.fsum(e[r] * Gr[c] * e[c] for r, Gr in enumerate(a["G"])
                                                              for c in range(len(e)))))
        prefix_total = mpmath.fsum(w)
        r2 = mpmath.mpf(float(i.e1.r)) ** 2
        near_mask = [mpmath.fsum((pj - xj) ** 2 for pj, xj in zip(p, xm)) <= r2 for p in a["points"]]
        parts = {"error": error}
        for name, want in (("near", True), ("far", False)):
            vec = [mpmath.fsum(wi * (f_i[k] - fx[k]) for wi, f_i, m in zip(w, a["targets"], near_mask) if m == want)
                   / prefix_total for k in range(len(fx))]
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
