"""R1 certified: every constant of the real head in ball arithmetic, and the branch and bound of its sup error.

With the stored keys k_i (exact float32), prefix i scores ⟨q(x), k_i⟩/√d_h = ⟨κ_i, x⟩ + b_i, κ_i = A_Qᵀk_i/√d_h,
b_i = ⟨c_Q, k_i⟩/√d_h, i.e. λ⟨p_i, x⟩ + b + η_i(x) with

    |η_i(x)| ≤ η_i := ‖κ_i − λ p_i‖ + |b_i − b|     (for every x ∈ S^m; η = max_i η_i).

The T content tokens score s_c(x) = (A_Q x + c_Q)ᵀ(A_K x + c_K)/√d_h = xᵀQx + lᵀx + c₀, so on S^m

    s_c(x) ≤ S := ‖Q‖_F + ‖l‖ + c₀,   and their value W_O v(x) has ‖W_O(A_V x + c_V)‖ ≤ V_c := ‖W_O A_V‖_F + ‖W_O c_V‖.

With the prefix-only weights ŵ_i (softmax of the prefix scores alone), H̄(x) = Σ_i ŵ_i f(p_i), the content's total
weight α_C and ω_i = W_O v_i − U f(p_i) (the values' rounding), the head's output o(x) (output bias excluded) obeys

    o − U f = (1 − α_C)(U(H̄ − f) + Σ_i ŵ_i ω_i) + α_C (W_O v(x) − U f),
    ‖o − U f‖ ≤ ‖U‖·‖H̄ − f‖ + max_i ‖ω_i‖ + leak,   leak := T e^{S − λ(1−δ²/2) − b + η} (V_c + ‖U‖ B),

since some p* has ⟨x, p*⟩ ≥ 1 − δ²/2 (step 1, covering) and so α_C ≤ T e^{S}/e^{λ(1−δ²/2)+b−η}. ‖H̄ − f‖ and its near
and far parts are enclosed on face cells by H0's cell enclosure (``proofs.h0.enclosure.enclose_parts_many``) with no
content token and per-token biases b ± η_i (the box model admits every score perturbation of size ≤ η_i).
‖U‖ ≤ (Gershgorin bound of UᵀU)^{1/2} (``verifier.bounds.operator_norm_ball``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from flint import arb, arb_mat, ctx

from verifier.ball import PRECISION_BITS
from verifier.bounds import norm_ball, operator_norm_ball, target_functions
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.budget import Budget
from verifier.cells import dyadic_face_cells

from proofs.h0.enclosure import PrefixBalls, enclose_parts, enclose_parts_many

from .construction import Affine

NAMES = ("error", "near", "far")  # the branch and bound's quantities: ‖o − Uf‖ and the near and far parts (times ‖U‖)


def frobenius(rows) -> arb:
    """‖X‖_F of a ball matrix (list of rows), as a ball."""
    return norm_ball([v for row in rows for v in row])


def matrix(values: np.ndarray) -> arb_mat:
    """The exact ball matrix of a float array (every float is a dyadic rational)."""
    a = np.asarray(values, dtype=np.float64)
    return arb_mat([[arb(float(v)) for v in row] for row in a.reshape(len(a), -1)])


@dataclass(frozen=True)
class ContentBounds:
    """S ≥ max_{S^m} s_c and V_c ≥ max_{S^m} ‖W_O v(x)‖ (balls; module doc)."""

    score: arb
    value: arb


def content_bounds(query: Affine, key: Affine, value: Affine, W_O: np.ndarray, head_dim: int) -> ContentBounds:
    """The content-score bound S and content-value bound V_c of the module doc."""
    with ctx.workprec(PRECISION_BITS):
        root = arb(head_dim).sqrt()
        Q = query.A.transpose() * key.A
        l = key.A.transpose() * query.c_ball + query.A.transpose() * key.c_ball
        c0 = (query.c_ball.transpose() * key.c_ball)[0, 0]
        score = (frobenius(Q.tolist()) + frobenius(l.tolist()) + c0) / root
        WO = matrix(W_O)
        v = frobenius((WO * value.A).tolist()) + frobenius((WO * value.c_ball).tolist())
        return ContentBounds(score, v)


def score_errors(query: Affine, keys: np.ndarray, points: list, lam: arb, offset: float, head_dim: int) -> list[arb]:
    """η_i = ‖κ_i − λp_i‖ + |b_i − b| (balls) for the stored keys (rows of ``keys``) and the ideal points (balls)."""
    with ctx.workprec(PRECISION_BITS):
        root = arb(head_dim).sqrt()
        K = matrix(keys)
        kappa = (K * query.A).tolist()
        bias = (K * query.c_ball).tolist()
        return [norm_ball([kj / root - lam * pj for kj, pj in zip(k, p)]) + abs(bi[0] / root - offset)
                for k, p, bi in zip(kappa, points, bias)]


def value_errors(W_O: np.ndarray, M: np.ndarray, values: np.ndarray, targets: list) -> arb:
    """max_i ‖ω_i‖ ≤ ‖W_O‖·max_i ‖v_i − M f(p_i)‖ (``targets``: balls of f(p_i))."""
    with ctx.workprec(PRECISION_BITS):
        Mb = matrix(M)
        worst = functools.reduce(arb.max, (
            norm_ball([arb(float(v)) - sum((Mb[j, k] * t for k, t in enumerate(f)), arb(0)) for j, v in enumerate(row)])
            for row, f in zip(values, targets)))
        return operator_norm_ball(matrix(W_O).transpose().tolist()) * worst  # ‖W_O‖² ≤ Gershgorin of W_OᵀW_O


def frame_norm(W_O: np.ndarray, M: np.ndarray) -> arb:
    """A ball whose upper end bounds ‖U‖ (U = W_O M exactly; Gershgorin, ``verifier.bounds.operator_norm_ball``)."""
    with ctx.workprec(PRECISION_BITS):
        return operator_norm_ball((matrix(W_O) * matrix(M)).transpose().tolist())  # Gershgorin of UᵀU (d × d)


def orthonormality_defect(W_O: np.ndarray, M: np.ndarray) -> arb:
    """‖UᵀU − I‖_F (a ball): how far U's columns are from orthonormal (M's float64 rounding)."""
    with ctx.workprec(PRECISION_BITS):
        U = matrix(W_O) * matrix(M)
        G = (U.transpose() * U).tolist()
        return frobenius([[g - (1 if i == j else 0) for j, g in enumerate(row)] for i, row in enumerate(G)])


def leak_bound(context: int, score: arb, lam: arb, delta: arb, offset: float, eta: arb, value: arb, unorm: arb,
               bound) -> arb:
    """T e^{S − λ(1−δ²/2) − b + η}(V_c + ‖U‖B) (module doc)."""
    with ctx.workprec(PRECISION_BITS):
        return context * (score - lam * (1 - delta * delta / 2) - offset + eta).exp() * (value + unorm * bound)


@dataclass(frozen=True)
class Certificate:
    """The constants the cell bound adds to the prefix-only enclosure: ‖U‖, max ‖ω_i‖ and the leak bound."""

    unorm: arb
    omega: arb
    leak: arb


def prefix_balls(points: list, targets: list, lam: arb, offset: float, eta: list[arb], near_cos: arb) -> PrefixBalls:
    """The prefix-only head in H0's ball form: unit p_i, values f(p_i), λ, biases b ± η_i, no content token."""
    with ctx.workprec(PRECISION_BITS):
        biases = [arb(offset) + arb(0, 1) * e.upper() for e in eta]
        return PrefixBalls(points, targets, lam, biases, 0, near_cos)


def certify_sup(prefix: PrefixBalls, certificate: Certificate, target, m: int, n: int, eps: float,
                budget: Budget) -> Bounded:
    """Branch and bound of (‖o − Uf‖, ‖U‖·‖near‖, ‖U‖·‖far‖) against (ε, ε/2, ε/4) over face cells of S^m."""
    functions = target_functions(target)
    c = certificate

    def combine(parts) -> tuple:
        error, near, far, _ = parts
        with ctx.workprec(PRECISION_BITS):
            return (c.unorm * error + c.omega + c.leak).upper(), (c.unorm * near).upper(), (c.unorm * far).upper()

    return branch_and_bound(dyadic_face_cells(m, n), lambda cell: combine(enclose_parts(prefix, cell, functions)),
                            (eps, eps / 2, eps / 4), lambda cell: cell.split(), budget,
                            many=lambda cells: [combine(parts) for parts in enclose_parts_many(prefix, cells, functions)])
