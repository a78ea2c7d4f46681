"""Theorem options, declared once: name, how a raw value is read, default and help.

A theorem lists its options as a tuple of :class:`Option`; the command line builds its flags from
that tuple, the report configuration and the sweep check option names against it, and
:func:`read_options` turns raw values (command-line strings, numbers from a configuration file) into
checked values before the theorem sees them. Each reader is ``parse(raw, flag) -> value`` and raises
InputError naming the flag and the fix.

The options several theorems share (``DPS``, ``SEED``, ``POINTS``, ``EVIDENCE``, ``CERT_CELLS``,
``MAX_PREFIX``, :func:`tamper`; the resource guards are ``verifier.budget.OPTIONS``) are
declared here once; a theorem lists one as it is, or with its own default or help in one line:
``DPS.with_default(20)``, ``MAX_PREFIX.with_help("refuse rules with more points").with_default(60_000)``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Sequence

from .errors import InputError
from .inputs import choice, integer


@dataclass(frozen=True)
class Option:
    """One option of a theorem: ``name`` is the keyword of ``Theorem.parameters`` (flag ``--name``,
    underscores as dashes); ``default`` is a raw value read like user input (None: absent); ``required``: the
    theorem cannot be checked without it (it has no default), which the command line enforces and ``--help``
    shows. :func:`read_options` does not enforce it: the report configuration reads one key at a time, and the
    theorem's ``parameters`` refuses an instance that lacks it, with the fix."""

    name: str
    help: str
    parse: Callable[[Any, str], Any]
    default: Any = None
    required: bool = False

    def __post_init__(self) -> None:
        if self.required and self.default is not None:
            raise ValueError(f"option {self.name!r} is required and has a default ({self.default!r}): choose one")

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def usage(self) -> str:
        """The help line of the flag, with its default or '(required)'; ``%`` doubled, since argparse formats help
        with ``%``."""
        default = f"; default {self.default}" if self.default is not None else " (required)" if self.required else ""
        return (self.help + default).replace("%", "%%")

    def with_default(self, default: Any) -> "Option":
        """The same option (name, reader, help) with a theorem's own default."""
        return replace(self, default=default)

    def with_help(self, help: str) -> "Option":
        """The same option (name, reader, default) with a theorem's own help text."""
        return replace(self, help=help)


EVIDENCE_MODES = ("auto", "certified", "sampled")

DPS = Option("dps", "working decimal digits for verdicts (checked at 2·dps)",
             integer(15, 1000, "verdicts at 30–100 digits are checked at twice that; use --dps ≤ 1000"), 30)
SEED = Option("seed", "seed of every random step", integer(0), 0)
POINTS = Option("points", "float64 scan points of the sup search", integer(100))
EVIDENCE = Option("evidence", "auto: certify where possible, else sample; certified: an error if the instance cannot be "
                  "certified; sampled: skip certification", choice(*EVIDENCE_MODES), "auto")
CERT_CELLS = Option("cert_cells", "budget of the certified branch and bound: cells evaluated (it decides the verdict, the "
                    "same on every machine; --max-seconds only guards against runaway work)", integer(1), 400_000)
MAX_PREFIX = Option("max_prefix", "refuse constructions with more prefix tokens", integer(1))


def tamper(modes: Sequence[str]) -> Option:
    """The negative controls of a theorem: ``--tamper MODE`` for one of ``modes`` (absent: the honest construction)."""
    return Option("tamper", "negative control: " + " | ".join(modes), choice(*modes))


def read_options(declared: Sequence[Option], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checked values of every declared option: raw value (or the default) through its reader.

    An option name not declared is bad input naming the declared ones."""
    known = {o.name: o for o in declared}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        flags = ", ".join("--" + n.replace("_", "-") for n in unknown)
        raise InputError(f"unknown option(s) {flags}; this theorem takes {', '.join(o.flag for o in declared)}")
    values = {}
    for option in declared:
        value = raw.get(option.name, option.default)
        values[option.name] = None if value is None else option.parse(value, option.flag)
    return values
