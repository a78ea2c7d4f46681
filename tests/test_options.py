"""Options declared once: readers, defaults, unknown names, and the CLI flags built from them."""
import pytest

from verifier.cli import theorem_parser
from verifier.errors import InputError
from verifier.inputs import integer, parse_number
from verifier.options import Option, read_options
from verifier.theorem import registry

DECLARED = (Option("dim", "sphere dimension", integer(1), 1), Option("max_prefix", "budget", integer(1)),
            Option("eps", "accuracy", parse_number))


def test_defaults_are_read_like_input_and_absent_options_are_none():
    assert read_options(DECLARED, {"eps": "0.5"}) == {"dim": 1, "max_prefix": None, "eps": parse_number("1/2", "x")}


def test_unknown_option_names_the_declared_ones():
    with pytest.raises(InputError, match=r"unknown option\(s\) --max-prefx; this theorem takes --dim, --max-prefix, --eps"):
        read_options(DECLARED, {"max_prefx": 3})


def test_reader_errors_name_the_flag():
    with pytest.raises(InputError, match="--max-prefix must be ≥ 1"):
        read_options(DECLARED, {"max_prefix": "0"})


def test_every_registered_theorem_declares_its_options_and_the_cli_reads_them():
    for name, theorem in registry().items():
        assert theorem.options and all(isinstance(o, Option) for o in theorem.options), name
        flags = {a.dest for a in theorem_parser(theorem)._actions}
        assert {o.name for o in theorem.options} <= flags
