"""Evidence: test results the harness reads or produces itself, never the agent's word.

``junit_evidence`` reads reports a runner wrote; ``pytest_evidence`` runs pytest in its own
process group, with credentials removed from its environment and a timeout (SIGINT, then
SIGKILL). The outcomes come from the harness's observer (``observer.py``, loaded first with
``-p``), which writes what really happened to each test to a file the harness created for this
run under an unguessable name; the JUnit XML pytest also writes lends messages and is
cross-checked. The child's environment carries no mark of the harness.

The project's conftest and plugins are the agent's code, so with a ``PytestSandbox`` pytest runs
under bubblewrap (``sandbox.py``): no network, the harness dir and ``.git`` read-only except the
report's directory, credential stores hidden, a throwaway HOME. A sandbox that cannot be made
gives evidence that is never complete, with the fix; it never falls back to running unsandboxed.
When the evidence dir is not yet ignored (``status`` before any run), it is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..envvars import INNER_RUN, without_secrets
from ..layout import Layout
from ..sandbox import available, bwrap_argv
from .junit import JUnitReport, find_reports, read_junit
from .record import OBSERVER_MODULE, RECORD_OPTION, RunRecord, as_report, read_record

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
    record: RunRecord | None = None
    """What the harness's observer saw (pytest evidence only)."""
    args: tuple[str, ...] = ()
    """The pytest arguments the run selected its tests with (pytest evidence only)."""


_EMPTY = JUnitReport(cases={}, files=(), problems=())


@dataclass(frozen=True, kw_only=True)
class PytestSandbox:
    """How the harness's own pytest run is confined.

    ``protected`` paths (such as the harness dir and ``.git``) are read-only inside the writable
    project, except the directory of the JUnit report; ``deny_read`` paths (``~`` allowed) are
    hidden, and so is the harness's CLI config dir.
    """

    protected: tuple[Path, ...] = ()
    deny_read: tuple[str, ...] = ()


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
    """The environment without credentials, and without any mark of the harness: the
    project's code cannot tell the harness's run from a plain pytest run by it."""
    env = without_secrets(environ)
    env.pop(INNER_RUN, None)
    return env


def pytest_evidence(
    layout: Layout,
    *,
    args: Sequence[str] = (),
    command: Sequence[str] = (),
    timeout: float = 600.0,
    sandbox: PytestSandbox | None = None,
) -> Evidence:
    """Run pytest (inside ``sandbox`` when given) under the observer and read its record."""
    report_path = layout.pytest_report
    folder = report_path.parent
    # Without the runtime .gitignore (no run yet: `status` on a fresh project) nothing keeps the
    # folder out of the history: it goes again once read.
    transient = not layout.gitignore.exists()
    folder.mkdir(parents=True, exist_ok=True)
    report_path.unlink(missing_ok=True)  # never read a stale report as this run's
    record_path = _new_record(report_path)
    try:
        return _measure(layout, args, command, timeout, sandbox, record_path)
    finally:
        record_path.unlink(missing_ok=True)
        if transient:
            shutil.rmtree(folder, ignore_errors=True)


def _new_record(report_path: Path) -> Path:
    """An empty file, made by the harness, named so that nothing can guess it beforehand."""
    path = report_path.with_name(f"observer-{secrets.token_hex(16)}.jsonl")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    os.close(os.open(path, flags, 0o600))
    return path


def _measure(
    layout: Layout,
    args: Sequence[str],
    command: Sequence[str],
    timeout: float,
    sandbox: PytestSandbox | None,
    record_path: Path,
) -> Evidence:
    report_path = layout.pytest_report
    base = [*(command or (sys.executable, "-m", "pytest"))]
    argv = [
        *base,
        "-p",
        OBSERVER_MODULE,
        f"{RECORD_OPTION}={record_path}",
        *args,
        f"--junitxml={report_path}",
        "-o",
        "junit_family=xunit1",
        "-q",
    ]
    shown = " ".join([*base, *args])
    env = clean_environment(os.environ)
    run = argv
    if sandbox is not None:
        reason = available()
        if reason is not None:
            return _unsandboxable(shown, reason)
        run = sandboxed(argv, layout, sandbox, env, (layout.pytest_report.parent,))
    code, output = run_in_group(run, layout.project_dir, timeout, env)
    junit = read_junit([report_path]) if report_path.exists() else _EMPTY
    record = read_record(record_path)
    report, warnings = _judge(code, output, shown, timeout, junit, record)
    return Evidence(
        report=report,
        warnings=tuple(warnings),
        completable=code in (0, 1) and record is not None and record.finished and not warnings,
        source=shown,
        record=record,
        args=tuple(args),
    )


def _judge(
    code: int | None,
    output: str,
    shown: str,
    timeout: float,
    junit: JUnitReport,
    record: RunRecord | None,
) -> tuple[JUnitReport, list[str]]:
    """The observer's outcomes, and every reason not to believe this run."""
    warnings: list[str] = []
    if code is None:
        warnings.append(f"`{shown}` did not finish within {timeout:g}s (tracking.pytest_timeout)")
    elif code in PYTEST_EXIT:
        tail = output.strip().splitlines()[-1:] or [""]
        warnings.append(f"`{shown}` exited {code}: {PYTEST_EXIT[code]}; {tail[0][:200]}")
    elif code not in (0, 1):
        warnings.append(f"`{shown}` exited {code}")
    report, tampered = as_report(record, junit) if record is not None else (_EMPTY, [])
    if code in (0, 1) and (record is None or not record.finished):
        warnings.append(
            f"`{shown}` exited {code} but the harness's observer recorded no end of the session "
            f"(ended from inside by the project's code, or {OBSERVER_MODULE} cannot be imported "
            "by tracking.pytest_command)"
        )
    failing = any(c.status in ("failed", "error") for c in report.cases.values())
    if code == 0 and failing:
        warnings.append("pytest exited 0 although tests failed: its exit status was rewritten")
    if code not in (0, None) and not failing and code not in PYTEST_EXIT:
        warnings.append(
            "pytest failed but its report shows no failing test: the report is incomplete"
        )
    warnings += tampered
    warnings += record.problems if record is not None else []
    warnings += junit.problems
    return report, warnings


def sandboxed(
    argv: Sequence[str],
    layout: Layout,
    sandbox: PytestSandbox,
    env: Mapping[str, str],
    writable: Sequence[Path],
    bound_from: Path | None = None,
) -> list[str]:
    """``argv`` under bubblewrap, ``writable`` the only places under the protected set it may
    write; an interpreter living under ``/tmp`` (a fresh tmpfs inside) is bound in read-only so
    that it can still start. ``bound_from``: a private copy seen at the project's path."""
    interpreter = {Path(sys.prefix), Path(sys.base_prefix), Path(argv[0]).parent}
    under_tmp = [p for p in interpreter if p.is_absolute() and _under(p.resolve(), Path("/tmp"))]
    return bwrap_argv(
        argv,
        project_dir=layout.project_dir,
        read_only=(*under_tmp, *sandbox.protected),
        writable=writable,
        hidden=(*sandbox.deny_read, layout.claude_config_dir),
        env=env,
        bound_from=bound_from,
    )


def _under(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _unsandboxable(shown: str, reason: str) -> Evidence:
    warning = (
        f"the project's tests were not run: `{shown}` must run sandboxed, but {reason} "
        "(or set security.sandbox.enabled = false to run them unsandboxed)"
    )
    return Evidence(
        report=JUnitReport(cases={}, files=(), problems=()),
        warnings=(warning,),
        completable=False,
        source=shown,
    )


def run_in_group(
    argv: Sequence[str], cwd: Path, timeout: float, env: Mapping[str, str]
) -> tuple[int | None, str]:
    """Run in a new process group; on timeout SIGINT the group, then SIGKILL it.

    Under bubblewrap the group is bwrap's: when it dies, ``--die-with-parent`` kills pytest,
    and the end of its PID namespace kills everything pytest started.
    """
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
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
