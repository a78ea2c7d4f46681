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


def test_shared_options_are_declared_once_and_a_theorem_changes_only_its_default_or_help():
    """dps, seed, points, tamper and max_prefix keep one reader everywhere; each theorem's default is its own."""
    from verifier import options as shared

    assert shared.DPS.with_default(20) == Option("dps", shared.DPS.help, shared.DPS.parse, 20)
    assert shared.DPS.with_help("digits").parse is shared.DPS.parse and shared.DPS.default == 30
    theorems = registry()
    declared = {name: {o.name: o for o in t.options} for name, t in theorems.items()}
    for option in (shared.DPS, shared.SEED, shared.POINTS, shared.MAX_PREFIX):
        users = [name for name, opts in declared.items() if option.name in opts]
        assert users, option.name
        for name in users:
            assert declared[name][option.name].parse is option.parse, (name, option.name)
    defaults = {name: (opts["dps"].default, opts.get("points") and opts["points"].default) for name, opts in declared.items()}
    assert defaults == {"single-head": (30, 20_000), "smoothing": (20, 8_000), "seq2seq": (30, 2000), "limitation": (30, None),
                        "pretrained-head": (30, 20_000)}
    with pytest.raises(InputError, match="--dps must be ≤ 1000"):
        read_options(theorems["smoothing"].options, {"dps": "1001", "eps": "0.2"})


def test_a_required_option_says_so_in_its_help_and_cannot_have_a_default():
    eps = Option("eps", "accuracy", parse_number, required=True)
    assert eps.usage == "accuracy (required)"
    assert Option("dim", "dimension", integer(1), 1).usage == "dimension; default 1"
    assert Option("points", "scan points", integer(1)).usage == "scan points"  # optional, no default: neither
    with pytest.raises(ValueError, match="'eps' is required and has a default"):
        eps.with_default("0.1")


def test_read_options_leaves_a_required_option_to_the_theorem():
    """The report configuration reads one key at a time (verifier/report/suite.py): a missing required option is not
    an error here; the command line (argparse) and the theorem's ``parameters`` refuse it."""
    declared = (Option("eps", "accuracy", parse_number, required=True), Option("dim", "dimension", integer(1), 1))
    assert read_options(declared, {"dim": "2"}) == {"eps": None, "dim": 2}
