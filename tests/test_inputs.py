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
