"""pytest plugin: the claims of the registered theorems as test items (off unless ``--proofs``).

    pytest --proofs -m proof                               every claim of every default instance
    pytest --proofs -m proof -k "my-theorem and my-claim"  select by name: theorem::claim[instance]
    pytest --proofs --proofs-require certified             a PASS resting on sampling fails, and so does an
                                                           INCONCLUSIVE claim (a proof that ran out of budget)
    pytest --proofs --proofs-theorem my-theorem --proofs-instance "*m1*" --proofs-dps 40

Every default instance (``Theorem.default_instances()``) of every registered theorem is run once
through ``verifier.run.run``; each of its claims becomes one item ``theorem::claim[instance]`` that
reports the stored result: PASS passes, FAIL fails with the statement, value, bound, witness, method
and detail, INCONCLUSIVE is skipped with the reason, unless ``--proofs-require`` asks for a proof
(certified or exact): then an INCONCLUSIVE claim fails too, since a gate that wants proofs must not
stay green when a proof was not found. The items carry the ``proof`` marker, so
``-m proof`` runs them without the ordinary tests. An instance whose run raises becomes one failing
item ``theorem::run[instance]``.

The claim names of an instance are known only after its run, so instances are run while pytest
collects. Choose what runs with ``--proofs-theorem`` and ``--proofs-instance``; ``-k`` then selects
among the items. Before running an instance, the plugin asks whether ``-k`` and ``-m`` could select
any of its items with the claim part of the name left open (``-k "not my-theorem"`` or
``-k "not m2"`` do skip runs; ``-k bound`` cannot, since any claim might be called so).
"""
from __future__ import annotations

import fnmatch
import itertools
import re
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
    for name in _theorems(config):
        for instance, options in theorems[name].default_instances():
            globs = config.getoption("proofs_instance")
            if globs and not any(fnmatch.fnmatchcase(instance, g) for g in globs):
                continue
            if not _may_select(config, name, instance):
                continue
            made = instance_items(session, theorems[name], instance, options)
            # reported like collected nodes, so that pytest's "collected N items" counts them
            config.hook.pytest_collectreport(report=pytest.CollectReport(f"{name}[{instance}]", "passed", None, made))
            items.extend(made)


def _theorems(config: pytest.Config) -> list[str]:
    """The registered theorems to check; an unknown ``--proofs-theorem`` is a usage error naming the known ones."""
    from .theorem import registry

    known = registry()
    chosen = config.getoption("proofs_theorem") or list(known)
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise pytest.UsageError(f"--proofs-theorem {', '.join(unknown)}: unknown; registered: {', '.join(known) or 'none'}")
    return chosen


def instance_items(session: pytest.Session, theorem: Any, instance: str, options: dict) -> list[pytest.Item]:
    """Run one instance (once) and make one item per claim; a run that raises gives one failing item."""
    from .run import HypothesisRefuted, run

    options = dict(options)
    dps = session.config.getoption("proofs_dps")
    if dps is not None and any(o.name == "dps" for o in theorem.options):
        options["dps"] = str(dps)
    try:
        claims = run(theorem.name, options, command=f"pytest --proofs ({instance})").claims
    except HypothesisRefuted as refuted:  # the refuted hypotheses are the instance's claims
        claims = refuted.claims
    except Exception as error:  # noqa: BLE001 - reported as a failing item, not a collection crash
        return [RunErrorItem.from_parent(session, name=f"run[{instance}]", nodeid=f"{theorem.name}::run[{instance}]",
                                         theorem=theorem.name, error=error)]
    names = _unique([c.id for c in claims])
    return [ClaimItem.from_parent(session, name=f"{n}[{instance}]", nodeid=f"{theorem.name}::{n}[{instance}]",
                                  theorem=theorem.name, claim=c) for n, c in zip(names, claims)]


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
    """One claim of one instance; the result was computed when the instance was run."""

    def __init__(self, *, claim: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim = claim

    def runtest(self) -> None:
        from .claims import Verdict

        c, required = self.claim, self.config.getoption("proofs_require")
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


__all__ = ["ClaimItem", "RunErrorItem", "describe", "instance_items"]
