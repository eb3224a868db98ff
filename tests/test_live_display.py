"""On a terminal the run keeps one status line updated in place; in a pipe, plain lines only."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import harness_env, passing_checklist

from pytest_agent_harness.testing import Delay, Turn, text, tool_use

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CLEAR = "\r\x1b[2K"


def script(project: Path) -> list:
    features = str(project / "feature_list.json")
    write = tool_use("Write", {"file_path": features, "content": passing_checklist(project)})
    return [Delay(2.5, Turn(write)), Turn(text("Done."))]  # the status line ticks meanwhile


def on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    main, side = os.openpty()
    process = subprocess.Popen(argv, stdin=side, stdout=side, stderr=side, env=env)
    os.close(side)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(main, 65536)
        except OSError:  # the terminal is gone: the process ended
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_the_status_line_updates_in_place_on_a_terminal(
    make_project, scripted_model, tmp_path: Path
) -> None:
    project = make_project()
    env = {**harness_env(scripted_model(script(project)), tmp_path), "NO_COLOR": "1"}
    out = on_a_terminal(
        [sys.executable, "-m", "pytest_agent_harness", "run", "--project-dir", str(project)], env
    )
    redraws = [chunk for chunk in out.split(CLEAR) if chunk.startswith("0:00:")]
    assert len(redraws) >= 3, out  # drawn again and again, in place
    assert any("session 1 | coding" in r for r in redraws), redraws
    assert any("running Write" in r for r in redraws) or any("1/1 passing" in r for r in redraws)
    assert "\x1b[3" not in out  # NO_COLOR: no colour
    assert "COMPLETE: complete" in out


def test_a_pipe_gets_the_plain_lines(make_project, scripted_model, tmp_path: Path) -> None:
    project = make_project()
    done = subprocess.run(
        [sys.executable, "-m", "pytest_agent_harness", "run", "--project-dir", str(project)],
        capture_output=True, text=True, env=harness_env(scripted_model(script(project)), tmp_path),
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert "Session 1  phase: coding" in done.stdout
