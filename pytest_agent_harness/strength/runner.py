"""Running mutants: one pytest process per mutant, in a private copy of the project, judged by
that process's exit status alone.

Nothing of the project runs in the harness's process, and no verdict passes through a file the
tests can write. Under the sandbox the copy is bound at the project's own path, and the run's
environment is the evidence run's: a mutant run looks like any other run of the suite. The
mutated module's cached bytecode is removed before and after each run, so a same-size mutant
written within the same second cannot be served stale.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..layout import Layout
from ..sandbox import available
from ..trackers.evidence import PytestSandbox, clean_environment, run_in_group, sandboxed
from ..trackers.selection import without_paths
from .mutants import Mutant, mutated_source

Outcome = Literal["killed", "survived", "timeout", "error", "not run"]
CAUGHT: frozenset[str] = frozenset({"killed", "timeout"})
"""Outcomes that mean the suite noticed the mutant (a timeout: it made a test hang)."""


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    tests: tuple[str, ...] = ()
    """The first test that failed (from pytest's summary: for the report, never the verdict)."""
    detail: str = ""


def run_mutants(
    layout: Layout,
    mutants: Sequence[Mutant],
    covering: Mapping[str, Sequence[str] | None],
    pytest_args: Sequence[str],
    *,
    sandbox: PytestSandbox | None,
    workers: int = 0,
    deadline: float | None = None,
    timeout: float = 60.0,
) -> dict[str, Verdict]:
    """Each mutant's verdict, by id; ``covering[id]`` are the tests to run it against (None or
    missing: the whole suite). Mutants not started by ``deadline`` (monotonic) are "not run"."""
    if sandbox is not None and (reason := available()) is not None:
        return {m.id: Verdict("error", detail=f"not sandboxable: {reason}") for m in mutants}
    count = max(1, min(workers or os.cpu_count() or 1, len(mutants)))
    options = without_paths(pytest_args)  # with the tests that cover a mutant instead
    with _copies(layout, count) as copies:
        pool: queue.Queue[Path] = queue.Queue()
        for copy in copies:
            pool.put(copy)

        def judge(mutant: Mutant) -> Verdict:
            if deadline is not None and time.monotonic() > deadline:
                return Verdict("not run", detail="the gate's max_seconds ran out")
            copy = pool.get()
            try:
                tests = covering.get(mutant.id)
                args = [*options, *tests] if tests else list(pytest_args)
                return _run_one(layout, copy, mutant, args, sandbox, timeout)
            finally:
                pool.put(copy)

        with ThreadPoolExecutor(count) as executor:
            verdicts = list(executor.map(judge, mutants))
    return {m.id: v for m, v in zip(mutants, verdicts, strict=True)}


@contextmanager
def _copies(layout: Layout, count: int) -> Iterator[list[Path]]:
    root = Path(tempfile.mkdtemp(prefix="agent-harness-strength-"))
    ignore = shutil.ignore_patterns(".git", layout.harness_dir.name, "__pycache__", ".pytest_cache")
    try:
        copies = []
        for index in range(count):
            copy = root / str(index)
            shutil.copytree(layout.project_dir, copy, ignore=ignore, symlinks=True)
            copies.append(copy)
        yield copies
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_one(
    layout: Layout,
    copy: Path,
    mutant: Mutant,
    args: Sequence[str],
    sandbox: PytestSandbox | None,
    timeout: float,
) -> Verdict:
    path = copy / mutant.file
    original = path.read_text(encoding="utf-8")
    mutated = mutated_source(original, mutant)
    if mutated is None:
        return Verdict("error", detail="the mutation site is no longer in the source")
    # -x: one failing test decides; --tb=no: a killed mutant can fail hundreds of tests.
    argv = [sys.executable, "-m", "pytest", "-q", "-x", "--tb=no", "-rfE", "-p", "no:cacheprovider"]
    argv += args
    env = clean_environment(os.environ)
    if sandbox is not None:
        jail = PytestSandbox(deny_read=sandbox.deny_read)
        argv = sandboxed(argv, layout, jail, env, (), bound_from=copy)
    _forget_bytecode(path)
    path.write_text(mutated, encoding="utf-8")
    try:
        where = copy if sandbox is None else layout.project_dir
        code, output = run_in_group(argv, where, timeout, env)
    finally:
        path.write_text(original, encoding="utf-8")
        _forget_bytecode(path)
    failed = tuple(_failed(output))
    if code is None:
        return Verdict("timeout", failed, f"no result within {timeout:g}s")
    if code in (1, 2):  # tests failed, or the mutant broke collection: the suite noticed
        return Verdict("killed", failed)
    if code == 0:
        return Verdict("survived")
    tail = (output.strip().splitlines() or [""])[-1][:200]
    return Verdict("error", failed, f"pytest exited {code}: {tail}")


def _forget_bytecode(path: Path) -> None:
    cache = path.parent / "__pycache__"
    if cache.is_dir():
        for pyc in cache.glob(f"{path.stem}.*.pyc"):
            pyc.unlink(missing_ok=True)


def _failed(output: str) -> list[str]:
    found = []
    for line in output.splitlines():
        for prefix in ("FAILED ", "ERROR "):
            if line.startswith(prefix):
                found.append(line[len(prefix) :].split(" - ", 1)[0].strip())
    return found
