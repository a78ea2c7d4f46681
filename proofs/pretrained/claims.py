"""R1's claims: the weights, the rank condition, the reduction, the content score, the leakage bound and the two paths.

(The sampled and certified sup claims — steps 2, 3, 5 — are made in ``theorem`` from ``evaluator`` and ``enclosure``;
step 1, the covering, is E1's own claim on the same grid.)
"""
from __future__ import annotations

import numpy as np
from flint import arb

from verifier.ball import upper
from verifier.claims import ClaimResult, Evidence, Kind, TwoPaths, Verdict, claim_holds, decimal_text, two_paths_claim

from .evaluator import R1Evaluator
from .instance import LEAK_SLACK, R1Instance
from .layer import self_attention
from .weights import PACKAGED_SHA256

TWO_PATHS_POINTS = 64  # float64 points of S^m for F.two-paths (seed + 11)


def claim_ball_le(id: str, statement: str, ball: arb, bound, kind: Kind, method: str, detail: str = "") -> ClaimResult:
    """'x ≤ bound' for a ball x ∋ the true value: PASS if every point of the ball is ≤ bound, FAIL if every point is
    above it, else INCONCLUSIVE; certified evidence (the value shown is the ball's upper end)."""
    bound = arb(bound) if not isinstance(bound, arb) else bound
    verdict = Verdict.PASS if ball <= bound else Verdict.FAIL if ball > bound else Verdict.INCONCLUSIVE
    text = decimal_text(ball.upper()) if ball.is_finite() else None
    value = 0.0 if text is not None and float(text) == 0 else upper(ball)  # below the float64 range: the text says it
    return ClaimResult(id, statement, verdict, kind, method, value=value, bound=upper(bound), detail=detail,
                       evidence=Evidence.CERTIFIED, value_text=text, bound_text=decimal_text(bound.upper()))


def weights_claim(i: R1Instance) -> ClaimResult:
    """The model read is a BERT layout (every attention tensor float32 with its shape: ``weights.load_model`` checks
    them) and, for the packaged model, its SHA-256 is the published one."""
    model, packaged = i.model, i.params.weights is None
    holds = (model.sha256 == PACKAGED_SHA256) if packaged else True
    return claim_holds(
        "R1.weights", f"the weights are a BERT layout ({model.num_layers} layers × {model.num_heads} heads, D = "
        f"{model.hidden_size}, d_h = {model.head_dim}, float32)" + (" with the packaged SHA-256" if packaged else ""),
        holds, Kind.HYPOTHESIS, f"SHA-256 of model.safetensors = {model.sha256}; every tensor's dtype and shape checked",
    )


def rank_claim(i: R1Instance) -> ClaimResult:
    """rank [A_Q c_Q] = m + 2 in exact rational arithmetic (the minimum-norm keys then solve their equations)."""
    from .construction import exact_rank, smallest_singular_value

    rank, want = exact_rank(i.query), i.params.dim + 2
    return claim_holds(
        "R1.rank", f"the query map q(x) = A x + c of head {i.params.head} has rank [A c] = m + 2 = {want}", rank == want,
        Kind.PROOF_STEP, "exact: rank of the rational matrix [W_Q Γ B, W_Q β + b_Q] (python-flint fmpq_mat)",
        detail=f"rank {rank}; smallest singular value of [A c] {smallest_singular_value(i.query):.4g} (float64)",
        value=float(rank), bound=float(want),
    )


def reduction_claim(i: R1Instance) -> ClaimResult:
    """LayerNorm(E x) = γ ⊙ E x/s + β on S^m exactly (1ᵀB = 0 and BᵀB diagonal, in integers), so prefix i scores
    λ⟨p_i, x⟩ + b + η_i(x) with |η_i| ≤ η_i (certified); the claim also needs η ≤ LEAK_SLACK."""
    sums, off = i.frame.column_sums(), i.frame.gram_off_diagonal()
    statement = (f"LayerNorm is affine on the frame's sphere (E x has mean 0 and norm 1) and the stored prefix scores "
                 f"λ⟨p_i, x⟩ + b + η_i(x) with |η_i| ≤ η ≤ {LEAK_SLACK}")
    if any(sums) or any(off):
        x = _worst_mean_point(i)
        return claim_holds("R1.reduction", statement, False, Kind.PROOF_STEP,
                           "exact: integer column sums 1ᵀB and Gram matrix BᵀB",
                           detail=f"1ᵀB = {sums[:3]}, off-diagonal BᵀB = {off[:3]}: E x has mean "
                                  f"{float(np.mean(i.frame.float64 @ x)):.3g} at x = {np.round(x, 6).tolist()}, where "
                                  f"‖LayerNorm(E x) − (γ ⊙ E x/s + β)‖ = {_affine_gap(i, x):.3g}", witness=tuple(float(v) for v in x))
    return claim_ball_le("R1.reduction", statement, i.eta_max, LEAK_SLACK, Kind.PROOF_STEP,
                         "exact: 1ᵀB = 0 and BᵀB diagonal (integers); certified: η_i = ‖A_Qᵀk_i/√d_h − λp_i‖ + "
                         "|⟨c_Q, k_i⟩/√d_h − b| in arb from the stored keys")


def _worst_mean_point(i: R1Instance) -> np.ndarray:
    """The x ∈ S^m maximising |mean(E x)| (along Eᵀ1)."""
    direction = i.frame.float64.sum(axis=0)
    return direction / np.linalg.norm(direction)


def _affine_gap(i: R1Instance, x: np.ndarray) -> float:
    """‖LayerNorm(E x) − (γ ⊙ E x/s + β)‖ in float64 at x."""
    h, r = i.head, i.frame.float64 @ x
    true = h.ln_gamma * (r - r.mean()) / np.sqrt(r.var() + h.ln_eps) + h.ln_beta
    affine = h.ln_gamma * r / np.sqrt(1 / len(r) + h.ln_eps) + h.ln_beta
    return float(np.linalg.norm(true - affine))


def content_score_claim(i: R1Instance, evaluator: R1Evaluator, points: np.ndarray, bound: arb | None = None) -> ClaimResult:
    """The certified S ≥ max_{S^m} s_c against the sampled maximum over ``points`` (a sampled value above S refutes
    the bound). ``bound`` replaces S for negative controls."""
    S = i.content.score if bound is None else bound
    sampled = float(np.max(evaluator.content_score_f64(points)))
    verdict = Verdict.FAIL if arb(sampled) > S else Verdict.PASS
    return ClaimResult("R1.content-score", "the content tokens' score s_c(x) = ⟨q(x), k(x)⟩/√d_h is at most "
                       "S = ‖Q‖_F + ‖l‖ + c₀ on S^m", verdict, Kind.PROOF_STEP,
                       f"certified: S in arb from the exact affine maps; sampled maximum over {len(points)} points "
                       f"{sampled:.6g}", value=sampled, bound=upper(S), evidence=Evidence.CERTIFIED if verdict is
                       Verdict.PASS else Evidence.SAMPLED, points=len(points))


def leak_claim(i: R1Instance) -> ClaimResult:
    """Step 4: T e^{S − λ(1−δ²/2) − b + η}(V_c + ‖U‖B) ≤ ε/4 (certified; rests on step 1)."""
    from verifier.ball import arb_rational

    return claim_ball_le("R1.step4.leak", "step 4: the content tokens contribute at most "
                         "T e^{S − λ(1−δ²/2) − b + η}(V_c + ‖U‖B) ≤ ε/4", i.certificate.leak,
                         arb_rational(i.params.eps) / 4, Kind.PROOF_STEP,
                         "certified: arb from S, V_c, ‖U‖, η and the exact λ, δ (given step 1's covering)")


def two_paths(i: R1Instance, evaluator: R1Evaluator, sups: dict) -> ClaimResult:
    """F.two-paths: the closed form's o(x) against ``layer.self_attention`` (the whole layer, every head, the prefix in
    head h only, T copies of E x before the LayerNorm), float64 at TWO_PATHS_POINTS seeded points."""
    from verifier.domains import Sphere

    p = i.params
    X = Sphere(p.dim).uniform(TWO_PATHS_POINTS, p.seed + 11)

    def layer_pass(rows: np.ndarray) -> np.ndarray:
        return np.array([self_attention(i.layer, np.tile(i.frame.float64 @ x, (p.context, 1)), head=p.head,
                                        prefix_keys=i.prefix.keys, prefix_values=i.prefix.values).per_head[p.head][0]
                         for x in rows])

    paths = TwoPaths(evaluator.output_f64, layer_pass, X,
                     mp_skipped="the plain layer pass is numpy only (float64)")
    return two_paths_claim(paths, {"error": sups["error"]}, p.target.bound, p.policy)
