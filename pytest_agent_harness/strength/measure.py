"""Coverage of the code under test, per file and per test, from a pytest run the harness makes.

coverage.py runs inside the project's pytest process, so a hostile conftest could change what
it records: coverage is the weaker half of the gate (it can only be made to look higher), and
the mutation half, judged by exit statuses, is what a forged measurement cannot fool.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..layout import Layout
from ..sandbox import available
from ..trackers.evidence import PytestSandbox, clean_environment, run_in_group, sandboxed
from .runner import NO_TESTS

CONTEXTS_PLUGIN = "pytest_agent_harness.strength.contexts"


@dataclass(frozen=True)
class FileCoverage:
    lines: float
    """Per cent of statements run."""
    branches: float
    """Per cent of branches taken (100 when the file has none)."""
    missing: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"lines": self.lines, "branches": self.branches, "missing": list(self.missing)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileCoverage:
        return cls(float(data["lines"]), float(data["branches"]), tuple(data.get("missing", ())))


@dataclass
class Measurement:
    files: dict[str, FileCoverage] = field(default_factory=dict)
    tests_by_line: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    """File to line to the node ids of the tests that ran it (no entry: only outside tests)."""
    durations: dict[str, float] = field(default_factory=dict)
    """Each test's seconds under coverage (its setup, call and teardown)."""
    exit_status: int | None = None
    seconds: float = 0.0
    problem: str = ""


def measure(
    layout: Layout,
    files: Sequence[str],
    pytest_args: Sequence[str],
    *,
    sandbox: PytestSandbox | None = None,
    timeout: float = 600.0,
    shards: int = 0,
) -> Measurement:
    """Run the suite once under coverage (branches on, a context per test) and read it; the
    tests are split into ``shards`` slices run side by side (default: one per core)."""
    work = layout.pytest_report.parent / f"coverage-{secrets.token_hex(8)}"
    work.mkdir(parents=True)
    try:
        count = max(1, shards or os.cpu_count() or 1)
        return _measure(layout, files, pytest_args, sandbox, timeout, work, count)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(
    layout: Layout,
    files: Sequence[str],
    pytest_args: Sequence[str],
    sandbox: PytestSandbox | None,
    timeout: float,
    work: Path,
    shards: int,
) -> Measurement:
    project = layout.project_dir.resolve()
    rcfile = work / "coveragerc"
    include = ",".join(str(project / f) for f in files)
    rcfile.write_text(
        f"[run]\nbranch = True\nparallel = True\ndata_file = {work / 'data'}\n"
        f"include = {include}\n"
        "disable_warnings = no-data-collected, module-not-measured\n"
    )
    argv = [sys.executable, "-m", "coverage", "run", f"--rcfile={rcfile}", "-m", "pytest"]
    argv += ["-p", CONTEXTS_PLUGIN, "-q", "-p", "no:cacheprovider", *pytest_args]
    env = clean_environment(os.environ)
    if sandbox is not None:
        reason = available()
        if reason is not None:
            return Measurement(problem=f"coverage was not measured: {reason}")
        argv = sandboxed(argv, layout, sandbox, env, (work,))
    start = time.monotonic()

    def shard(index: int) -> tuple[int | None, str]:
        sliced = [*argv, f"--strength-durations={work / f'durations-{index}.json'}"]
        if shards > 1:
            sliced.append(f"--strength-shard={index}/{shards}")
        return run_in_group(sliced, project, timeout, env)

    with ThreadPoolExecutor(shards) as pool:
        runs = list(pool.map(shard, range(shards)))
    seconds = time.monotonic() - start
    codes = {code for code, _ in runs}
    code = 1 if 1 in codes else 0
    # An empty slice (exit 5) is fine as long as another slice ran tests.
    if not codes <= {0, 1, NO_TESTS} or codes == {NO_TESTS}:
        bad, output = next((c, o) for c, o in runs if c not in (0, 1))
        tail = (output.strip().splitlines() or [""])[-1][:200]
        problem = f"the suite exited {bad}: {tail}"
        return Measurement(exit_status=bad, seconds=seconds, problem=problem)
    return _read(work, rcfile, project, files, code, seconds)


def _read(
    work: Path, rcfile: Path, project: Path, files: Sequence[str], code: int | None, seconds: float
) -> Measurement:
    import coverage

    cov = coverage.Coverage(data_file=str(work / "data"), config_file=str(rcfile))
    report = work / "report.json"
    measurement = Measurement(exit_status=code, seconds=seconds)
    try:
        cov.combine([str(work)], keep=False)
        cov.load()
        cov.json_report(outfile=str(report), show_contexts=False)
        # Keys are relative to this process's working directory when the project is under it.
        found = json.loads(report.read_text())["files"]
        summary = {os.path.abspath(name): entry for name, entry in found.items()}
    except (coverage.CoverageException, ValueError, KeyError, OSError) as exc:
        measurement.problem = f"coverage could not be read: {exc}"
        summary = {}
    for record in work.glob("durations-*.json"):
        try:
            found = json.loads(record.read_text(encoding="utf-8"))
            measurement.durations.update({str(k): float(v) for k, v in found.items()})
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # only the time limits of mutant runs are scaled by these
    data = cov.get_data()
    for file in files:
        path = str(project / file)
        entry = summary.get(path)
        measurement.files[file] = _file_coverage(entry, path)
        by_line = data.contexts_by_lineno(path)
        tests = {line: sorted(c for c in contexts if c) for line, contexts in by_line.items()}
        measurement.tests_by_line[file] = {line: names for line, names in tests.items() if names}
    return measurement


def _file_coverage(entry: dict[str, Any] | None, path: str) -> FileCoverage:
    if not entry:  # never imported: nothing of it ran
        return FileCoverage(0.0, 0.0, ())
    summary = entry["summary"]
    statements = summary.get("num_statements", 0)
    lines = 100.0 * summary.get("covered_lines", 0) / statements if statements else 100.0
    branches = summary.get("num_branches", 0)
    taken = 100.0 * summary.get("covered_branches", 0) / branches if branches else 100.0
    return FileCoverage(round(lines, 2), round(taken, 2), tuple(entry.get("missing_lines", ())))
