"""pytest plugin: the claims of the registered theorems as test items (off unless ``--proofs``).

    pytest --proofs -m proof                               every claim of every default instance
    pytest --proofs -m proof -k "my-theorem and my-claim"  select by name: theorem::claim[instance]
    pytest --proofs --proofs-require certified             a PASS resting on sampling fails, and so does an
                                                           INCONCLUSIVE claim (a proof that ran out of budget)
    pytest --proofs --proofs-theorem my-theorem --proofs-instance "*m1*" --proofs-dps 40

Every default instance (``Theorem.default_instances()``) of every registered theorem is run at most once
through ``verifier.run.run``; each of its claims becomes one item ``theorem::claim[instance]`` that
reports the result: PASS passes, FAIL fails with the statement, value, bound, witness, method
and detail, INCONCLUSIVE is skipped with the reason, unless ``--proofs-require`` asks for a proof
(certified or exact): then an INCONCLUSIVE claim fails too, since a gate that wants proofs must not
stay green when a proof was not found. The items carry the ``proof`` marker, so
``-m proof`` runs them without the ordinary tests. An instance whose run raises becomes one failing
item ``theorem::run[instance]``.

When an instance runs. Its claim names (the items' names, which ``-k`` matches) are known only after a run, so
the plugin keeps them in pytest's cache (``.pytest_cache``, key ``prefix-verifier/claims/THEOREM/INSTANCE``),
valid for the same options and the same source of the theorem's package and of ``verifier``:
  - names cached: the items are made from them and the instance runs lazily, when the first of its items that
    ``-k``/``-m`` kept runs, once for all of them. ``-k THEOREM`` then runs that theorem's instances only, and
    ``--collect-only`` runs nothing. If the run's claims differ from the cached names (a dependency changed), each
    of its items fails saying so and the cache is refreshed: the next run collects the new names.
  - not cached (the first run, a changed theorem or option, ``-p no:cacheprovider``): the instance is run while
    pytest collects, unless ``-k`` and ``-m`` could not select any of its items whatever its claims are called
    (``-k "not my-theorem"`` and ``-k "not m2"`` skip runs; ``-k bound`` cannot, since any claim might be called
    so); its names are then cached.
``--proofs-theorem`` and ``--proofs-instance`` choose the instances before any of this, cache or not.
"""
from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import itertools
import json
import re
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

MARK = "proof"
REQUIRE = ("sampled", "certified", "exact")  # weakest first: the evidence a PASS needs
IDENT = re.compile(r"(?:\w|:|\+|-|\.|\[|\]|\\|/)+")  # an identifier of pytest's -k/-m grammar


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("proofs", "proof checks of the registered theorems (prefix-verifier)")
    group.addoption("--proofs", action="store_true", default=False,
                    help="collect every claim of every default instance of every registered theorem as a test item")
    group.addoption("--proofs-require", choices=REQUIRE, default="sampled",
                    help="evidence a PASS needs: sampled (any PASS), certified, or exact; a weaker PASS fails, "
                         "and above sampled an INCONCLUSIVE claim fails too (default: it is skipped)")
    group.addoption("--proofs-dps", type=int, default=None,
                    help="working decimal digits for the theorems that declare a dps option")
    group.addoption("--proofs-theorem", action="append", default=[], metavar="NAME",
                    help="check only this theorem (repeatable); default: every registered theorem")
    group.addoption("--proofs-instance", action="append", default=[], metavar="GLOB",
                    help="check only default instances whose name matches (fnmatch, repeatable)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARK}: a claim of a registered theorem (collected by pytest --proofs)")


def pytest_report_header(config: pytest.Config) -> Optional[str]:
    if not config.getoption("proofs"):
        return None
    dps = config.getoption("proofs_dps")
    return (f"proofs: theorems {', '.join(_theorems(config)) or 'none'}; a PASS needs evidence "
            f"{config.getoption('proofs_require')}" + (f"; dps {dps}" if dps else ""))


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, which runs in the same hook
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if not config.getoption("proofs"):
        return
    from .theorem import registry

    theorems = registry()
    globs = config.getoption("proofs_instance")
    for name in _theorems(config):
        for instance, options in theorems[name].default_instances():
            if globs and not any(fnmatch.fnmatchcase(instance, g) for g in globs):
                continue
            run = InstanceRun(theorems[name], instance, _with_dps(config, theorems[name], options), ClaimNameCache.of(config))
            names = run.cached_names()
            if names is None and not _may_select(config, name, instance):
                continue
            made = instance_items(session, run, names)
            # reported like collected nodes, so that pytest's "collected N items" counts them
            config.hook.pytest_collectreport(report=pytest.CollectReport(f"{name}[{instance}]", "passed", None, made))
            items.extend(made)


def _with_dps(config: pytest.Config, theorem: Any, options: Any) -> dict:
    """The instance's options, with ``--proofs-dps`` for a theorem that declares a dps option."""
    dps = config.getoption("proofs_dps")
    if dps is not None and any(o.name == "dps" for o in theorem.options):
        return {**options, "dps": str(dps)}
    return dict(options)


def _theorems(config: pytest.Config) -> list[str]:
    """The registered theorems to check; an unknown ``--proofs-theorem`` is a usage error naming the known ones."""
    from .theorem import registry

    known = registry()
    chosen = config.getoption("proofs_theorem") or list(known)
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise pytest.UsageError(f"--proofs-theorem {', '.join(unknown)}: unknown; registered: {', '.join(known) or 'none'}")
    return chosen


class ClaimNameCache:
    """The claim names of each instance, kept in pytest's cache (``config.cache``) between sessions and valid for one
    fingerprint: SHA-256 of the instance's options (JSON) and of every ``.py`` file of the theorem's top-level
    package (its module, if in no package) and of ``verifier`` (a claim list that changes without a change of
    these is caught when the run disagrees: ``ClaimItem``)."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache
        self.sources: dict[str, str] = {}  # top-level package → digest of its source, read once per session

    @staticmethod
    def of(config: pytest.Config) -> Optional["ClaimNameCache"]:
        """The cache of this session; None when pytest's cacheprovider is off (``-p no:cacheprovider``)."""
        return ClaimNameCache(config.cache) if config.pluginmanager.hasplugin("cacheprovider") else None

    @staticmethod
    def key(theorem: str, instance: str) -> str:
        return f"prefix-verifier/claims/{theorem}/{instance}"

    def get(self, theorem: Any, instance: str, options: dict) -> Optional[list[str]]:
        entry = self.cache.get(self.key(theorem.name, instance), None)
        if isinstance(entry, dict) and entry.get("fingerprint") == self.fingerprint(theorem, options):
            return list(entry["claims"])
        return None

    def set(self, theorem: Any, instance: str, options: dict, names: Optional[list[str]]) -> None:
        """Keep ``names`` (None: forget the instance's entry, e.g. after its run raised)."""
        entry = None if names is None else {"fingerprint": self.fingerprint(theorem, options), "claims": names}
        self.cache.set(self.key(theorem.name, instance), entry)

    def fingerprint(self, theorem: Any, options: dict) -> str:
        digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
        for module in (type(theorem).__module__, __name__):
            top = module.partition(".")[0]
            if top not in self.sources:
                self.sources[top] = source_digest(top)
            digest.update(self.sources[top].encode())
        return digest.hexdigest()


def source_digest(top: str) -> str:
    """SHA-256 of the ``.py`` files (relative path and content) of the top-level package ``top``, or of the module
    ``top`` if it is not a package."""
    spec = importlib.util.find_spec(top)
    folders = [Path(f) for f in spec.submodule_search_locations or ()]
    files = [(f, p) for f in folders for p in sorted(f.rglob("*.py"))] or [(Path(spec.origin).parent, Path(spec.origin))]
    digest = hashlib.sha256()
    for folder, path in files:
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class InstanceRun:
    """One default instance, run at most once (:meth:`claims`): while pytest collects when its claim names are not
    cached, else when the first of its selected items runs."""

    def __init__(self, theorem: Any, instance: str, options: dict, cache: Optional[ClaimNameCache]) -> None:
        self.theorem, self.instance, self.options, self.cache = theorem, instance, options, cache
        self._claims: Optional[dict] = None
        self._error: Optional[BaseException] = None

    def cached_names(self) -> Optional[list[str]]:
        return self.cache.get(self.theorem, self.instance, self.options) if self.cache else None

    def claims(self) -> dict:
        """Claim name (``_unique`` id) → ClaimResult, the run's; the run's exception is raised again on each call."""
        from .run import HypothesisRefuted, run

        if self._claims is None and self._error is None:
            try:
                claims = run(self.theorem.name, self.options, command=f"pytest --proofs ({self.instance})").claims
            except HypothesisRefuted as refuted:  # the refuted hypotheses are the instance's claims
                claims = refuted.claims
            except Exception as error:  # noqa: BLE001 - reported by the items, not a crash of pytest
                self._error = error
            else:
                self._claims = dict(zip(_unique([c.id for c in claims]), claims))
            if self.cache:
                self.cache.set(self.theorem, self.instance, self.options, None if self._error else list(self._claims))
        if self._error is not None:
            raise self._error
        return self._claims


def instance_items(session: pytest.Session, run: InstanceRun, names: Optional[list[str]]) -> list[pytest.Item]:
    """One item per claim: named from ``names`` (cached; the run waits for the first item that runs), else from
    the run, made now; a run that raises now gives one failing item ``run[instance]``."""
    theorem, instance = run.theorem.name, run.instance
    if names is None:
        try:
            names = list(run.claims())
        except Exception as error:  # noqa: BLE001 - reported as a failing item, not a collection crash
            return [RunErrorItem.from_parent(session, name=f"run[{instance}]", nodeid=f"{theorem}::run[{instance}]",
                                             theorem=theorem, error=error)]
    return [ClaimItem.from_parent(session, name=f"{n}[{instance}]", nodeid=f"{theorem}::{n}[{instance}]",
                                  theorem=theorem, run=run, claim_name=n, collected=tuple(names)) for n in names]


def _unique(ids: list[str]) -> list[str]:
    """Claim ids, a repeated one suffixed #2, #3, … (node ids must be unique)."""
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}#{seen[i]}")
    return out


# ---------------------------------------------------------------------------------------------
class ProofFailure(Exception):
    """A claim item failed: its message is the whole report."""


class _ProofItem(pytest.Item):
    def __init__(self, *, theorem: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.theorem = theorem
        self.extra_keyword_matches.add(theorem)  # -k matches the theorem name too
        self.add_marker(MARK)

    def reportinfo(self):
        # a domain that the node id does not end with: pytest then shows the node id unchanged (dots kept)
        return self.path, None, f"{self.theorem}: {self.name}"

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ProofFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class ClaimItem(_ProofItem):
    """One claim of one instance, whose run it shares with the instance's other items."""

    def __init__(self, *, run: InstanceRun, claim_name: str, collected: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run, self.claim_name, self.collected = run, claim_name, collected

    def runtest(self) -> None:
        from .claims import Verdict

        try:
            claims = self.run.claims()
        except Exception as error:  # noqa: BLE001 - the run of a cached instance raised: its items fail with the error
            raise ProofFailure(f"{self.theorem}::run[{self.run.instance}]: the run raised {type(error).__name__}: {error}")
        if list(claims) != list(self.collected):
            new, gone = sorted(set(claims) - set(self.collected)), sorted(set(self.collected) - set(claims))
            raise ProofFailure(f"{self.nodeid}: the claims of {self.run.instance} are not the ones pytest cached "
                               f"(new: {', '.join(new) or 'none'}; gone: {', '.join(gone) or 'none'}; or reordered); "
                               "the cache now holds the new names: run pytest again to collect them")
        c, required = claims[self.claim_name], self.config.getoption("proofs_require")
        if c.verdict is Verdict.FAIL:
            raise ProofFailure(describe(c, "FAIL"))
        if c.verdict is Verdict.INCONCLUSIVE:
            if required == REQUIRE[0]:
                pytest.skip(f"INCONCLUSIVE: {c.detail or c.method}")
            raise ProofFailure(describe(c, f"INCONCLUSIVE, and --proofs-require is {required}: no proof was found"))
        if REQUIRE.index(c.evidence.value) < REQUIRE.index(required):
            raise ProofFailure(describe(c, f"PASS, but on {c.evidence.value} evidence only, and --proofs-require is {required}"))


class RunErrorItem(_ProofItem):
    """An instance whose run raised (bad default options, or an internal error)."""

    def __init__(self, *, error: BaseException, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise ProofFailure(f"{self.nodeid}: the run raised {type(self.error).__name__}: {self.error}")


def describe(claim: Any, headline: str) -> str:
    """A claim as a failure report: verdict, statement, numbers, witness, method, detail."""
    lines = [f"{claim.id}: {headline} ({claim.kind.value}, evidence {claim.evidence.value})", f"  statement: {claim.statement}"]
    if claim.value is not None or claim.bound is not None:
        lines.append(f"  value {claim.value!r} against bound {claim.bound!r}")
    if claim.witness is not None:
        lines.append(f"  witness: {list(claim.witness)}")
    lines.append(f"  method: {claim.method}")
    if claim.detail:
        lines.append(f"  detail: {claim.detail}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
def _may_select(config: pytest.Config, theorem: str, instance: str) -> bool:
    """Whether ``-k`` and ``-m`` could keep some item of this instance.

    Its items are named ``claim[instance]``, carry the keyword ``theorem`` and the marker ``proof``.
    An identifier of ``-k`` that is a substring of the theorem name or of ``[instance]`` is true; any
    other could match an unknown claim name, so it is left open: the instance runs if some choice of
    the open identifiers makes the expression true. Without pytest's expression parser, it runs."""
    known = [theorem.lower(), f"[{instance}]".lower(), MARK]
    keyword = config.getoption("keyword", "").strip()
    marks = config.getoption("markexpr", "").strip()
    return (not keyword or _satisfiable(keyword, lambda ident: any(ident.lower() in n for n in known) or None)) and (
        not marks or _satisfiable(marks, lambda ident: ident == MARK))


def _satisfiable(text: str, known: Callable[[str], Optional[bool]]) -> bool:
    """Whether some truth values of the open identifiers (``known`` gives None) make the match
    expression true; True when the expression cannot be analysed (the safe side: run)."""
    try:
        from _pytest.mark.expression import Expression

        expression = Expression.compile(text)
    except Exception:  # noqa: BLE001 - a pytest without this parser (or a bad expression, which pytest reports): run
        return True
    idents = sorted(set(IDENT.findall(text)) - {"and", "or", "not"})
    open_idents = [i for i in idents if known(i) is None]
    if len(open_idents) > 12:
        return True
    try:
        for values in itertools.product((False, True), repeat=len(open_idents)):
            choice = dict(zip(open_idents, values))
            if expression.evaluate(lambda ident, **_: choice[ident] if ident in choice else bool(known(ident))):
                return True
    except Exception:  # noqa: BLE001 - e.g. keyword arguments in the expression: run
        return True
    return False


__all__ = ["ClaimItem", "ClaimNameCache", "InstanceRun", "RunErrorItem", "describe", "instance_items", "source_digest"]
