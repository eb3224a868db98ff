"""The OS sandbox fails closed: missing bwrap stops the run before any session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def _path_without_bwrap(tmp_path: Path) -> str:
    """A PATH holding git and nothing else the harness looks for."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git
    (bin_dir / "git").symlink_to(git)
    return str(bin_dir)


def test_a_missing_bwrap_stops_the_run_with_exit_2_and_an_install_hint(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = make_project({"security": {"sandbox": {"enabled": True}}})
    env = {**os.environ, "PATH": _path_without_bwrap(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest_agent_harness", "run", "--project-dir", str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "apt-get install bubblewrap socat" in result.stderr
    assert "enabled = false" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (project / ".agent-harness" / "ledger.jsonl").exists()  # no session ran


def test_an_explicitly_unsandboxed_run_says_so_and_records_it(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"max_iterations": 1, "tracking": {"type": "none"}})

    def session(spec: object, sink: object) -> object:
        from pytest_agent_harness.agent.session import SessionOutcome

        return SessionOutcome(is_error=False, subtype="success")

    from pytest_agent_harness.config import load_config
    from pytest_agent_harness.run.loop import Runner

    Runner(load_config(project), session_fn=session, sleep=lambda s: None).run()  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "WARNING: the OS sandbox is OFF" in out
    ledger = (project / ".agent-harness" / "ledger.jsonl").read_text().splitlines()
    assert json.loads(ledger[0])["sandbox"] == "off"
