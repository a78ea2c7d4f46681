"""Studies: a question answered by many independent computations (tasks) run on Dask's distributed scheduler and
gathered into one result: JSON checked against the study's schema, a Markdown table, figures, and the files that
back each reported number (certificates), all in one output folder.

``verifier study NAME [NAME's options] --out DIR``. A study registers one object satisfying :class:`Study` in the
``verifier.studies`` entry-point group (as theorems do in ``verifier.theorems``), so the core names no study. The
object's methods are the whole contract:

* ``tasks(options)``: the validated tasks, plain data, each with a unique ``key`` (bad options raise InputError here,
  before any work, so they are exit 2);
* ``run_task(task)`` on a worker: the task's plain-data result; its optional ``files`` ({relative path: JSON data})
  are written under DIR and removed from the result, and its ``seconds`` (wall time) is kept out of the result,
  which must not depend on where or under what load it ran;
* ``assemble(options, results)``: the study's result from the task results in task order, JSON-ready, with a
  ``verdict`` (PASS: every number it reports is backed as the study requires; INCONCLUSIVE: some could not be);
* ``schema``: the JSON schema of that result (checked before anything is written: a mismatch is an internal error);
* ``table(result)``: Markdown; ``figures(result)``: report figures (``verifier.report.plots``' plain data).

DIR receives ``result.json``, ``table.md``, each figure as PNG and SVG, and the tasks' files. It is built in a
temporary folder beside DIR and renamed into place, so an interrupted or failed study leaves no folder that could be
read as its result; an existing DIR is replaced only with ``replace`` (and only if it holds a study's result.json).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Protocol, Sequence, runtime_checkable

from .errors import InputError
from .options import Option

if TYPE_CHECKING:  # the registry stays light (no sympy): `verifier list` loads every study's declaration
    from .claims import Verdict

ENTRY_POINT_GROUP = "verifier.studies"
RESULT = "result.json"


@runtime_checkable
class Study(Protocol):
    """A registered study (module doc): its name, the question it answers, its options and its five methods."""

    name: str
    statement: str
    options: tuple[Option, ...]
    schema: Mapping[str, Any]

    def tasks(self, options: Mapping[str, Any]) -> list[dict]: ...

    def run_task(self, task: Mapping[str, Any]) -> dict: ...

    def assemble(self, options: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict: ...

    def table(self, result: Mapping[str, Any]) -> str: ...

    def figures(self, result: Mapping[str, Any]) -> list[dict]: ...


@lru_cache(maxsize=1)
def _load() -> dict[str, Study]:
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        study = ep.load()
        if not isinstance(study, Study) or study.name != ep.name:
            raise TypeError(f"entry point {ep.name!r} ({ep.value}) is not a Study named {ep.name!r}")
        found[ep.name] = study
    return dict(sorted(found.items()))


def studies() -> dict[str, Study]:
    """Every registered study by name (a copy)."""
    return dict(_load())


def get_study(name: str) -> Study:
    """The study called ``name``; InputError naming the known ones otherwise."""
    known = studies()
    if name not in known:
        raise InputError(f"unknown study {name!r}; known studies: {', '.join(known) or 'none (pip install -e .)'}")
    return known[name]


def run_task(name: str, task: Mapping[str, Any]) -> tuple[dict, float]:
    """One task on a worker: (its result, its wall time)."""
    start = time.perf_counter()
    result = get_study(name).run_task(task)
    return result, time.perf_counter() - start


@dataclass
class StudyRun:
    """A finished (or interrupted: ``complete`` false) study: its result (which records where and how long) and the
    tasks' files."""

    result: dict
    files: dict
    complete: bool


def run_study(name: str, options: Mapping[str, Any], workers: int = 1, scheduler: Optional[str] = None,
              progress: bool = True, command: Optional[str] = None) -> StudyRun:
    """The study's tasks on Dask (``scheduler`` address, else a LocalCluster of ``workers`` processes), gathered by
    its ``assemble``; Ctrl-C cancels the outstanding tasks and assembles those finished (``complete`` false)."""
    from .run import environment
    from .sweep import collect, dask_client

    start = time.perf_counter()
    study = get_study(name)
    tasks = study.tasks(options)
    done: dict[str, dict] = {}
    seconds: dict[str, float] = {}

    def finished(future, result) -> str:
        key = futures[future]
        done[key], seconds[key] = result
        return f"{key}: {done[key].get('summary', 'done')} ({seconds[key]:.1f} s)"

    with dask_client(workers, scheduler) as (client, where):
        futures = {client.submit(run_task, name, task, key=f"study-{name}-{task['key']}-{time.time_ns()}", pure=False):
                   task["key"] for task in tasks}
        complete = collect(client, list(futures), f"study {name}", progress, finished)
    files: dict = {}
    for key in done:
        files.update(done[key].pop("files", {}))
    result = study.assemble(options, [done[t["key"]] for t in tasks if t["key"] in done])
    result.update(study=name, options=dict(options), complete=complete, command=command,
                  workers=where, environment=environment(), wall_time_s=round(time.perf_counter() - start, 3),
                  task_wall_times_s={k: round(v, 3) for k, v in seconds.items()})
    check_result(study, result)
    return StudyRun(result, files, complete)


def check_result(study: Study, result: Mapping[str, Any]) -> None:
    """The result against the study's JSON schema (jsonschema); a mismatch is a bug of the study (ValueError)."""
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(study.schema).iter_errors(result), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "(top)"
        raise ValueError(f"study {study.name}: its result does not match its schema at {where}: {errors[0].message}")


def prepare_folder(out: Path, replace: bool) -> None:
    """Before any work: refuse a file at ``out``, an existing folder without ``replace``, and a folder to replace that
    is not a study's result (no result.json), each naming the fix."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()):
        if not replace:
            raise InputError(f"--out {out} exists; pass --replace to replace it, or choose another folder")
        if not (out / RESULT).is_file():
            raise InputError(f"--out {out} holds no {RESULT}: it is not a study's result, so --replace will not delete "
                             "it; choose another folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot write {out.parent}: {error.strerror}; choose a writable --out") from None


def write_folder(study: Study, finished: StudyRun, out: Path) -> list[Path]:
    """result.json, table.md, the figures (PNG, SVG) and the tasks' files, written to a temporary folder beside
    ``out`` and renamed into place (an old ``out`` is removed just before); the paths written, relative to ``out``."""
    from .report.plots import save

    for relative in finished.files:
        parts = Path(relative).parts
        if Path(relative).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"study {study.name}: a task's file {relative!r} is outside the output folder")
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        written = [RESULT, "table.md"]
        (temporary / RESULT).write_text(json.dumps(finished.result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (temporary / "table.md").write_text(study.table(finished.result) + "\n", encoding="utf-8")
        for figure in study.figures(finished.result):
            written += [str(p.relative_to(temporary)) for p in save(figure, temporary / figure["id"], salt=figure["id"])]
        for relative, data in sorted(finished.files.items()):
            path = temporary / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(relative)
        os.chmod(temporary, 0o777 & ~_umask())
        if out.exists():
            shutil.rmtree(out)
        os.replace(temporary, out)
        return [Path(p) for p in written]
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)


def _umask() -> int:
    from .report.build import current_umask

    return current_umask()


def exit_verdict(finished: StudyRun) -> "Verdict":
    """The study's verdict (its result's), INCONCLUSIVE when interrupted."""
    from .claims import Verdict

    return Verdict(finished.result["verdict"]) if finished.complete else Verdict.INCONCLUSIVE
