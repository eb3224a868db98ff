"""JUnit evidence the harness produces itself: it runs the project's test command.

A report the agent can write is the agent's word. With ``[tracking] junit_command`` the harness
deletes every report the globs match, runs the command (its own process group, a timeout, the
same OS sandbox as its pytest runs, the report folders the only place under the protected set it
may write), and reads only reports written after the command started. The report folders are in
the protected set, so between runs nobody else writes there.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.model import report_folder
from ..sandbox import available
from .evidence import Evidence, PytestSandbox, clean_environment, run_in_group, sandboxed
from .junit import JUnitReport, find_reports, read_junit

if TYPE_CHECKING:
    from ..layout import Layout


def report_folders(project_dir: Path, patterns: Sequence[str]) -> tuple[Path, ...]:
    """The folders the reports go to, as absolute paths (the part of each glob before a *)."""
    return tuple(dict.fromkeys(project_dir / report_folder(p) for p in patterns))


def produced_junit_evidence(
    layout: Layout,
    patterns: Sequence[str],
    command: Sequence[str],
    *,
    timeout: float = 600.0,
    sandbox: PytestSandbox | None = None,
) -> Evidence:
    """Run ``command`` and read the JUnit reports it wrote, refusing any older than its start."""
    project = layout.project_dir
    shown = shlex.join(command)
    for stale in find_reports(project, patterns):
        stale.unlink(missing_ok=True)
    folders = report_folders(project, patterns)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    env = clean_environment(os.environ)
    argv = list(command)
    if sandbox is not None:
        reason = available()
        if reason is not None:
            return _refused(shown, f"it must run sandboxed, but {reason}")
        argv = sandboxed(argv, layout, sandbox, env, folders)
    started = time.time()
    code, output = run_in_group(argv, project, timeout, env)
    files = find_reports(project, patterns)
    fresh = [f for f in files if os.stat(f).st_mtime >= started - 1]
    warnings = [f"{f.relative_to(project)} is older than this run of `{shown}`; not read"
                for f in files if f not in fresh]  # fmt: skip
    report = read_junit(fresh) if fresh else JUnitReport(cases={}, files=(), problems=())
    if code is None:
        warnings.append(f"`{shown}` did not finish within {timeout:g}s (tracking.junit_timeout)")
    elif not fresh:
        tail = output.strip().splitlines()[-1:] or [""]
        warnings.append(
            f"`{shown}` exited {code} and wrote no report matching {', '.join(patterns)}; "
            f"{tail[0][:200]}"
        )
    warnings.extend(report.problems)
    return Evidence(
        report=report,
        warnings=tuple(warnings),
        completable=code is not None and bool(fresh) and not report.problems,
        source=f"{shown} -> {', '.join(patterns)}",
    )


def _refused(shown: str, why: str) -> Evidence:
    return Evidence(
        report=JUnitReport(cases={}, files=(), problems=()),
        warnings=(f"the project's tests were not run: `{shown}` {why}",),
        completable=False,
        source=shown,
    )
