"""Running mutants: one pytest process per mutant, in a private copy of the project, judged by
that process's exit status alone.

Nothing of the project runs in the harness's process, and no verdict passes through a file the
tests can write. Under the sandbox the copy is bound at the project's own path, and the run's
environment is the evidence run's: a mutant run looks like any other run of the suite. There,
each worker keeps one pre-imported pytest (``zygote.py``) that forks a process per mutant,
which saves the interpreter's and pytest's start-up on every mutant; outside the sandbox the
harness's own process would be reachable from the tests, so each mutant gets a fresh
``python -m pytest``. The mutated module's cached bytecode is removed before and after each
run, so a same-size mutant written within the same second cannot be served stale.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..layout import Layout
from ..sandbox import available
from ..trackers.evidence import PytestSandbox, clean_environment, run_in_group, sandboxed
from ..trackers.selection import without_paths
from .forking import Zygote, ZygoteFailed
from .mutants import Mutant, mutated_source

Outcome = Literal["killed", "survived", "timeout", "error", "not run"]
CAUGHT: frozenset[str] = frozenset({"killed", "timeout"})
"""Outcomes that mean the suite noticed the mutant (a timeout: it made a test hang)."""
OPTIONS = ("-q", "-x", "--tb=no", "-rfE", "-p", "no:cacheprovider")
"""-x: one failing test decides; --tb=no: a killed mutant can fail hundreds of tests."""


USAGE_ERROR, NO_TESTS = 4, 5
HANG_FACTOR, MIN_TIMEOUT = 3.0, 1.0


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    tests: tuple[str, ...] = ()
    """The first test that failed (from pytest's summary: for the report, never the verdict)."""
    detail: str = ""
    seconds: float = 0.0


class TimeLimit:
    """How long a mutant run may take before it counts as hung (the mutant made a loop
    endless: caught). Until calibrated, ``fixed``. The calibration runs are changes that
    cannot alter behaviour: one of the whole suite (``whole`` seconds) and one of the tests
    that reach one line (giving ``overhead``, the part of a run that is not its tests). A run
    is then allowed ``HANG_FACTOR`` times what its tests took without a mutant, scaled by their
    share of the suite's test time, plus the overhead."""

    def __init__(self, fixed: float, durations: Mapping[str, float]) -> None:
        self.fixed, self.durations = fixed, durations
        self.total = sum(durations.values())
        self.whole = self.overhead = 0.0

    def share(self, tests: Sequence[str] | None) -> float:
        if tests is None or not self.total:
            return 1.0
        return min(1.0, sum(self.durations.get(t, 0.0) for t in tests) / self.total)

    def calibrate(self, runs: Sequence[tuple[Sequence[str] | None, Verdict]]) -> None:
        if not runs or any(v.outcome in ("timeout", "error", "not run") for _, v in runs):
            return
        whole = [v.seconds for tests, v in runs if tests is None]
        if not whole:
            return
        self.whole = max(whole)
        parts = [v.seconds - self.whole * self.share(t) for t, v in runs if t is not None]
        self.overhead = max([0.0, *parts]) if parts else self.whole

    def seconds(self, tests: Sequence[str] | None) -> float:
        if not self.whole:
            return self.fixed
        share = self.share(tests)
        expected = self.overhead + max(0.0, self.whole - self.overhead) * share
        return max(MIN_TIMEOUT, HANG_FACTOR * expected)


class Killers:
    """The test module that has caught most mutants of each source file so far. A mutant's
    tests in that module run first and the rest only if they do not catch it: pytest then
    collects one module instead of all, and the first failure decides. The order saves time
    only; a mutant is caught or not by the same tests."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def split(self, file: str, tests: Sequence[str]) -> list[list[str]]:
        modules: dict[str, list[str]] = {}
        for test in tests:
            modules.setdefault(test.split("::", 1)[0], []).append(test)
        if len(modules) < 2:
            return [list(tests)]
        with self.lock:
            best = max(modules, key=lambda m: (self.counts[file, m], len(modules[m])))
        first = set(modules[best])
        return [modules[best], [t for t in tests if t not in first]]

    def record(self, file: str, verdict: Verdict) -> None:
        if verdict.outcome == "killed" and verdict.tests:
            with self.lock:
                self.counts[file, verdict.tests[0].split("::", 1)[0]] += 1


def run_mutants(
    layout: Layout,
    mutants: Sequence[Mutant],
    covering: Mapping[str, Sequence[str] | None],
    pytest_args: Sequence[str],
    *,
    likely: Mapping[str, Sequence[str]] | None = None,
    sandbox: PytestSandbox | None,
    workers: int = 0,
    deadline: float | None = None,
    timeout: float = 60.0,
    calibrate: Sequence[Mutant] = (),
    durations: Mapping[str, float] | None = None,
    fork: bool = True,
) -> dict[str, Verdict]:
    """Each mutant's verdict, by id; ``covering[id]`` are the tests to run it against (None or
    missing: the whole suite, after ``likely[id]`` when given: a kill there decides). Mutants
    not started by ``deadline`` (monotonic) are "not run".

    ``calibrate`` (changes that cannot alter behaviour) run first, within ``timeout``, and set
    the time limit of the rest (``TimeLimit``, from each test's ``durations``). ``fork``: a
    forking pre-imported pytest per worker (under the sandbox only)."""
    if sandbox is not None and (reason := available()) is not None:
        return {m.id: Verdict("error", detail=f"not sandboxable: {reason}") for m in mutants}
    count = max(1, min(workers or os.cpu_count() or 1, len(mutants)))
    forking = fork and sandbox is not None and hasattr(os, "fork")
    limit = TimeLimit(timeout, durations or {})

    killers = Killers()
    options = without_paths(pytest_args)  # with the tests that cover a mutant instead

    def stages(mutant: Mutant) -> list[tuple[list[str], Sequence[str] | None]]:
        return _stages(mutant, covering, likely or {}, pytest_args, options, killers)

    with _copies(layout, count) as copies, ExitStack() as stack:
        pool: queue.Queue[_Worker] = queue.Queue()
        for copy in copies:
            pool.put(stack.enter_context(_Worker(layout, copy, sandbox, forking)))

        def judge(mutant: Mutant) -> Verdict:
            if deadline is not None and time.monotonic() > deadline:
                return Verdict("not run", detail="the gate's max_seconds ran out")
            worker = pool.get()
            try:
                verdict = worker.judge(mutant, stages(mutant), limit)
            finally:
                pool.put(worker)
            killers.record(mutant.file, verdict)
            return verdict

        with ThreadPoolExecutor(count) as executor:
            first = list(executor.map(judge, calibrate))
            limit.calibrate(
                [(covering.get(m.id), v) for m, v in zip(calibrate, first, strict=True)]
            )
            rest = list(executor.map(judge, mutants))
    return {m.id: v for m, v in zip([*calibrate, *mutants], [*first, *rest], strict=True)}


def _stages(
    mutant: Mutant,
    covering: Mapping[str, Sequence[str] | None],
    likely: Mapping[str, Sequence[str]],
    pytest_args: Sequence[str],
    options: Sequence[str],
    killers: Killers,
) -> list[tuple[list[str], Sequence[str] | None]]:
    """Each pytest command line to try in turn, with the tests it runs (None: all);
    ``options``: ``pytest_args`` without their test paths."""
    if tests := covering.get(mutant.id):
        return [([*options, *part], part) for part in killers.split(mutant.file, tests)]
    if not (first := likely.get(mutant.id)):
        return [(list(pytest_args), None)]
    rest = [*pytest_args, *(f"--deselect={t}" for t in first)]
    return [([*options, *first], first), (rest, None)]


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


class _Worker:
    """One private copy, and the pytest that runs mutants in it."""

    def __init__(
        self, layout: Layout, copy: Path, sandbox: PytestSandbox | None, forking: bool
    ) -> None:
        self.layout, self.copy, self.forking = layout, copy, forking
        self.sandbox = None if sandbox is None else PytestSandbox(deny_read=sandbox.deny_read)
        self.env = clean_environment(os.environ)
        self.zygote: Zygote | None = None

    def __enter__(self) -> _Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.zygote is not None:
            self.zygote.close()

    def judge(
        self,
        mutant: Mutant,
        stages: Sequence[tuple[list[str], Sequence[str] | None]],
        limit: TimeLimit,
    ) -> Verdict:
        """The verdict of the first stage (a pytest command line) that catches the mutant, or
        of the last."""
        path = self.copy / mutant.file
        original = path.read_text(encoding="utf-8")
        mutated = mutated_source(original, mutant)
        if mutated is None:
            return Verdict("error", detail="the mutation site is no longer in the source")
        self._start()
        _forget_bytecode(path)
        path.write_text(mutated, encoding="utf-8")
        start = time.monotonic()
        try:
            for index, (args, tests) in enumerate(stages):
                timeout = limit.seconds(tests)
                code, output = self._run([*OPTIONS, *args], timeout)
                if code == NO_TESTS and index:  # the first stage had run them all
                    break
                verdict = _verdict(code, output, timeout)
                if verdict.outcome != "survived":
                    break
        finally:
            path.write_text(original, encoding="utf-8")
            _forget_bytecode(path)
        return replace(verdict, seconds=time.monotonic() - start)

    def _start(self) -> None:
        """Start the forking worker, if there is to be one (not timed as part of a run)."""
        if self.forking and self.zygote is None and self.sandbox is not None:
            try:
                self.zygote = Zygote(self.layout, self.copy, self.sandbox, self.env)
            except ZygoteFailed:
                self.forking = False

    def _run(self, args: list[str], timeout: float) -> tuple[int | None, str]:
        if self.forking and self.zygote is not None:
            try:
                return self.zygote.run(args, timeout)
            except ZygoteFailed:  # it died or stalled: this and later mutants run plainly
                self.forking = False
                self.zygote.close()
        argv = [sys.executable, "-m", "pytest", *args]
        if self.sandbox is not None:
            argv = sandboxed(argv, self.layout, self.sandbox, self.env, (), bound_from=self.copy)
        where = self.copy if self.sandbox is None else self.layout.project_dir
        return run_in_group(argv, where, timeout, self.env)


def _verdict(code: int | None, output: str, timeout: float) -> Verdict:
    failed = tuple(_failed(output))
    if code is None:
        return Verdict("timeout", failed, f"no result within {timeout:g}s")
    if code in (1, 2) or (code == USAGE_ERROR and failed):
        # Tests failed, or the mutant broke collection (with node ids given, pytest then
        # finds "no collectors" and exits 4, after listing the module that failed to import).
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
