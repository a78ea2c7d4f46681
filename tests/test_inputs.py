"""Option parsing: exact numbers and bounded integers, with errors that name the option."""
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
