"""Theorem options, declared once: name, how a raw value is read, default and help.

A theorem lists its options as a tuple of :class:`Option`; the command line builds its flags from
that tuple, the report configuration and the sweep check option names against it, and
:func:`read_options` turns raw values (command-line strings, numbers from a configuration file) into
checked values before the theorem sees them. Each reader is ``parse(raw, flag) -> value`` and raises
InputError naming the flag and the fix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .errors import InputError


@dataclass(frozen=True)
class Option:
    """One option of a theorem: ``name`` is the keyword of ``Theorem.parameters`` (flag ``--name``,
    underscores as dashes); ``default`` is a raw value read like user input (None: absent)."""

    name: str
    help: str
    parse: Callable[[Any, str], Any]
    default: Any = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def usage(self) -> str:
        """The help line of the flag, with its default; ``%`` doubled, since argparse formats help with ``%``."""
        default = f"; default {self.default}" if self.default is not None else ""
        return (self.help + default).replace("%", "%%")


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
