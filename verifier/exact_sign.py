"""The exact sign of a number  D = s + Σ_k r_k·log q_k  (rational s, r_k; rational q_k > 0): the shape that
the logarithm of an error-budget term such as 2BN·e^{−λr²/4} takes once an instance's exact values are
substituted (λ = (4/r²)·ln(8BN/ε) is a rational multiple of a logarithm).

Deciding  e^a ≤ e^b  through the sign of D = a − b never forms a power q^r: sympy expands a rational
power of a rational exactly, and with an awkward constant (L = 71417807/20000000) r has a numerator of
millions, so the power does not finish.

sign(D): a ball enclosure of D (python-flint ``arb``, rigorous rounding) at 128, 512 and 2048 bits; once
a ball excludes 0 its sign is D's. A ball that still contains 0 is decided exactly: D = 0 iff s = 0 and
Π q_k^{r_k} = 1 (for s ≠ 0, e^{−s} is transcendental by Lindemann's theorem while Π q_k^{r_k} is
algebraic); with r_k = a_k/d over a common denominator, Π q_k^{r_k} = 1 iff Π q_k^{a_k} = 1, a rational
computation, done when Σ|a_k| ≤ 256 and otherwise left undecided.
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import sympy
from flint import arb, ctx

from .ball import arb_rational

PRECISIONS_BITS = (128, 512, 2048)
MAX_EXACT_EXPONENT = 256  # Σ|a_k| up to which Π q_k^{a_k} = 1 is computed with rationals


def log_form(part: sympy.Expr) -> sympy.Expr:
    """ln(part) as a sum of logarithms and exponents, for a formula in positive symbols:
    ln(2BN·e^{−λr²/4}) = ln 2 + ln B + ln N − λr²/4 (sympy's expand_log; the symbols are positive)."""
    return sympy.expand_log(sympy.log(part), force=True)


Terms = list[tuple[sympy.Rational, sympy.Rational]]  # (r_k, q_k)


def log_linear_terms(value: sympy.Expr) -> tuple[sympy.Rational, Terms]:
    """(s, [(r_k, q_k)]) with value = s + Σ r_k·log q_k; ValueError for any other shape."""
    constant, logs = sympy.Integer(0), []
    for term in sympy.Add.make_args(sympy.expand_mul(value)):
        coefficient, rest = term.as_coeff_Mul()
        if not isinstance(coefficient, sympy.Rational):
            raise ValueError(f"not a rational coefficient: {term}")
        if rest == 1:
            constant += coefficient
        elif isinstance(rest, sympy.log) and isinstance(rest.args[0], sympy.Rational) and rest.args[0] > 0:
            logs.append((coefficient, rest.args[0]))
        else:
            raise ValueError(f"not s + Σ r·log q: the term {term}")
    return constant, logs


def _ball(constant: sympy.Rational, logs: Terms, bits: int) -> arb:
    with ctx.workprec(bits):
        total = arb_rational(constant)
        for r, q in logs:
            total += arb_rational(r) * arb_rational(q).log()
        return total


def _is_zero(constant: sympy.Rational, logs: Terms) -> Optional[bool]:
    """Whether s + Σ r_k log q_k = 0 exactly (None: exponents too large to decide with rationals)."""
    if constant != 0:
        return False
    d = math.lcm(*(int(r.q) for r, _ in logs)) if logs else 1
    exponents = [(int(r * d), q) for r, q in logs]
    if sum(abs(a) for a, _ in exponents) > MAX_EXACT_EXPONENT:
        return None
    product = sympy.Integer(1)
    for a, q in exponents:
        product *= q**a
    return product == 1


def ball_sign(enclose: Callable[[int], arb], precisions: Sequence[int] = PRECISIONS_BITS) -> Optional[int]:
    """−1 or +1: the sign of a number D from balls ``enclose(bits)`` ∋ D at each of ``precisions`` in turn, as
    soon as one excludes 0; None if every ball contains 0 (D may be 0, or too close to 0 for these precisions)."""
    for bits in precisions:
        ball = enclose(bits)
        if ball > 0:
            return 1
        if ball < 0:
            return -1
    return None


def sign(value: sympy.Expr) -> Optional[int]:
    """−1, 0 or +1: the sign of value = s + Σ r_k·log q_k; None if neither the balls nor the exact test decide."""
    constant, logs = log_linear_terms(value)
    decided = ball_sign(lambda bits: _ball(constant, logs, bits))
    if decided is not None:
        return decided
    zero = _is_zero(constant, logs)
    return None if zero is None else (0 if zero else None)
