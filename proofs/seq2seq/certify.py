"""S1 certified: each token-wise head's sup error on its interval by one-dimensional cells in ball arithmetic.

A token-wise head at position p with query register z and prefix tokens (i, q) (proofs.seq2seq.prefix) computes

    H(z, p) = Σ_tokens e^{σ} ν / Σ_tokens e^{σ},
    prefix (i, q):  σ = λz a_i − λa_i²/2 + β + γ[q = p],   ν = h_q(a_i),
    content c:      σ = z·z_c + 1 + [c = p],               ν = 0,     z_p = z, z_c ∈ [−Z, Z] for c ≠ p

(S1.tokenwise.closed-form derives these from the matrices). Subtracting λz²/2 from every score (pointwise in z,
so the ratio is unchanged) the prefix score is −λ(z − a_i)²/2 + β + γ[q = p] and the content score
z·z_c + 1 + [c = p] − λz²/2. On a cell [z0, z1] at position p, with a common exact shift s (the largest lower
bound of a windowed token's score) and h = h_p(cell) the target's ball on the cell, H − h_p(z) = Σ w u / Σ w with

* each own-position token of the window (indices around the cell) one by one: the score lies in
  [β + γ − λd_max²/2, β + γ − λd_min²/2], d_min = the distance from a_i to the cell (a_i clamped into it),
  d_max = the distance to its farther end; weight in [e^{lo − s}, e^{hi − s}], value h_p(a_i) − h;
* the other own-position tokens as one item: they are at least d from the cell (d from the grid's nearest
  left-out neighbours, the grid being monotone), weight in [0, count·e^{β + γ − λd²/2 − s}], value in [−V, V] − h
  (V ≥ every |h_q(a_i)|);
* the other positions' tokens likewise, since the token (i, q ≠ p) scores exactly γ below the own token (i, p): those of
  the window one by one with e^{−γ} times the own token's weight box and value h_q(a_i) − h, the rest as one item of
  weight in [0, (n−1)e^{−γ} times the own rest's upper weight] and value in [−V, V] − h;
* the n content tokens as one item: with t = |z| ∈ [t0, t1] on the cell and Z' = max(Z, t1) (so z_p = z and every
  z_c satisfy z·z_c ≤ Z'·t), the score is ≤ Z't + 2 − λt²/2 ≤ min(Z'²/(2λ), Z't1 − λt0²/2) + 2; weight in
  [0, n·e^{that − s}], value −h.

``proofs.h0.enclosure.ratio_range`` then encloses Σ w u / Σ w over the weight boxes and value intervals (in arb), and
|H − h_p| ≤ max(|lo|, |hi|) of it on the cell, for every z in the cell and every content z_c ∈ [−Z, Z]. The parts
of E1-I's split (checks.py) are bounded on the same items: near (own tokens with |z − a_i| ≤ r) by the ratio range
with value 0 off the near tokens and hull(u, 0) on a token near on part of the cell only; far, other and leak by
Σ w'·|u| / Σ w_lo over their items, where a token undecided between near and far weighs at most
e^{β + γ − λr²/2 − s} where it is far (far means not near, as in proofs.h0.enclosure).
``verifier.branch_bound`` splits cells (halves) from initial cells one grid step wide until every cell's bounds are
≤ ε_h and the part budgets; the final cover's maxima are the head's certified sups. Floats only choose cells, windows and thresholds
(cell ends are floats, exact in arb); every bound is a ball.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Union

from flint import arb, ctx

from verifier.ball import PRECISION_BITS, CannotCertify, compile_arb, lower, sympy_number, upper
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.budget import Budget
from verifier.claims import ClaimResult, Verdict

from proofs.h0.enclosure import ratio_range

from . import formulas as F
from .construction import Construction, HeadPlan
from .prefix import TokenwisePrefix, Z

TAIL = 40  # the window reaches far enough that the left-out own tokens weigh ≤ e^{−TAIL} of the cell's best token
ZERO = arb(0)


@dataclass(frozen=True)
class Cell:
    """z ∈ [z0, z1] (floats, exact in arb) at the position p (0-based)."""

    z0: float
    z1: float
    p: int

    def split(self) -> tuple["Cell", "Cell"]:
        mid = (self.z0 + self.z1) / 2
        return Cell(self.z0, mid, self.p), Cell(mid, self.z1, self.p)


@dataclass(frozen=True)
class HeadBalls:
    """A token-wise head's prefix in ball form: the grid a_i, the values h_q(a_i) (n × (K+1)), λ, β, γ, V ≥ every
    |h_q(a_i)|, the content bound Z, the targets as ball functions, and the window half-width (a choice)."""

    grid: tuple  # a_i = lo + i(hi − lo)/K as balls, i = 0..K
    values: tuple  # values[q][i] ∋ h_q(a_i)
    lam: arb
    beta: arb
    gamma: arb
    value_bound: arb
    key_bound: arb
    targets: tuple  # ball functions z ↦ h_q(z)
    radius: arb  # r: |z − a_i| ≤ r is near
    lo: float
    step: float
    window: int

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def K(self) -> int:
        return len(self.grid) - 1


def head_balls(prefix: TokenwisePrefix, key_bound, radius) -> HeadBalls:
    """The exact prefix of a token-wise head (lo, hi, K, λ, β, γ, targets; key bound Z, near radius r) as balls. Raises
    CannotCertify for a target the ball compiler does not enclose."""
    functions = tuple(compile_arb(h, (Z,)) for h in prefix.targets)
    with ctx.workprec(PRECISION_BITS):
        lo, step = sympy_number(prefix.lo), sympy_number((prefix.hi - prefix.lo) / prefix.cells)
        grid = tuple(lo + i * step for i in range(prefix.cells + 1))
        values = tuple(tuple(f([a]) for a in grid) for f in functions)
        if not all(v.is_finite() for row in values for v in row):
            raise CannotCertify("a target's ball enclosure is not finite at a grid point")
        V = functools.reduce(arb.max, (abs(v).upper() for row in values for v in row))
        lam, beta, gamma = (sympy_number(e) for e in (prefix.lam, prefix.beta, prefix.gamma))
        lam_f, step_f = float(lam.mid()), float(step.mid())
        reach = math.sqrt(2 * (TAIL + math.log(len(prefix))) / lam_f) / step_f
        return HeadBalls(grid, values, lam, beta, gamma, V, sympy_number(key_bound), functions, sympy_number(radius),
                         float(lo.mid()), step_f,
                         int(min(prefix.cells, math.ceil(reach) + 1)))


QUANTITIES = ("error", *F.PARTS)  # the order of enclose()'s bounds and of the thresholds: error, near, far, other, leak


def items(head: HeadBalls, cell: Cell) -> Optional[dict[str, tuple[list, list, list, list, list]]]:
    """The items of Σ w u / Σ w = H − h_p(z) on the cell, by name: "window" (each windowed own-position token),
    "rest" (the other own-position tokens), "other" (the other positions' tokens of the window one by one, and their
    rest), "content"; each five lists
    (weight lower ends, weight upper ends, value balls, labels, far weights) (module doc). An own-position token's
    label is "near" where |z − a_i| ≤ r on the whole cell, "far" where |z − a_i| > r on it, else "both"; its far weight
    bounds its weight where it is far: 0, w_hi, or min(w_hi, count·e^{β + γ − λr²/2 − s}) (far means not near). The
    others are labelled "other" and "leak". None where the target's enclosure on the cell or a weight is not finite."""
    with ctx.workprec(PRECISION_BITS):
        z0, z1, p = arb(cell.z0), arb(cell.z1), cell.p
        h = head.targets[p]([z0.union(z1)])
        if not h.is_finite():
            return None
        lam, top, r = head.lam, head.beta + head.gamma, head.radius
        first = max(0, math.floor((cell.z0 - head.lo) / head.step) - head.window)
        last = min(head.K, math.ceil((cell.z1 - head.lo) / head.step) + head.window)
        window = head.grid[first:last + 1]
        d_min = [(z0 - a).max(a - z1).max(ZERO) for a in window]  # the distance from a_i clamped into the cell
        d_max = [abs(z0 - a).max(abs(z1 - a)) for a in window]  # to the farther end
        low = [top - lam * d * d / 2 for d in d_max]
        shift = functools.reduce(arb.max, (e.lower() for e in low))
        cap = (top - lam * r * r / 2 - shift).exp()  # an own token's weight where |z − a_i| > r
        spread = arb(0, 1) * head.value_bound - h  # [−V, V] − h
        w_lo = [(e - shift).exp() for e in low]
        w_hi = [(top - lam * d * d / 2 - shift).exp() for d in d_min]
        labels = ["near" if d <= r else "far" if d0 > r else "both" for d0, d in zip(d_min, d_max)]
        indices = range(first, last + 1)
        out = {"window": (w_lo, w_hi, [head.values[p][i] - h for i in indices], labels,
                          [_far_weight(w, label, cap) for w, label in zip(w_hi, labels)])}
        rest = head.K + 1 - len(window)
        if rest:
            sides = ([z0 - head.grid[first - 1]] if first > 0 else []) + ([head.grid[last + 1] - z1] if last < head.K else [])
            d = functools.reduce(arb.min, sides).lower().max(ZERO)
            w, label = rest * (top - lam * d * d / 2 - shift).exp(), "far" if d > r else "both"
            out["rest"] = ([ZERO], [w], [spread], [label], [_far_weight(w, label, rest * cap)])
        if head.n > 1:  # the token (i, q ≠ p) scores exactly γ below the own token (i, p)
            g, others = (-head.gamma).exp(), [q for q in range(head.n) if q != p]
            o_lo = [w * g for _ in others for w in w_lo] + ([ZERO] if rest else [])
            o_hi = [w * g for _ in others for w in w_hi] + ([len(others) * g * out["rest"][1][0]] if rest else [])
            out["other"] = (o_lo, o_hi, [head.values[q][i] - h for q in others for i in indices] + ([spread] if rest else []),
                            ["other"] * len(o_hi), o_hi)
        t0 = z0.max(-z1).max(ZERO)  # min |z| on the cell (0 if the cell holds 0)
        t1 = abs(z0).max(abs(z1))
        Zc = head.key_bound.max(t1)
        exponent = (Zc * Zc / (2 * lam)).min(Zc * t1 - lam * t0 * t0 / 2) + 2
        w = head.n * (exponent - shift).exp()
        out["content"] = ([ZERO], [w], [-h], ["leak"], [w])
        if not all(w.is_finite() for part in out.values() for w in part[1]):
            return None
        return out


def _far_weight(w_hi: arb, label: str, cap: arb) -> arb:
    """An own-position item's weight where it is far: 0 if near on the cell, else ≤ w_hi, and ≤ cap if undecided."""
    return ZERO if label == "near" else w_hi if label == "far" else w_hi.min(cap)


def deviation_range(parts: dict[str, tuple[list, ...]], quantity: str = "error") -> tuple[arb, arb]:
    """Exact points [lo, hi] ⊇ the range of the quantity's Σ w c / Σ w over the items' weight boxes
    (``proofs.h0.enclosure.ratio_range``) for the error (c = u) or near (c = u on near items, c ∈ hull(u, 0) on
    undecided ones, else 0)."""
    w_lo, w_hi, u, labels = ([x for part in parts.values() for x in part[k]] for k in range(4))
    if quantity == "near":
        u = [v if label == "near" else v.union(ZERO) if label == "both" else ZERO for v, label in zip(u, labels)]
    return ratio_range(w_lo, w_hi, u, u)


def share_bound(parts: dict[str, tuple[list, ...]], quantity: str) -> arb:
    """A ball whose upper end bounds |far|, |other| or |leak| on the cell: the part's Σ w·c is at most Σ w'·|u| over
    its items (w' the far weight for far, with undecided tokens, else w_hi), and Σ w ≥ Σ w_lo over every item.
    Cheaper than the ratio range, and tight for parts whose items weigh little."""
    w_lo, w_hi, u, labels, w_far = ([x for part in parts.values() for x in part[k]] for k in range(5))
    weights = w_far if quantity == "far" else w_hi
    top = sum((w * abs(v).upper() for w, v, label in zip(weights, u, labels)
               if label == quantity or (quantity == "far" and label == "both")), ZERO)
    return top / sum((w.lower().max(ZERO) for w in w_lo), ZERO)


def enclose(head: HeadBalls, cell: Cell) -> tuple[float, ...]:
    """Upper bounds of sup_{z ∈ cell} of |H(z, p) − h_p(z)| and of |near|, |far|, |other|, |leak| (QUANTITIES), over
    every content z_c ∈ [−Z, Z] (module doc); +inf where the enclosure is not finite."""
    return bounds(items(head, cell))


def bounds(parts: Optional[dict[str, tuple[list, ...]]]) -> tuple[float, ...]:
    """:func:`enclose` from the cell's items: the ratio range for the error and near, :func:`share_bound` for the
    others (+inf without items)."""
    if parts is None:
        return (math.inf,) * len(QUANTITIES)
    with ctx.workprec(PRECISION_BITS):
        ranges = [deviation_range(parts, quantity) for quantity in QUANTITIES[:2]]
        return (*(upper(abs(lo).max(abs(hi))) for lo, hi in ranges),
                *(upper(share_bound(parts, quantity)) for quantity in QUANTITIES[2:]))


def initial_cells(head: HeadBalls, lo, hi) -> list[Cell]:
    """Cells one grid step wide covering [lo, hi] (exact sympy numbers) at every position: the outer ends are floats
    ≤ lo and ≥ hi (verifier.ball's rounding), the inner ends the float grid, shared by neighbours."""
    with ctx.workprec(PRECISION_BITS):
        a, b = lower(sympy_number(lo)), upper(sympy_number(hi))
    ends = [a] + [head.lo + i * head.step for i in range(1, head.K)] + [b]
    return [Cell(ends[i], ends[i + 1], p) for p in range(head.n) for i in range(len(ends) - 1)]


def thresholds(plan: HeadPlan, gamma=None) -> tuple:
    """E1-I's claims for QUANTITIES: ε_h and the four part bounds (near, far, other, leak) with the prefix's γ."""
    return (plan.accuracy, *plan.budget(gamma))


def certify_head(plan: HeadPlan, prefix: TokenwisePrefix, budget: Budget) -> Bounded:
    """Branch and bound of sup_{z ∈ [lo, hi], p} of |H(z, p) − h_p(z)| ≤ ε_h and of each part ≤ its bound
    (:func:`thresholds`) for the head built from ``prefix``: ``uppers`` are the certified sups in QUANTITIES order.
    Raises CannotCertify for a target the ball compiler does not enclose."""
    head = head_balls(prefix, plan.key_bound, plan.exact(F.R))
    return branch_and_bound(initial_cells(head, plan.lo, plan.hi), lambda cell: enclose(head, cell),
                            tuple(float(t) for t in thresholds(plan, prefix.gamma)), lambda cell: cell.split(), budget)


AUTO_MAX_WORK = 30_000  # --evidence auto certifies when Σ_heads n·(K+1)·n (initial cells × items per cell) is at most this
#                        (measured 0.6–1.2 ms per unit on a 2-core machine: n = 2 default instances 1 200–4 000 units, 1–5 s;
#                        running-mean n = 6, ε = 0.1: 128 000 units, 75 s)


def certification_work(c: Construction) -> int:
    """Σ over the token-wise heads of n·(K+1) initial cells times the n(2w+1) items each holds, up to w's factor."""
    return sum(plan.n * plan.n * (plan.cells + 1) for plan in c.plans)


def prove_heads(c: Construction, sampled: Mapping[str, Sequence[ClaimResult]], evidence: str,
                budget: Budget) -> dict[str, Union[Bounded, str]]:
    """Per token-wise head (``c.plans`` order; ``sampled``: per quantity, the heads' sampled claims): its branch and
    bound (:func:`certify_head` on the head the transformer holds, tampers included), or why none was run:
    ``--evidence sampled``; ``--evidence auto`` above AUTO_MAX_WORK (:func:`certification_work`; ``--evidence
    certified`` runs it); a head without a prefix; a sampled FAIL of the error or a part (a witness already refutes
    it: the branch and bound could not decide, and would spend its whole budget); a target the ball back-end does
    not enclose (CannotCertify)."""
    layers = {layer.name: layer for layer in c.transformer.layers}
    work = certification_work(c)
    skip = ("certification skipped (--evidence sampled)" if evidence == "sampled"
            else f"certification of this size ({work} units of work, auto stops at {AUTO_MAX_WORK}: about half a minute) "
                 "only with --evidence certified" if evidence == "auto" and work > AUTO_MAX_WORK else None)
    out: dict[str, Union[Bounded, str]] = {}
    for k, plan in enumerate(c.plans):
        prefix = layers[plan.name].prefix
        refuted = [quantity for quantity, claims in sampled.items() if claims[k].verdict is Verdict.FAIL]
        reason = (skip or ("it has no prefix (negative control drop-prefix)" if prefix is None else None)
                  or (f"a sampled witness already refutes its {', '.join(refuted)}" if refuted else None))
        try:
            out[plan.name] = reason or certify_head(plan, prefix, budget)
        except CannotCertify as error:
            out[plan.name] = str(error)
    return out


def proof_facts(proof: Union[Bounded, str]) -> dict:
    """A head's certification for the facts: its certified sup and cells, or why it was not certified."""
    if isinstance(proof, Bounded):
        return {"certified_sup": proof.upper, "bb_cells": proof.cells}
    return {"not_certified": proof}
