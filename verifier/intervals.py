"""Rigorous interval arithmetic on numpy float64 arrays: many enclosures at once, each as sound as a ball.

An :class:`Intervals` [lo, hi] (two float64 arrays of one shape) stands for every real number between its ends.
numpy's +, −, ×, ÷ and sqrt are IEEE 754 operations, correctly rounded in the default mode (round to nearest): the
float r of an exact result t has |r − t| ≤ ½ ulp, so

    next_below(r) ≤ t ≤ next_above(r)        (np.nextafter towards ∓inf),

for normal and subnormal results alike (the spacing of subnormals is 2⁻¹⁰⁷⁴), and on overflow (r = +inf only if
t exceeds the largest float, which is next_below(+inf)). Every operation here rounds its lower end down and its
upper end up so, hence contains the exact result for every choice of inputs in its input intervals (inputs that are
single floats are exact numbers). A NaN end (inf − inf, a NaN input) stays NaN: callers treat a non-finite enclosure
as "not decided".

Sums of many terms, for which stepwise rounding would be a Python loop: any order of summation gives
|fl(Σ t_i) − Σ t_i| ≤ γ_(n−1)·Σ|t_i|, γ_k = k·u/(1 − k·u), u = 2⁻⁵³ (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., §4.2, for every summation order; additions are exact in the subnormal range), and the float
sum of the |t_i| is within the same factor of Σ|t_i|; so 2γ_n times it, rounded up, covers the error
(:func:`sum_upper`).

exp is not an IEEE operation (numpy's differs in the last bit between CPUs), so :func:`exp` builds it from IEEE
operations alone, as ``verifier.reproducible.exp`` does, with every rounding accounted for:

    e^t = 2^k · e^r,  k = rint(t·log₂e) (any integer is valid; this one makes |r| ≤ 0.35),
    r = (t − k·LN2_HI) − k·(ln 2 − LN2_HI)      (LN2_HI has 32 significant bits, so k·LN2_HI is exact for |k| < 2²¹),
    e^r = p(r) + R,  p(r) = Σ_{j≤13} r^j/j!,  |R| ≤ 0.35¹⁴/14!·e^0.35 for |r| ≤ 0.35 (Lagrange's remainder),

p evaluated by Horner's rule in plain float64 with the float coefficients a_j = fl(1/j!): Higham's bound (ibid.,
eq. 5.3) |p̂ − Σ a_j r^j| ≤ γ_26·Σ|a_j||r|^j ≤ γ_26(1 + u)e^|r|, and |Σ a_j r^j − p(r)| ≤ u·e^|r|, so
e^r ∈ p̂ ± ERROR with ERROR = 2·(γ_26(1 + u) + u)·e^0.35 + |R| enclosed in arb (the factor 2 covers the absolute
error ≤ 26·2⁻¹⁰⁷⁵ of products that underflow); r is an interval [r_lo, r_hi] (the reduction's roundings), and e^r
is increasing, so p̂ is evaluated at both ends. 2^k is applied as two exact powers of two, each product rounded
outward (subnormal results stay enclosed). e^[a, b] = [lower end of e^a, upper end of e^b].
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from flint import arb, ctx

from .ball import lower, upper

U = 2.0 ** -53  # the unit roundoff of float64
TINY = 2.0 ** -1074  # the smallest subnormal
LOG2E = 1.4426950408889634  # a float near log₂ e: only chooses k
LN2_HI = 6.93147180369123816490e-01  # ln 2 rounded to 32 significant bits
REDUCED = 0.35  # |r| ≤ REDUCED after the reduction (checked element by element)
TERMS = 13  # the Taylor polynomial's degree
OVERFLOW, UNDERFLOW = 710.0, -746.0  # e^t > the largest float above, < the smallest subnormal below


def _constants():
    """ln 2 − LN2_HI as float ends, the float coefficients a_j = fl(1/j!) (j = TERMS, …, 0) and ERROR (module doc), by arb."""
    assert LN2_HI.as_integer_ratio()[0].bit_length() <= 32  # k·LN2_HI exact for |k| < 2²¹
    with ctx.workprec(120):
        rest = arb(2).log() - arb(LN2_HI)
        u, steps = arb(U), 2 * TERMS
        gamma = steps * u / (1 - steps * u)
        error = (2 * (gamma * (1 + u) + u) * arb(REDUCED).exp()
                 + arb(REDUCED) ** (TERMS + 1) / arb(math.factorial(TERMS + 1)) * arb(REDUCED).exp())
        return (lower(rest), upper(rest)), tuple(1 / math.factorial(j) for j in range(TERMS, -1, -1)), upper(error)


(LN2_REST_LO, LN2_REST_HI), TAYLOR, ERROR = _constants()


def down(x) -> np.ndarray:
    """The float just below x: ≤ the exact result that x rounds (module doc)."""
    return np.nextafter(x, -np.inf)


def up(x) -> np.ndarray:
    """The float just above x: ≥ the exact result that x rounds (module doc)."""
    return np.nextafter(x, np.inf)


@dataclass(frozen=True)
class Intervals:
    """[lo, hi] element-wise: every real number between the ends (float64 arrays of one shape)."""

    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def point(cls, x) -> "Intervals":
        """The exact floats x as intervals of width 0."""
        x = np.asarray(x, dtype=float)
        return cls(x, x)

    def __getitem__(self, key) -> "Intervals":
        return Intervals(self.lo[key], self.hi[key])

    def __add__(self, other: "Intervals") -> "Intervals":
        return Intervals(down(self.lo + other.lo), up(self.hi + other.hi))

    def __sub__(self, other: "Intervals") -> "Intervals":
        return Intervals(down(self.lo - other.hi), up(self.hi - other.lo))

    def __neg__(self) -> "Intervals":
        return Intervals(-self.hi, -self.lo)

    def __mul__(self, other: "Intervals") -> "Intervals":
        """[min, max] of the four products of the ends, each rounded outward."""
        with np.errstate(invalid="ignore"):
            a, b, c, d = self.lo * other.lo, self.lo * other.hi, self.hi * other.lo, self.hi * other.hi
            return Intervals(down(np.minimum(np.minimum(a, b), np.minimum(c, d))), up(np.maximum(np.maximum(a, b), np.maximum(c, d))))

    def __truediv__(self, other: "Intervals") -> "Intervals":
        """Division by intervals of positive numbers (other.lo > 0; elsewhere the result is NaN)."""
        positive = other.lo > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            a, b, c, d = self.lo / other.lo, self.lo / other.hi, self.hi / other.lo, self.hi / other.hi
            lo, hi = down(np.minimum(np.minimum(a, b), np.minimum(c, d))), up(np.maximum(np.maximum(a, b), np.maximum(c, d)))
        return Intervals(np.where(positive, lo, np.nan), np.where(positive, hi, np.nan))

    def square(self) -> "Intervals":
        """{t² : t in the interval}: [0, max²] where it holds 0, else [min², max²] of the ends."""
        a, b = self.lo * self.lo, self.hi * self.hi
        straddles = (self.lo <= 0) & (self.hi >= 0)
        return Intervals(np.where(straddles, 0.0, down(np.minimum(a, b))), up(np.maximum(a, b)))

    def sqrt(self) -> "Intervals":
        """√t over the interval's non-negative part (the lower end clamped at 0)."""
        return Intervals(down(np.sqrt(np.maximum(self.lo, 0.0))), up(np.sqrt(np.maximum(self.hi, 0.0))))

    def exp(self) -> "Intervals":
        return Intervals(exp_bounds(self.lo)[0], exp_bounds(self.hi)[1])

    def intersect(self, other: "Intervals") -> "Intervals":
        return Intervals(np.maximum(self.lo, other.lo), np.minimum(self.hi, other.hi))


def dot(a: Intervals, b: Intervals) -> Intervals:
    """Σ_k a_k b_k over the last axis (a few terms: each step rounded outward)."""
    total = a[..., 0] * b[..., 0]
    for k in range(1, a.lo.shape[-1]):
        total = total + a[..., k] * b[..., k]
    return total


def exp_bounds(t) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) with lo ≤ e^t ≤ hi for the exact floats t, element-wise (module doc)."""
    t = np.asarray(t, dtype=float)
    clipped = np.nan_to_num(np.clip(t, UNDERFLOW, OVERFLOW), nan=0.0)
    k = np.rint(clipped * LOG2E)
    r0 = Intervals.point(clipped) - Intervals.point(k * LN2_HI)  # k·LN2_HI exact
    r = r0 - Intervals.point(k) * Intervals(np.full_like(k, LN2_REST_LO), np.full_like(k, LN2_REST_HI))
    low, high = down(_horner(r.lo) - ERROR), up(_horner(r.hi) + ERROR)
    half = np.floor(k / 2)
    for power in (half, k - half):  # each 2^power exact (|power| ≤ 538)
        scale = np.ldexp(1.0, power.astype(np.int64))
        with np.errstate(over="ignore", under="ignore"):
            low, high = down(low * scale), up(high * scale)
    reduced = (np.abs(r.lo) <= REDUCED) & (np.abs(r.hi) <= REDUCED)
    low = np.where(reduced, np.maximum(low, 0.0), 0.0)
    high = np.where(reduced, high, np.inf)
    low = np.where(t < UNDERFLOW, 0.0, low)
    high = np.where(t > OVERFLOW, np.inf, high)
    nan = np.isnan(t)
    return np.where(nan, np.nan, low), np.where(nan, np.nan, high)


def _horner(r: np.ndarray) -> np.ndarray:
    """p̂(r): Σ_j a_j r^j by Horner's rule in float64 (module doc bounds its distance from e^r)."""
    value = np.full_like(r, TAYLOR[0])
    for c in TAYLOR[1:]:
        value *= r
        value += c
    return value


def sum_upper(t: np.ndarray, axis: int = -1) -> np.ndarray:
    """A float ≥ the exact Σ t_i along ``axis`` (module doc: the float sum plus 2γ_n·Σ|t_i|, rounded up)."""
    n = t.shape[axis]
    gamma = up(2 * n * U / (1 - n * U))
    with np.errstate(invalid="ignore", over="ignore"):
        return up(np.sum(t, axis=axis) + up(gamma * np.sum(np.abs(t), axis=axis)))


def dot_upper(w: np.ndarray, d: np.ndarray, axis: int = -1) -> np.ndarray:
    """A float ≥ the exact Σ w_i (u_i − R) along ``axis``, given the floats w and d = fl(u − R) (the caller's
    correctly rounded differences of floats, so |d_i − (u_i − R)| ≤ u·|d_i|): the float dot product is within
    γ_n·Σ|w_i d_i| of Σ w_i d_i (Higham, ibid., §3.1, any order) plus n·2⁻¹⁰⁷⁴ for products that underflow, and
    Σ|w_i|·u|d_i| covers the differences' rounding; 2γ_(n+2) times the float Σ|w_i d_i|, rounded up, covers all
    three (as in :func:`sum_upper`)."""
    n = w.shape[axis]
    gamma = up(2 * (n + 2) * U / (1 - (n + 2) * U))
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        products = w * d
        slack = up(gamma * np.sum(np.abs(products), axis=axis)) + n * TINY
        return up(np.sum(products, axis=axis) + up(slack))


def sum_lower(t: np.ndarray, axis: int = -1) -> np.ndarray:
    """A float ≤ the exact Σ t_i along ``axis``."""
    return -sum_upper(-t, axis)
