"""L1: the predecessor's limitation identity and its checks (docs/limitation.md; P0 of docs/paper.md).

For any head (W_Q, W_K, W_V), content tokens x_1..x_n and prefix tokens s_1..s_N, write
σ_j(t) = ⟨W_Q x_j, W_K t⟩ for the score of token t at the query x_j. The output at position j is

    H(x_j) = (1 − α_j)·H_content(x_j) + α_j·H_prefix(x_j),
    α_j = Σ_i e^{σ_j(s_i)} / (Σ_i e^{σ_j(s_i)} + Σ_l e^{σ_j(x_l)}),

where H_content attends over the content tokens alone and H_prefix = Σ_i softmax_i(σ_j(s_i))·W_V s_i
over the prefix alone. So the attention *among* content tokens keeps its proportions (P0): the
weight of x_l relative to x_l' is e^{σ_j(x_l) − σ_j(x_l')} with or without the prefix; a prefix only
mixes a fixed vector into the output.

Checks: (1) the identity and the proportions in sympy with general symbols for every weight and
token entry at small n, N, D, d: both sides become rational functions of the exponentials, which are
replaced by independent positive symbols (so the identity is proved for all exponent values), and
``cancel`` must give 0; (2) the identity in ball arithmetic (arb) on seeded random heads of random
shapes with random rational tokens: each instance's gap is enclosed in a ball that must lie below
10^−(dps − guard) (certified per instance). The left side is the plain matrix forward pass of
``verifier.attention`` over the concatenated context; the right side is built from two forward passes
over the parts.

Negative control ``--tamper rescaled-content``: a "prefix" that also multiplies the content scores
by 2 (which no prefix can do) must FAIL every check.
"""
from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import sympy
from flint import arb, ctx

from verifier.attention import (Head, forward_matrix_arb, forward_matrix_sympy, scores_arb, softmax_arb, softmax_sympy,
                                values_arb, weighted_sum_arb)
from verifier.ball import arb_rational, lower, upper
from verifier.claims import ClaimResult, Evidence, Kind, Verdict, claim_holds

if TYPE_CHECKING:
    from verifier.precision import PrecisionPolicy

    from .theorem import LimitationParameters

RANDOM_SHAPES = {"tokens": (1, 6), "prefix": (1, 6), "token_dim": (1, 5), "key_dim": (1, 5), "value_dim": (1, 3)}
ENTRY_RANGE = 2000  # random entries are k/1000 for integers |k| ≤ 2000: exact rationals, read at any precision


@dataclass(frozen=True)
class Instance:
    """A head with content tokens x_1..x_n and prefix tokens s_1..s_N (entries sympy symbols or rationals)."""

    head: Head
    content: tuple[tuple, ...]
    prefix: tuple[tuple, ...]

    def shape(self) -> str:
        e, D = self.head.W_Q.shape
        return f"n={len(self.content)}, N={len(self.prefix)}, D={D}, key dim {e}, d={self.head.value_dim}"


def symbolic_instance(n: int, N: int, D: int, d: int) -> Instance:
    """General symbols: W_Q, W_K ∈ R^(D×D), W_V ∈ R^(d×D), x_l, s_i ∈ R^D."""
    def matrix(name: str, rows: int) -> sympy.Matrix:
        return sympy.Matrix(rows, D, lambda a, b: sympy.Symbol(f"{name}_{a}{b}", real=True))

    def tokens(name: str, count: int) -> tuple:
        return tuple(tuple(sympy.Symbol(f"{name}_{i}{c}", real=True) for c in range(D)) for i in range(count))

    return Instance(Head(matrix("Q", D), matrix("K", D), matrix("V", d)), tokens("x", n), tokens("s", N))


def random_instance(rng: random.Random) -> Instance:
    """A head of random shape with random rational entries k/1000, |k| ≤ 2000 (scores stay below ~10²)."""
    n, N, D, e, d = (rng.randint(*RANDOM_SHAPES[k]) for k in ("tokens", "prefix", "token_dim", "key_dim", "value_dim"))
    entry = lambda: sympy.Rational(rng.randint(-ENTRY_RANGE, ENTRY_RANGE), 1000)  # noqa: E731
    matrix = lambda rows: sympy.Matrix(rows, D, lambda a, b: entry())  # noqa: E731
    tokens = lambda count: tuple(tuple(entry() for _ in range(D)) for _ in range(count))  # noqa: E731
    return Instance(Head(matrix(e), matrix(e), matrix(d)), tokens(n), tokens(N))


# ---------------------------------------------------------------------------------------------
# sympy: both sides for general symbols
def score_sympy(head: Head, query: Sequence, token: Sequence) -> sympy.Expr:
    """σ = ⟨W_Q q, W_K t⟩, expanded (so equal scores are equal expressions)."""
    return sympy.expand((head.W_Q * sympy.Matrix(list(query))).dot(head.W_K * sympy.Matrix(list(token))))


def prefixed_output_sympy(inst: Instance, j: int, content_scale: int = 1) -> sympy.Matrix:
    """H(x_j) over the context (s_1..s_N, x_1..x_n): the plain matrix forward pass; under the tamper,
    the same softmax with every content score multiplied by ``content_scale``."""
    query = inst.content[j]
    if content_scale == 1:
        return forward_matrix_sympy(inst.head, query, [*inst.prefix, *inst.content])
    terms = [(score_sympy(inst.head, query, s), inst.head.W_V * sympy.Matrix(s)) for s in inst.prefix]
    terms += [(content_scale * score_sympy(inst.head, query, x), inst.head.W_V * sympy.Matrix(x)) for x in inst.content]
    return softmax_sympy(terms)


def prefix_share_sympy(inst: Instance, j: int) -> sympy.Expr:
    """α_j = Σ_i e^{σ_j(s_i)} / (Σ_i e^{σ_j(s_i)} + Σ_l e^{σ_j(x_l)})."""
    prefix = sum(sympy.exp(score_sympy(inst.head, inst.content[j], s)) for s in inst.prefix)
    content = sum(sympy.exp(score_sympy(inst.head, inst.content[j], x)) for x in inst.content)
    return prefix / (prefix + content)


def decomposition_sympy(inst: Instance, j: int) -> sympy.Matrix:
    """(1 − α_j)·H_content(x_j) + α_j·H_prefix(x_j), from forward passes over the two parts alone."""
    alpha = prefix_share_sympy(inst, j)
    query = inst.content[j]
    return (1 - alpha) * forward_matrix_sympy(inst.head, query, inst.content) + alpha * forward_matrix_sympy(inst.head, query, inst.prefix)


def content_proportions_sympy(inst: Instance, j: int, content_scale: int = 1) -> list[sympy.Expr]:
    """Residuals w_l/Σ_l' w_l' − softmax_l(σ_j(x_·)): w are the content weights in the prefixed context
    (content scores × ``content_scale``), the second term the weights without a prefix."""
    query = inst.content[j]
    prefixed = [sympy.exp(score_sympy(inst.head, query, s)) for s in inst.prefix]
    prefixed += [sympy.exp(content_scale * score_sympy(inst.head, query, x)) for x in inst.content]
    total = sum(prefixed)
    with_prefix = [w / total for w in prefixed[len(inst.prefix):]]
    alone = [sympy.exp(score_sympy(inst.head, query, x)) for x in inst.content]
    return [w / sum(with_prefix) - a / sum(alone) for w, a in zip(with_prefix, alone)]


def vanishes(expressions: Sequence[sympy.Expr]) -> tuple[bool, list]:
    """Whether every expression is 0 as a rational function of its exponentials.

    Each e^{a} (with a expanded) becomes an independent positive symbol E_k; ``cancel`` to 0 then
    proves the identity for all values of the exponents, hence for all heads and tokens."""
    canonical = [e.replace(sympy.exp, lambda a: sympy.exp(sympy.expand(a))) for e in expressions]
    atoms = sorted(set().union(*(e.atoms(sympy.exp) for e in canonical)), key=sympy.default_sort_key)
    names = {a: sympy.Symbol(f"E{k}", positive=True) for k, a in enumerate(atoms)}
    residuals = [sympy.cancel(e.xreplace(names)) for e in canonical]
    return all(r == 0 for r in residuals), residuals


def symbolic_claims(params: LimitationParameters) -> list[ClaimResult]:
    """L1 and P0 for general symbols at the instance's (n, N, D, d), every position j."""
    inst = symbolic_instance(params.tokens, params.prefix_length, params.token_dim, params.value_dim)
    positions = range(params.tokens)
    identity = [e for j in positions for e in (prefixed_output_sympy(inst, j, params.content_scale) - decomposition_sympy(inst, j))]
    identity_holds, identity_residuals = vanishes(identity)
    proportions_holds, proportion_residuals = vanishes(
        [e for j in positions for e in content_proportions_sympy(inst, j, params.content_scale)])
    method = (f"sympy, general symbols ({inst.shape()}), every position j: exponentials replaced by independent "
              "positive symbols, cancel(difference) = 0")
    return [
        claim_holds(
            "L1.identity",
            "H(x_j) = (1−α_j)·H_content(x_j) + α_j·Σ_i softmax_i(⟨q_j,W_K s_i⟩)·W_V s_i with "
            "α_j = Σ_i e^{⟨q_j,W_K s_i⟩} / (Σ_i e^{⟨q_j,W_K s_i⟩} + Σ_l e^{⟨q_j,W_K x_l⟩}), for any head",
            identity_holds, Kind.THEOREM, method + "; left side: the plain matrix forward pass over (s, x)",
            detail="" if identity_holds else f"non-zero residuals: {_short(identity_residuals)}",
        ),
        claim_holds(
            "P0.proportions",
            "P0: a prefix cannot change the relative attention over the content tokens "
            "(content weights with the prefix, renormalised, equal the weights without it)",
            proportions_holds, Kind.PAPER, method,
            detail="" if proportions_holds else f"non-zero residuals: {_short(proportion_residuals)}",
        ),
    ]


def _short(residuals: list) -> str:
    shown = str([r for r in residuals if r != 0][:1])
    return shown if len(shown) <= 300 else shown[:300] + "…"


# ---------------------------------------------------------------------------------------------
# arb: both sides on random heads, enclosed
def _balls(tokens: Sequence[Sequence]) -> list[list[arb]]:
    return [[arb_rational(e) for e in t] for t in tokens]


def prefixed_output_arb(inst: Instance, j: int, content_scale: int = 1) -> list[arb]:
    """Balls containing H(x_j) over (s, x): the plain matrix forward pass (under the tamper, the same softmax
    with every content score multiplied by ``content_scale``)."""
    query, context = _balls([inst.content[j]])[0], _balls([*inst.prefix, *inst.content])
    if content_scale == 1:
        return forward_matrix_arb(inst.head, query, context)
    scores = scores_arb(inst.head, query, context)
    scores = scores[: len(inst.prefix)] + [content_scale * s for s in scores[len(inst.prefix):]]
    return weighted_sum_arb(softmax_arb(scores), values_arb(inst.head, context))


def decomposition_arb(inst: Instance, j: int) -> list[arb]:
    """Balls containing (1 − α_j)·H_content(x_j) + α_j·H_prefix(x_j), with
    α_j = P/(P + C), P = Σ_i e^{σ_j(s_i) − c}, C = Σ_l e^{σ_j(x_l) − c} (c: the largest score's midpoint, exact)."""
    query, content, prefix = _balls([inst.content[j]])[0], _balls(inst.content), _balls(inst.prefix)
    prefix_scores, content_scores = scores_arb(inst.head, query, prefix), scores_arb(inst.head, query, content)
    shift = arb(max(s.mid() for s in [*prefix_scores, *content_scores]))
    P, C = (sum(((s - shift).exp() for s in scores), arb(0)) for scores in (prefix_scores, content_scores))
    alpha = P / (P + C)
    alone, prefixed = forward_matrix_arb(inst.head, query, content), forward_matrix_arb(inst.head, query, prefix)
    return [(1 - alpha) * a + alpha * p for a, p in zip(alone, prefixed)]


def relative_gap_arb(inst: Instance, j: int, content_scale: int = 1) -> arb:
    """A ball containing max_k |H_k − decomposition_k| / max(1, max_k |H_k|)."""
    left, right = prefixed_output_arb(inst, j, content_scale), decomposition_arb(inst, j)
    gap = functools.reduce(arb.max, (abs(a - b) for a, b in zip(left, right)))
    return gap / functools.reduce(arb.max, (abs(a) for a in left), arb(1))


def ball_bits(policy: PrecisionPolicy) -> int:
    """The arb precision of the numeric check: the check precision's digits in bits, ⌈verify_dps·log₂10⌉."""
    return math.ceil(policy.verify_dps * math.log2(10))


def numeric_claim(params: LimitationParameters) -> ClaimResult:
    """L1 on ``params.instances`` seeded random heads at every position, in ball arithmetic: for each instance and
    position a ball G ∋ the relative gap between the forward pass and the decomposition (both sides enclosed at
    ``ball_bits`` bits). PASS when every G lies below 10^−(dps − guard), FAIL when some G lies wholly above it, else
    INCONCLUSIVE (arb's comparisons, true for every point of both balls). A PASS proves that the two computations
    agree to that many digits on each instance (the identity for all heads is L1.identity's symbolic proof); a false
    identity's gap is a fixed number that no precision shrinks."""
    rng = random.Random(params.seed)
    instances = [random_instance(rng) for _ in range(params.instances)]
    policy, bits = params.policy, ball_bits(params.policy)
    digits = policy.dps - policy.guard
    with ctx.workprec(bits):
        gaps = [(relative_gap_arb(inst, j, params.content_scale), i, j)
                for i, inst in enumerate(instances) for j in range(len(inst.content))]
        allowed = arb(10) ** -digits
        failed = [(g, i, j) for g, i, j in gaps if g > allowed]  # arb's comparisons hold for every point of the balls
        verdict = Verdict.FAIL if failed else Verdict.PASS if all(g < allowed for g, _, _ in gaps) else Verdict.INCONCLUSIVE
    worst, i, j = failed[0] if failed else max(gaps, key=lambda g: upper(g[0]))  # what the value column shows
    detail = "" if verdict is Verdict.PASS else (
        f"instance {i} ({instances[i].shape()}), position j = {j}: relative gap in {worst.str(6, radius=True)}, "
        f"{'above' if failed else 'not below'} 10^−{digits}")
    return ClaimResult(
        "L1.numeric",
        f"the identity holds on {params.instances} random heads of random shapes (seed {params.seed}), every position, "
        f"to 10^−{digits}",
        verdict, Kind.THEOREM,
        f"arb balls at {bits} bits on both sides (left: the plain matrix forward pass; right: the decomposition), every "
        f"instance and position; {'a gap ≥' if failed else 'largest gap ≤'} {(lower if failed else upper)(worst):.3g} "
        f"(instance {i}, j = {j}) against 10^−{digits}",
        detail=detail, evidence=Evidence.CERTIFIED, value=(lower if failed else upper)(worst), bound=10.0 ** -digits,
    )
