"""Evidence: test results the harness reads or produces itself, never the agent's word.

``junit_evidence`` reads reports a runner wrote; ``pytest_evidence`` runs pytest in its own
process group, with credentials removed from its environment and a timeout (SIGINT, then
SIGKILL), writing JUnit XML to a file the harness owns.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..envvars import INNER_RUN, without_secrets
from ..layout import Layout
from .junit import JUnitReport, find_reports, read_junit

KILL_GRACE_SECONDS = 10.0
PYTEST_EXIT = {
    2: "interrupted (often a collection error)",
    3: "an internal error",
    4: "a usage error",
    5: "no tests were collected",
}


@dataclass(frozen=True, kw_only=True)
class Evidence:
    report: JUnitReport
    warnings: tuple[str, ...] = ()
    completable: bool = True
    source: str = ""


def junit_evidence(project_dir: Path, patterns: Sequence[str]) -> Evidence:
    files = find_reports(project_dir, patterns)
    report = read_junit(files)
    warnings = list(report.problems)
    if not files:
        warnings.append(f"no JUnit report matches {', '.join(patterns)}; run the tests first")
    return Evidence(
        report=report,
        warnings=tuple(warnings),
        completable=bool(files) and not report.problems,
        source=", ".join(patterns),
    )


def clean_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without credentials, marked as the harness's own test run."""
    env = without_secrets(environ)
    env[INNER_RUN] = "1"
    return env


def pytest_evidence(
    layout: Layout,
    *,
    args: Sequence[str] = (),
    command: Sequence[str] = (),
    timeout: float = 600.0,
) -> Evidence:
    report_path = layout.pytest_report
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.unlink(missing_ok=True)  # never read a stale report as this run's
    argv = [
        *(command or (sys.executable, "-m", "pytest")),
        *args,
        f"--junitxml={report_path}",
        "-o",
        "junit_family=xunit2",
        "-q",
    ]
    code, output = _run(argv, layout.project_dir, timeout)
    report = (
        read_junit([report_path])
        if report_path.exists()
        else JUnitReport(cases={}, files=(), problems=())
    )
    warnings: list[str] = []
    shown = " ".join(argv[: len(argv) - 4])
    if code is None:
        warnings.append(f"`{shown}` did not finish within {timeout:g}s (tracking.pytest_timeout)")
    elif code in PYTEST_EXIT:
        tail = output.strip().splitlines()[-1:] or [""]
        warnings.append(f"`{shown}` exited {code}: {PYTEST_EXIT[code]}; {tail[0][:200]}")
    elif code not in (0, 1):
        warnings.append(f"`{shown}` exited {code}")
    failing = any(c.status in ("failed", "error") for c in report.cases.values())
    if code not in (0, None) and not failing and code not in PYTEST_EXIT:
        warnings.append(
            "pytest failed but its report shows no failing test: the report is incomplete"
        )
    warnings.extend(report.problems)
    return Evidence(
        report=report,
        warnings=tuple(warnings),
        completable=code in (0, 1) and not report.problems,
        source=shown,
    )


def _run(argv: Sequence[str], cwd: Path, timeout: float) -> tuple[int | None, str]:
    """Run in a new process group; on timeout SIGINT the group, then SIGKILL it."""
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=clean_environment(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        return 4, f"cannot start {argv[0]}: {exc.strerror}"
    try:
        output, _ = proc.communicate(timeout=timeout)
        return proc.returncode, output
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        return None, output
    except BaseException:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
