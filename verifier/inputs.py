"""Raw option values (command-line strings, numbers from a configuration file) read as exact data.

No reader evaluates its text: numbers are matched against a literal grammar and built with integer
arithmetic. Each reader raises InputError with a message that names the option and the fix.

    number   := [sign] digits [. digits] [e [sign] digits]   |   [sign] digits / digits
"""
from __future__ import annotations

import re
import stat
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from .errors import InputError

if TYPE_CHECKING:  # sympy is imported where a number is read: declaring options (verifier list) stays light
    import sympy

MAX_EXPONENT = 1000  # |e| of a scientific literal: 10^±1000 is far past any meaningful ε, L or B, and keeps every
# number built from a few of them below Python's limit on the digits of an int printed as text (4300)
MAX_DIGITS = 400  # digits of a literal (beyond that, it is a pasted blob, not a number)
MAX_NUMBER_DIGITS = MAX_EXPONENT + MAX_DIGITS  # digits of the numerator or denominator of any number built from input
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_FRACTION = re.compile(r"[+-]?\d+/\d+")


def clip(text: Any, width: int = 60, quoted: bool = True) -> str:
    """``repr(text)`` (or ``str`` when not ``quoted``) cut to about ``width`` characters, for messages
    and tables that echo user input (a pasted 90 KB target is not echoed whole)."""
    shown = repr(text) if quoted else str(text)
    if len(shown) <= width:
        return shown
    return f"{shown[:width]}…{chr(39) if quoted else ''} ({len(str(text))} characters)"


def show(value: sympy.Rational) -> str:
    """An exact number in a message: '1/10' as it is, one with many digits as '1.00000e-300'."""
    import sympy

    value = sympy.Rational(value)
    if abs(value.p) < 10**11 and value.q < 10**11:  # the exact text (≤ 23 characters); never str() of a huge int
        return str(value)
    return str(sympy.N(value, 6))


def read_rational(raw: Any, name: str) -> sympy.Rational:
    """The exact rational written by ``raw``: '0.049999999999999' is 49999999999999/10^15, '1e-300' is
    10^−300, '3/4' is 3/4; a Python int or float (from a configuration file) is read by its shortest repr."""
    import sympy

    if isinstance(raw, bool):
        raise InputError(f"{name} must be a number; got {raw!r}")
    if isinstance(raw, (sympy.Rational, Fraction)):
        return sympy.Rational(raw)
    text = repr(raw) if isinstance(raw, float) else str(raw).strip()
    example = f"e.g. {name} 0.05, 1/20 or 5e-2"
    if isinstance(raw, float) and not (raw == raw and abs(raw) != float("inf")):
        raise InputError(f"{name} must be a finite number; got {text}; {example}")
    if not (_DECIMAL.fullmatch(text) or _FRACTION.fullmatch(text)):
        raise InputError(f"{name} must be a finite positive number written as a decimal, an integer, a fraction p/q or in scientific "
                         f"notation; cannot read {clip(text)}; {example}")
    mantissa, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > MAX_EXPONENT:
        raise InputError(f"{name}: the exponent of {clip(text)} is beyond ±{MAX_EXPONENT}; give a number between "
                         f"1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT}")
    if sum(ch.isdigit() for ch in mantissa) > MAX_DIGITS:
        raise InputError(f"{name}: {clip(text)} has more than {MAX_DIGITS} digits; give a shorter number")
    try:
        value = Fraction(text)
    except ZeroDivisionError:
        raise InputError(f"{name}: {clip(text)} divides by zero; give a finite positive number, {example}") from None
    return sympy.Rational(value.numerator, value.denominator)


def parse_number(raw: Any, name: str) -> sympy.Rational:
    """An exact positive number (see :func:`read_rational`)."""
    value = read_rational(raw, name)
    if not value.is_positive:
        raise InputError(f"{name} must be > 0; got {clip(raw)}. Pass a positive value, e.g. {name} 0.1")
    return value


def parse_integer(value: Any, name: str, minimum: int, maximum: Optional[int] = None, hint: str = "") -> int:
    """An integer in [minimum, maximum], written in decimal digits."""
    text = str(value).strip()
    bound = f"≥ {minimum}" + (f" and ≤ {maximum}" if maximum is not None else "")
    if isinstance(value, bool) or not re.fullmatch(r"[+-]?\d{1,30}", text):
        raise InputError(f"{name} must be an integer {bound}, written in digits; got {clip(value)}")
    number = int(text)
    if number < minimum:
        raise InputError(f"{name} must be ≥ {minimum}; got {number}")
    if maximum is not None and number > maximum:
        raise InputError(f"{name} must be ≤ {maximum}; got {number}" + (f". {hint}" if hint else ""))
    return number


def integer(minimum: int, maximum: Optional[int] = None, hint: str = "") -> Callable[[Any, str], int]:
    """A reader of integers in [minimum, maximum] for an :class:`~verifier.options.Option`."""
    return lambda raw, name: parse_integer(raw, name, minimum, maximum, hint)


def text(raw: Any, name: str) -> str:
    """A string option (its meaning is read later, e.g. by the safe expression reader)."""
    if not isinstance(raw, str):
        raise InputError(f"{name} must be text; got {clip(raw)}")
    return raw


def choice(*values: str) -> Callable[[Any, str], str]:
    """A reader that accepts exactly one of ``values``."""
    def read(raw: Any, name: str) -> str:
        if raw not in values:
            raise InputError(f"unknown {name} {clip(raw)}; choose one of {', '.join(values)}")
        return raw
    return read


def read_small_file(path: Path, max_bytes: int) -> str:
    """The UTF-8 text of the regular file ``path`` if it has at most ``max_bytes`` bytes, checked before reading (a
    device such as /dev/zero or a huge file is never read); else InputError with the reason, e.g. 'is not a regular
    file', for the caller to prefix with the option and add the fix."""
    try:
        info = Path(path).stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError("is not a regular file")
        if info.st_size > max_bytes:
            raise InputError(f"is {info.st_size} bytes, more than {max_bytes}")
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text") from None
