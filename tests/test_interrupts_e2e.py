"""Ctrl+C and kill -9 of a real harness process in the middle of a session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import (
    group_alive,
    harness_env,
    passing_checklist,
    read_ledger,
    wait_for_group_exit,
)

from pytest_agent_harness.testing import Request, ScriptedModel, Turn, text, tool_use

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class BlockingScript:
    """Session 1 ends at once; session 2 hangs until released; later sessions finish the work."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.reached = threading.Event()
        self.release = threading.Event()
        self.count = 0

    def __call__(self, request: Request) -> Turn:
        self.count += 1
        if self.count == 1:
            return Turn(text("Looked around."))
        if self.count == 2:
            self.reached.set()
            self.release.wait(60)
            return Turn(text("too late"))
        if "Write" not in json.dumps(request.messages):
            features = str(self.project / "feature_list.json")
            content = passing_checklist(self.project)
            return Turn(tool_use("Write", {"file_path": features, "content": content}))
        return Turn(text("Done."))


def start_harness(
    project: Path, model: ScriptedModel, tmp_path: Path, *, sigint_ignored: bool = False
) -> subprocess.Popen[str]:
    def ignore_sigint() -> None:  # what a script's background job (`cmd &`) inherits
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen(
        [sys.executable, "-m", "pytest_agent_harness", "run", "--project-dir", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=harness_env(model, tmp_path),
        start_new_session=True,  # its own process group, as a terminal's foreground job has
        preexec_fn=ignore_sigint if sigint_ignored else None,
    )


@pytest.fixture
def cleanup() -> Callable[[subprocess.Popen[str]], None]:
    procs: list[subprocess.Popen[str]] = []
    yield procs.append  # type: ignore[misc]
    for proc in procs:
        if group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@dataclass
class MidSession:
    project: Path
    script: BlockingScript
    model: ScriptedModel
    harness: subprocess.Popen[str]


@pytest.fixture
def mid_session(make_project, scripted_model, tmp_path: Path, cleanup) -> MidSession:
    """A harness subprocess stopped inside session 2, waiting on the scripted model."""
    project = make_project()
    script = BlockingScript(project)
    model = scripted_model(handler=script)
    harness = start_harness(project, model, tmp_path)
    cleanup(harness)
    assert script.reached.wait(60), "session 2 never started"
    return MidSession(project=project, script=script, model=model, harness=harness)


@pytest.mark.parametrize("to_group", [True, False], ids=["terminal", "harness-only"])
def test_ctrl_c_ends_the_session_cleanly_saves_state_and_resumes(
    mid_session: MidSession, tmp_path: Path, cleanup, to_group: bool
) -> None:
    project, script, model, harness = (
        mid_session.project, mid_session.script, mid_session.model, mid_session.harness,
    )  # fmt: skip

    if to_group:
        os.killpg(harness.pid, signal.SIGINT)  # what Ctrl+C in a terminal sends
    else:
        os.kill(harness.pid, signal.SIGINT)
    out, _ = harness.communicate(timeout=30)
    script.release.set()

    assert harness.returncode == 130, out
    assert "interrupted; run the same command again to resume" in out
    assert "Traceback" not in out
    assert wait_for_group_exit(harness.pid), "a CLI process outlived the harness"
    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["session"] == 2
    assert read_ledger(project)[0]["session"] == 1

    again = start_harness(project, model, tmp_path)
    cleanup(again)
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, out
    assert "Session 3" in out
    assert [e["session"] for e in read_ledger(project)][-1] == 3


def test_second_ctrl_c_exits_at_once(mid_session: MidSession) -> None:
    project, script, harness = mid_session.project, mid_session.script, mid_session.harness

    os.kill(harness.pid, signal.SIGINT)
    os.kill(harness.pid, signal.SIGINT)
    out, _ = harness.communicate(timeout=15)
    script.release.set()
    assert harness.returncode == 130, out
    json.loads((project / ".agent-harness" / "session.json").read_text())
    assert wait_for_group_exit(harness.pid), "a CLI process outlived the harness"


def test_kill_9_mid_session_leaves_state_readable_and_resumable(
    mid_session: MidSession, tmp_path: Path, cleanup
) -> None:
    project, script, model, harness = (
        mid_session.project, mid_session.script, mid_session.model, mid_session.harness,
    )  # fmt: skip
    ledger_before = (project / ".agent-harness" / "ledger.jsonl").read_text()

    os.kill(harness.pid, signal.SIGKILL)
    harness.wait(timeout=10)
    os.killpg(harness.pid, signal.SIGKILL)  # the orphaned CLI, as an OS would reap it
    script.release.set()

    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["session"] == 2
    again = start_harness(project, model, tmp_path)
    cleanup(again)
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, out
    ledger_after = (project / ".agent-harness" / "ledger.jsonl").read_text()
    assert ledger_after.startswith(ledger_before)  # nothing recorded before the kill is lost
    assert [e["session"] for e in read_ledger(project)] == [1, 3]
    assert "(PID" not in out  # the dead run's lock was taken over


@pytest.mark.parametrize(
    ("sent", "code", "sigint_ignored"),
    [
        (signal.SIGTERM, 143, False),  # CI cancellation, docker stop, timeout
        (signal.SIGHUP, 129, False),  # the terminal closed
        (signal.SIGINT, 130, True),  # Ctrl+C reaching a job started in the background
    ],
    ids=["SIGTERM", "SIGHUP", "SIGINT-inherited-ignored"],
)
def test_termination_signals_end_the_session_as_ctrl_c_does(
    make_project, scripted_model, tmp_path: Path, cleanup, sent: int, code: int,
    sigint_ignored: bool,
) -> None:  # fmt: skip
    project = make_project()
    script = BlockingScript(project)
    model = scripted_model(handler=script)
    harness = start_harness(project, model, tmp_path, sigint_ignored=sigint_ignored)
    cleanup(harness)
    assert script.reached.wait(60), "session 2 never started"

    os.kill(harness.pid, sent)
    out, _ = harness.communicate(timeout=30)
    script.release.set()

    assert harness.returncode == code, out
    assert "interrupted" in out and "run the same command again to resume" in out, out
    assert "Traceback" not in out
    assert wait_for_group_exit(harness.pid), "a CLI process outlived the harness"
    rows = read_ledger(project)
    assert [(r["session"], r["outcome"]) for r in rows] == [(1, "ok"), (2, "interrupted")], rows
    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["session"] == 2
