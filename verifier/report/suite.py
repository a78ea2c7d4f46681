"""The suite of theorem instances a report runs: the embedded default, the quick one, or a TOML file.

A configuration file names instances of registered theorems, with option values read by the
options each theorem declares (``theorem.options``)::

    name = "my-suite"        # optional: the report's folder under --out
    seed = 0                 # optional: the seed of every instance whose theorem takes --seed

    sweeps = ["sweeps/my-sweep.json"]   # optional: `verifier sweep --json` results to show (verifier.report.sweeps)
    grids = ["audits/my-audit.json"]    # optional: `verifier grid --json` results to show (verifier.report.grids)
    studies = ["my-study/result.json"]  # optional: `verifier study` results to show (verifier.report.studies)

    [[instance]]
    theorem = "my-theorem"   # a registered name (``verifier list``)
    name = "m1-eps0.05"      # optional; default <theorem>-<k>
    dim = 1                  # then the theorem's own options, here a dimension and an ε
    eps = "0.05"             # read exactly: 0.05 and "0.05" are both 1/20

Everything is checked before any computation: an unknown key, theorem or option, or a value its
reader rejects is an InputError that names the file's line and what to change.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from ..errors import InputError
from ..inputs import clip, integer, read_small_file, text
from ..options import read_options
from ..theorem import Theorem, get, registry
from .grids import read_grid
from .studies import read_study
from .sweeps import ResultFile, read_sweep

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_BYTES = 1_000_000  # of a configuration file (checked before reading it)
TOP_KEYS = ("name", "seed", "sweeps", "instance", "grids", "studies")
INSTANCE_KEYS = ("theorem", "name")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


@dataclass(frozen=True)
class SuiteEntry:
    """One instance: a theorem, a name for it, and its raw option values (read by the theorem's readers)."""

    name: str
    theorem: str
    options: Mapping[str, Any]

    def to_json(self) -> dict:
        return {"name": self.name, "theorem": self.theorem, "options": dict(self.options)}


@dataclass(frozen=True)
class Suite:
    """The instances of a report; ``source`` says where they came from ('default', 'quick' or a path)."""

    entries: tuple[SuiteEntry, ...]
    source: str
    name: Optional[str] = None
    sweeps: tuple[ResultFile, ...] = ()
    grids: tuple[ResultFile, ...] = ()
    studies: tuple[ResultFile, ...] = ()

    @property
    def digest(self) -> str:
        """A short hash of the configuration (the entries and their options, the sweeps', grids' and studies'
        content), for the default report name."""
        payload: list = [e.to_json() for e in self.entries]
        for files in (self.sweeps, self.grids, self.studies):
            if files:
                payload = [payload, [(f.source, f.digest) for f in files]]
        canonical = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:8]

    def to_toml(self) -> str:
        """The suite as a configuration file that ``--config`` reads back to the same suite (sweep, grid and study
        files are relative to the folder of the configuration file)."""
        lines = [f"name = {_toml_value(self.name)}"] if self.name else []
        for key, files in (("sweeps", self.sweeps), ("grids", self.grids), ("studies", self.studies)):
            if files:
                lines.append(f"{key} = [" + ", ".join(_toml_value(f.source) for f in files) + "]")
        for e in self.entries:
            lines += ["", "[[instance]]", f"theorem = {_toml_value(e.theorem)}", f"name = {_toml_value(e.name)}"]
            lines += [f"{key} = {_toml_value(value)}" for key, value in e.options.items()]
        return "\n".join(lines).lstrip("\n") + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def default_suite(quick: bool = False) -> Suite:
    """Every registered theorem's ``default_instances()``; with ``quick``, its ``quick_instances()`` (by default
    its first default instance)."""
    entries = []
    for name, theorem in registry().items():
        instances = list(theorem.quick_instances() if quick else theorem.default_instances())
        entries += [SuiteEntry(instance, name, dict(options)) for instance, options in instances]
    suite = Suite(tuple(entries), "quick" if quick else "default")
    for entry in suite.entries:
        _validate(entry, _no_lines)
    return suite


# ---------------------------------------------------------------------------------------------
class _Lines:
    """Line numbers of keys in a TOML text, for error messages only (tomllib has already parsed it):
    the line of ``key =`` at the top level or inside the k-th ``[[instance]]`` block."""

    def __init__(self, source: str, text_: str):
        self.source = source
        self.top: dict[str, int] = {}
        self.blocks: list[tuple[int, dict[str, int]]] = []
        current = self.top
        for number, line in enumerate(text_.splitlines(), start=1):
            stripped = line.strip()
            if re.fullmatch(r"\[\[\s*instance\s*\]\]\s*(#.*)?", stripped):
                self.blocks.append((number, {}))
                current = self.blocks[-1][1]
            elif stripped.startswith("["):
                table = re.match(r"\[\s*([A-Za-z0-9_-]+)\s*\]", stripped)
                if table:
                    self.top.setdefault(table.group(1), number)
                current = {}
            else:
                key = re.match(r"""\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""", line)
                if key:
                    current.setdefault(next(g for g in key.groups() if g), number)

    def at(self, block: Optional[int], key: Optional[str] = None) -> str:
        """'FILE:LINE' of ``key`` in instance ``block`` (None: the top level), or of the block's header."""
        if block is None:
            number = self.top.get(key, 1)
        else:
            header, keys = self.blocks[block] if block < len(self.blocks) else (1, {})
            number = keys.get(key, header) if key else header
        return f"{self.source}:{number}"


def _no_lines(block: Optional[int] = None, key: Optional[str] = None) -> str:
    return "default suite"


def read_suite(path: Path) -> Suite:
    """The suite a TOML configuration file describes, with every value checked (see the module docstring)."""
    try:
        raw_text = read_small_file(path, MAX_BYTES)
    except InputError as reason:
        raise InputError(f"--config {path} {reason}; give the path of a UTF-8 TOML file") from None
    try:
        data = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML: {error}; fix the syntax there (see `verifier report --help`)") from None
    lines = _Lines(str(path), raw_text)
    for key in data:
        if key not in TOP_KEYS:
            raise InputError(f"{lines.at(None, key)}: unknown key {clip(key)}; the top level takes "
                             f"{', '.join(TOP_KEYS)} (instances go in [[instance]] tables)")
    name = _read_name(data, "name", lines.at(None, "name")) if "name" in data else None
    seed = integer(0)(data["seed"], f"{lines.at(None, 'seed')}: seed") if "seed" in data else None
    sweeps = _read_files(data.get("sweeps", []), Path(path).parent, lines.at(None, "sweeps"), "sweeps",
                         "sweeps/my-sweep.json", read_sweep)
    grids = _read_files(data.get("grids", []), Path(path).parent, lines.at(None, "grids"), "grids",
                        "audits/my-audit.json", read_grid)
    studies = _read_files(data.get("studies", []), Path(path).parent, lines.at(None, "studies"), "studies",
                          "my-study/result.json", read_study)
    instances = data.get("instance", [])
    if isinstance(instances, dict):
        raise InputError(f"{lines.at(None, 'instance')}: write each instance as an [[instance]] table (double brackets), "
                         "not [instance]")
    if not isinstance(instances, list) or not instances or not all(isinstance(i, dict) for i in instances):
        raise InputError(f"{path}: no instances; add at least one [[instance]] table with theorem = \"NAME\" "
                         f"(known theorems: {', '.join(registry())})")
    entries, seen = [], {}
    for k, table in enumerate(instances):
        where = lambda key=None, k=k: lines.at(k, key)  # noqa: E731
        entry = _read_entry(table, k, where, seed)
        if entry.name in seen:
            raise InputError(f"{where('name')}: instance name {entry.name!r} is used twice (first at {seen[entry.name]}); "
                             "give each [[instance]] its own name")
        seen[entry.name] = where("name")
        _validate(entry, where)
        entries.append(entry)
    return Suite(tuple(entries), str(path), name, sweeps, grids, studies)


def _read_files(value: Any, folder: Path, where: str, key: str, example: str, reader) -> tuple:
    """The result files a configuration lists under ``key`` (sweeps, grids, studies), each read by ``reader(path,
    source, where)``; their names (the labels of their sections: a file's stem, a study's folder) distinct."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: {key} must be a list of file names, e.g. {key} = [\"{example}\"]")
    files = tuple(reader(folder / v, v, where) for v in value)
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise InputError(f"{where}: two of the {key} files have the same name {names}; rename one (the name, a "
                         "file's stem or a study's folder, labels its section)")
    return files


def _read_name(table: Mapping[str, Any], key: str, where: str) -> str:
    value = text(table[key], f"{where}: {key}")
    if not _NAME.fullmatch(value):
        raise InputError(f"{where}: {key} {clip(value)} must be 1–80 letters, digits, '.', '_' or '-' "
                         "(it becomes a folder name), e.g. name = \"my-suite\"")
    return value


def _read_entry(table: Mapping[str, Any], k: int, where, seed: Optional[int]) -> SuiteEntry:
    if "theorem" not in table:
        raise InputError(f"{where()}: this [[instance]] has no theorem; add theorem = \"NAME\" "
                         f"(known theorems: {', '.join(registry())})")
    theorem_name = text(table["theorem"], f"{where('theorem')}: theorem")
    try:
        theorem = get(theorem_name)
    except InputError as error:
        raise InputError(f"{where('theorem')}: {error}") from None
    name = _read_name(table, "name", where("name")) if "name" in table else f"{theorem_name}-{k + 1}"
    options = {key: value for key, value in table.items() if key not in INSTANCE_KEYS}
    declared = {o.name for o in theorem.options}
    for key in options:
        if key not in declared:
            raise InputError(f"{where(key)}: theorem {theorem_name} has no option {clip(key)}; it takes "
                             f"{', '.join(o.name for o in theorem.options)} (change or remove this key)")
    if seed is not None and "seed" in declared and "seed" not in options:
        options["seed"] = seed
    return SuiteEntry(name, theorem_name, options)


def _validate(entry: SuiteEntry, where) -> None:
    """Every value through its declared reader, then the theorem's own cross-checks (``parameters``: e.g.
    a target's text through the safe expression reader), before any computation."""
    theorem: Theorem = get(entry.theorem)
    for key, value in entry.options.items():
        try:
            read_options(theorem.options, {key: value})
        except InputError as error:
            raise InputError(f"{where(key)}: {error} (change this value)") from None
    try:
        theorem.parameters(**entry.options)
    except InputError as error:  # at the line of the one option the message names, else at the instance's header
        named = [o.name for o in theorem.options if o.name in entry.options and re.search(rf"{o.flag}\b", str(error))]
        raise InputError(f"{where(named[0] if len(named) == 1 else None)}: instance {entry.name!r}: {error}") from None
