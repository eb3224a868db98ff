"""What changes in the repository between two runs is held to what the harness accepted.

A process the agent left behind (possible with the sandbox off and an interpreter allowed) can
plant a hook or a filter after the session audit; the next run must neither run it nor accept
it as the user's own until a person says so with `agent-harness trust`.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_agent_harness.agent.session import (
    EventSink,
    SessionEvent,
    SessionOutcome,
    SessionSpec,
)
from pytest_agent_harness.cli import main
from pytest_agent_harness.config import load_config
from pytest_agent_harness.errors import GitStateError
from pytest_agent_harness.run.loop import Runner


def write_a_file(project: Path) -> Callable[[SessionSpec, EventSink], SessionOutcome]:
    def session(spec: SessionSpec, sink: EventSink) -> SessionOutcome:
        call = {"id": "toolu_1", "input": {"command": "date > work.txt"}}
        sink(SessionEvent(kind="tool_call", tool="Bash", data=call))
        (project / "work.txt").write_text(str(time.time_ns()))  # every session commits
        sink(SessionEvent(kind="tool_result", tool="Bash", data={"id": "toolu_1"}))
        return SessionOutcome(is_error=False, subtype="success")

    return session


def run_once(project: Path) -> None:
    Runner(load_config(project), session_fn=write_a_file(project), sleep=lambda s: None).run()


def test_a_hook_or_filter_planted_between_runs_never_runs(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = make_project({"max_iterations": 1, "tracking": {"type": "none"}})
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    run_once(project)  # the first run accepts the repository as it is
    marker = tmp_path / "ran"
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    with (project / ".git" / "config").open("a") as handle:
        handle.write(f'[filter "x"]\n\tclean = "touch {marker}; cat"\n')
    (project / ".gitattributes").write_text("* filter=x\n")

    with pytest.raises(GitStateError, match=r"filter\.x\.clean"):
        run_once(project)
    subprocess.run(["git", "-C", str(project), "config", "--unset", "filter.x.clean"], check=True)
    run_once(project)
    assert not marker.exists()  # the new hook was skipped, not run
    assert (project / "work.txt").exists()

    assert main(["trust", "--project-dir", str(project)]) == 0  # a person accepts the hook
    run_once(project)
    assert marker.exists()
