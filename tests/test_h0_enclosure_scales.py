"""Tests for keys of any norm in proofs/h0/enclosure.py: per-token scales λ_i = ‖k_i‖ (a key 0 included) against
independent 50-digit mpmath values of ‖H − f‖, the tail's envelope against exact rationals, E1's prefix as free keys
against its one-λ form, and weakened versions caught."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from flint import arb

from proofs.h0 import enclosure as head_enclosure
from proofs.h0.enclosure import PrefixBalls, enclose_parts_many, envelope_grid
from proofs.single_head import THEOREM
from proofs.single_head import certify as e1_certify
from proofs.single_head.construction import E1Construction
from verifier.bounds import target_functions
from verifier.cells import FaceGeometry, face_cells
from verifier.intervals import Intervals
from verifier.targets import Target

TARGETS = {1: "sin(2*x0)/2", 2: "x0*x1"}


def _free_tokens(m: int, N: int, seed: int, sharp: bool = False):
    """Random tokens with keys of very different norms, one key 0 and one of norm 10⁻³⁰⁰, values in [−1, 1]. Wide:
    norms 10⁻³ … 30, biases ≈ −‖k_i‖/2 + noise (the small keys weigh everywhere: every cell keeps every token).
    Sharp: norms 50 … 500 with β_i ≈ −‖k_i‖ (scores λ_i(⟨x, p_i⟩ − 1) + noise) and the two tiny keys at β = −1000,
    so that the cells' cutoffs leave tokens out and the tail's envelope bounds them."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(N, m + 1))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    norms = 10.0 ** (rng.uniform(np.log10(50), np.log10(500), size=N) if sharp else rng.uniform(-3, np.log10(30), size=N))
    keys = directions * norms[:, None]
    biases = (-norms if sharp else -norms / 2) + rng.normal(size=N)
    keys[0] = 0.0
    keys[1] = directions[1] * 1e-300
    if sharp:
        biases[:2] = -1000.0
    return keys, biases, rng.uniform(-1, 1, size=(N, 1))


def _error_mp(keys, biases, values, context, target: Target, x) -> mpmath.mpf:
    """‖H(x) − f(x)‖ from the float tokens at the current precision (independent of the enclosure's balls)."""
    scores = [mpmath.fsum(a * mpmath.mpf(float(k)) for a, k in zip(x, key)) + mpmath.mpf(float(b))
              for key, b in zip(keys, biases)]
    weights = [mpmath.exp(s) for s in scores]
    total = mpmath.fsum(weights) + context * mpmath.e ** 2
    H = [mpmath.fsum(w * mpmath.mpf(float(v[j])) for w, v in zip(weights, values)) / total for j in range(len(values[0]))]
    return mpmath.norm([h - f for h, f in zip(H, target.mp(x))])


def _cells(m: int, per_edge: int, count: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    cells = face_cells(m, per_edge)
    return [cells[i] for i in rng.choice(len(cells), size=count, replace=False)]


def _worst_excess(prefix: PrefixBalls, tokens, target: Target, cells, cell_point, seed: int) -> float:
    """max over 4 random 50-digit points per cell of ‖H − f‖ − (the cell's error bound)."""
    functions = target_functions(target)
    bounds = enclose_parts_many(prefix, cells, functions)
    rng = np.random.default_rng(seed)
    worst = -np.inf
    with mpmath.workdps(50):
        for cell, parts in zip(cells, bounds):
            for _ in range(4):
                worst = max(worst, float(_error_mp(*tokens, 2, target, cell_point(cell, rng)) - mpmath.mpf(parts[0])))
    return worst


@pytest.mark.parametrize("sharp", [False, True])
@pytest.mark.parametrize("m", [1, 2])
def test_error_inside_enclosure_with_keys_of_very_different_norms(m, sharp, cell_point):
    """Random prefixes (norms 0, 10⁻³⁰⁰ and 10⁻³ … 30, or 50 … 500): on random cells, every 50-digit ‖H − f‖ lies
    below the cell's bound; with the sharp tokens the cells' cutoffs leave tokens out (the tail's envelope is used)."""
    target = Target.parse(TARGETS[m], m, 1, 1)
    tokens = _free_tokens(m, 60, seed=m, sharp=sharp)
    prefix = PrefixBalls.of_keys(*tokens, 2)
    assert prefix.per_token and prefix.lam[0] == 0 and 0 < float(prefix.lam[1].mid()) < 1e-299
    cells = _cells(m, 16 if m == 1 else 8, 24, seed=5)
    index, _ = head_enclosure._neighbours(prefix, FaceGeometry.of(cells))
    assert (max(len(i) for i in index) < prefix.N) if sharp else (min(len(i) for i in index) == prefix.N)
    assert _worst_excess(prefix, tokens, target, cells, cell_point, seed=3) <= 0


def test_mean_scale_for_every_token_is_caught(cell_point):
    """Negative control: the enclosure of the same tokens with every λ_i replaced by their mean (an unsound
    weakening) misses the true 50-digit ‖H − f‖ on the same cells and points; the real one does not."""
    target = Target.parse(TARGETS[1], 1, 1, 1)
    keys, biases, values = _free_tokens(1, 60, seed=1)
    prefix = PrefixBalls.of_keys(keys, biases, values, 2)
    mean = sum(prefix.lam, arb(0)) / prefix.N
    weakened = PrefixBalls(prefix.points, prefix.values, [mean] * prefix.N, prefix.biases, 2, prefix.near_cos)
    cells = _cells(1, 16, 24, seed=5)
    assert _worst_excess(prefix, (keys, biases, values), target, cells, cell_point, seed=3) <= 0
    assert _worst_excess(weakened, (keys, biases, values), target, cells, cell_point, seed=3) > 0


def _exact_envelope(lam, beta, c: float) -> Fraction:
    return max(Fraction(a) * Fraction(c) + Fraction(b) for a, b in zip(lam, beta))


def _envelope_gap(upper, lam, beta, cosines) -> Fraction:
    """min over c of (the float bound at c) − max_i (λ_i c + β_i) in exact rationals (≥ 0 iff sound)."""
    U = head_enclosure._envelope(Intervals(lam, lam), Intervals(beta, beta))
    bounds = upper(U, cosines)
    return min(Fraction(float(u)) - _exact_envelope(lam, beta, c) for u, c in zip(bounds, cosines))


def test_tail_envelope_contains_every_token_and_is_tight():
    """The chord of the envelope at random c ∈ [−1, 1] (both signs, and the grid points themselves) is ≥ the exact
    max_i (λ_i c + β_i) and within h·(λ_max − λ_min)/4 + 10⁻¹² of it; the decoupled bound with λ_max at a negative
    cosine (the wrong λ for the sign) lies below the truth: caught."""
    rng = np.random.default_rng(2)
    lam = 10.0 ** rng.uniform(-2, 2, size=40)
    beta = -lam * rng.uniform(0, 1, size=40)
    cosines = np.concatenate([rng.uniform(-1, 1, 200), envelope_grid()[::97]])
    gap = _envelope_gap(head_enclosure._envelope_upper, lam, beta, cosines)
    h = 2 / head_enclosure.ENVELOPE_STEPS
    assert 0 <= gap
    U = head_enclosure._envelope(Intervals(lam, lam), Intervals(beta, beta))
    slack = max(float(Fraction(float(u)) - _exact_envelope(lam, beta, c))
                for u, c in zip(head_enclosure._envelope_upper(U, cosines), cosines))
    assert slack <= h * (lam.max() - lam.min()) / 4 + 1e-12
    wrong_sign = lambda _U, c: lam.max() * c + beta.max()  # noqa: E731
    assert _envelope_gap(wrong_sign, lam, beta, cosines[cosines < 0]) < 0


@pytest.mark.parametrize("dim,eps", [(1, "0.2"), (2, "0.5")])
def test_e1_prefix_as_free_keys_matches_its_one_scale_form(dim, eps):
    """E1's float64 prefix given as keys λp_i (norms equal to λ within rounding) has cell bounds within 10⁻⁶ of the
    exact one-λ prefix's: the per-token path loses nothing when the scales agree."""
    params = THEOREM.parameters(dim=dim, eps=eps)
    c = E1Construction(params)
    _, floats = c.float64
    free = PrefixBalls.of_keys(floats.keys, floats.biases, floats.values, params.context)
    functions = target_functions(params.target)
    cells = [child for cell in e1_certify.initial_cells(dim, c.n) for child in cell.split()]
    one = np.array([float(p[0]) for p in enclose_parts_many(e1_certify.prefix_balls(c), cells, functions)])
    per_token = np.array([float(p[0]) for p in enclose_parts_many(free, cells, functions)])
    assert np.all(np.abs(per_token - one) <= 1e-6 * one)
