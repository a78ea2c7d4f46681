"""Option parsing: exact numbers and bounded integers, with errors that name the option."""
from pathlib import Path

import pytest
import sympy

from verifier.errors import InputError
from verifier.inputs import parse_integer, parse_number


def test_parse_exact_numbers():
    assert parse_number("0.05", "--eps") == sympy.Rational(1, 20)
    assert parse_number(2, "--lipschitz") == 2
    assert parse_number("1/3", "--bound") == sympy.Rational(1, 3)


@pytest.mark.parametrize("text, fragment", [("0", "> 0"), ("-2", "> 0"), ("nan", "finite"), ("oo", "finite"),
                                            ("I", "finite"), ("x", "finite"), ("1/0", "finite")])
def test_bad_numbers_name_the_option(text, fragment):
    with pytest.raises(InputError, match="--eps") as info:
        parse_number(text, "--eps")
    assert fragment in str(info.value)


def test_parse_integer():
    assert parse_integer("3", "--dim", 1) == 3
    assert parse_integer(7, "--seed", 0) == 7
    with pytest.raises(InputError, match="--dim must be ≥ 1; got 0"):
        parse_integer("0", "--dim", 1)
    with pytest.raises(InputError, match="--dim must be an integer ≥ 1, written in digits; got '1.5'"):
        parse_integer("1.5", "--dim", 1)


def test_numbers_are_read_exactly_from_their_text():
    from verifier.inputs import read_rational

    assert parse_number("0.049999999999999", "--eps") == sympy.Rational(49999999999999, 10**15)
    assert parse_number("1e-300", "--eps") == sympy.Rational(1, 10**300)
    assert parse_number("2.5E3", "--eps") == 2500
    assert parse_number(0.1, "--eps") == sympy.Rational(1, 10)  # a float from a configuration file, by its repr
    assert read_rational("-3/4", "--x") == sympy.Rational(-3, 4)


@pytest.mark.parametrize("text, fragment", [
    ("1e100000", "exponent"), ("1" * 500, "digits"), ("__import__('os')", "cannot read"), ("10**30", "cannot read"),
    ("1/0", "divides by zero"), (True, "must be a number"), (float("nan"), "finite"),
])
def test_literals_that_are_not_plain_numbers_are_refused(text, fragment):
    with pytest.raises(InputError, match="--eps") as info:
        parse_number(text, "--eps")
    assert fragment in str(info.value)


def test_show_and_clip_keep_messages_short():
    from verifier.inputs import clip, show

    assert show(sympy.Rational(1, 10)) == "1/10"
    assert show(sympy.Rational(1, 10**300)) == "1.00000e-300"
    assert len(clip("x" * 10_000)) < 100 and "(10000 characters)" in clip("x" * 10_000)


@pytest.mark.parametrize("text", ["1e-4400", "1e5000", "-2.5e4301"])
def test_exponents_past_the_integer_text_limit_are_refused(text):
    """--eps 1e-4400 and --lipschitz 1e5000 were exit 4: the numbers could not be printed (Python's 4300-digit limit)."""
    with pytest.raises(InputError, match="--eps: the exponent of .* is beyond ±1000; give a number between 1e-1000 and 1e1000"):
        parse_number(text, "--eps")
    assert parse_number("1e-1000", "--eps") == sympy.Rational(1, 10**1000)  # the boundary is accepted


def test_show_never_prints_a_huge_integer():
    from verifier.inputs import show

    assert show(sympy.Rational(1, 10**28000)) == "1.00000e-28000"  # str() would raise past 4300 digits
    assert show(3 * sympy.Integer(10) ** 5000) == "3.00000e+5000"


def test_read_small_file_checks_the_size_before_reading(tmp_path):
    from verifier.inputs import read_small_file

    (tmp_path / "a.txt").write_text("ok")
    assert read_small_file(tmp_path / "a.txt", 2) == "ok"
    with pytest.raises(InputError, match="^is 3 bytes, more than 2$"):
        (tmp_path / "b.txt").write_text("abc")
        read_small_file(tmp_path / "b.txt", 2)
    with pytest.raises(InputError, match="^is not a regular file$"):
        read_small_file(Path("/dev/zero"), 10**6)  # would never end (MemoryError) if it were read
    with pytest.raises(InputError, match="^cannot be read"):
        read_small_file(tmp_path / "missing.txt", 10)
    (tmp_path / "c.txt").write_bytes(b"\xff")
    with pytest.raises(InputError, match="^is not UTF-8 text$"):
        read_small_file(tmp_path / "c.txt", 10)
