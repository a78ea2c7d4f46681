"""Raw option values (command-line strings or numbers) turned into exact, validated numbers.

Each parser raises InputError with a message that names the option and the fix.
"""
from __future__ import annotations

from typing import Any

import sympy

from .errors import InputError


def parse_number(text, name: str) -> sympy.Number:
    """An exact positive finite number from the command line ('0.05' → 1/20)."""
    try:
        value = sympy.nsimplify(sympy.sympify(str(text)), rational=True)
    except (sympy.SympifyError, TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a positive number; cannot read {text!r} ({exc})") from None
    if not value.is_number or not value.is_finite or value.is_real is not True:
        raise InputError(f"{name} must be a finite real number; got {text!r}")
    if not value.is_positive:
        raise InputError(f"{name} must be > 0; got {text!r}. Pass a positive value, e.g. {name} 0.1")
    return value


def parse_integer(value: Any, name: str, minimum: int) -> int:
    """An integer ≥ ``minimum`` from the command line."""
    try:
        number = int(str(value))
    except ValueError:
        raise InputError(f"{name} must be an integer ≥ {minimum}; got {value!r}") from None
    if number < minimum:
        raise InputError(f"{name} must be ≥ {minimum}; got {number}")
    return number
