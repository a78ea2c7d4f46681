"""Precision policy: the working precision of a verdict and the higher precision that checks it.

A verdict rests on a value v computed at ``dps`` decimal digits. It is trusted only when the same
value recomputed at ``check_dps`` > ``dps`` digits agrees:  |v_dps − v_check| ≤ tol·max(1, |v_check|)
with tol = 10^−(dps − guard). Every value is computed inside ``mpmath.workdps``, so the global
precision is restored afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

import mpmath
import sympy

from .errors import InputError

T = TypeVar("T")
GUARD_DIGITS = 10  # extra digits when an exact sympy number is read at the current mpmath precision


def exact_to_mp(value) -> mpmath.mpf:
    """An exact sympy number (e.g. λ = 400·ln 2400) at the current mpmath precision: a rational p/q is
    divided once at that precision; anything else sympy evaluates to mp.dps + GUARD_DIGITS digits, and
    mpmath rounds that decimal to mp.dps."""
    if isinstance(value, (int, sympy.Rational)):
        value = sympy.Rational(value)
        return mpmath.mpf(int(value.p)) / int(value.q)
    return mpmath.mpf(str(sympy.N(value, mpmath.mp.dps + GUARD_DIGITS)))


@dataclass(frozen=True)
class PrecisionPolicy:
    """Working precision ``dps`` and check precision ``check_dps`` (decimal digits)."""

    dps: int = 30
    check_dps: int = 0  # 0 means 2·dps
    guard: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.dps, int) or self.dps < 15:
            raise InputError(f"--dps must be an integer ≥ 15 (float64 already gives 15); got {self.dps!r}")
        if self.check_dps and self.check_dps <= self.dps:
            raise InputError(f"check_dps ({self.check_dps}) must exceed dps ({self.dps})")

    def to_json(self) -> dict:
        """The working and the check precision, as every result records them."""
        return {"dps": self.dps, "verify_dps": self.verify_dps}

    @property
    def verify_dps(self) -> int:
        """The higher precision at which every verdict value is recomputed."""
        return self.check_dps or 2 * self.dps

    @property
    def tolerance(self) -> mpmath.mpf:
        """tol = 10^−(dps − guard): the agreement required between the two precisions."""
        with mpmath.workdps(self.verify_dps):
            return mpmath.mpf(10) ** (-(self.dps - self.guard))

    def at_both(self, compute: Callable[[int], T]) -> tuple[T, T]:
        """Evaluate ``compute(dps)`` at the working and at the check precision."""
        with mpmath.workdps(self.dps):
            low = compute(self.dps)
        with mpmath.workdps(self.verify_dps):
            high = compute(self.verify_dps)
        return low, high

    def agree(self, low, high) -> bool:
        """|low − high| ≤ tol·max(1, |high|)."""
        with mpmath.workdps(self.verify_dps):
            low, high = mpmath.mpf(low), mpmath.mpf(high)
            return abs(low - high) <= self.tolerance * max(1, abs(high))
