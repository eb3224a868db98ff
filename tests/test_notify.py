"""The [notify] command: run once when a run stops, told the outcome, never given a secret."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pytest_agent_harness.agent.display import Display
from pytest_agent_harness.agent.session import EventSink, SessionOutcome, SessionSpec
from pytest_agent_harness.config import load_config
from pytest_agent_harness.run.loop import Runner

RECORD = (
    "import json, os, sys; "
    "json.dump(dict(os.environ), open(sys.argv[1], 'w')); "
    "sys.exit(int(sys.argv[2]))"
)


def quiet_session(spec: SessionSpec, sink: EventSink) -> SessionOutcome:
    return SessionOutcome(is_error=False, subtype="success")


def run(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    result = Runner(load_config(project), Display(), session_fn=quiet_session).run()
    return int(result.exit_code), capsys.readouterr().out


def test_the_command_is_told_the_outcome_and_gets_no_secret(
    make_project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    seen = tmp_path / "env.json"
    project = make_project(
        {"max_iterations": 1, "notify": {"command": [sys.executable, "-c", RECORD, str(seen), "0"]}}
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "s" * 90)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "t" * 36)
    code, out = run(project, capsys)
    env = json.loads(seen.read_text())
    assert code == 1 and env["AGENT_HARNESS_OUTCOME"] == "stopped"
    assert env["AGENT_HARNESS_EXIT_CODE"] == "1"
    assert env["AGENT_HARNESS_REASON"].startswith("reached max_iterations (1)")
    assert env["AGENT_HARNESS_PROGRESS"] == "0/1 passing"
    assert env["AGENT_HARNESS_REPORT"] == str(project / ".agent-harness" / "report.html")
    assert Path(env["AGENT_HARNESS_REPORT"]).is_file()
    assert "ANTHROPIC_API_KEY" not in env and "GITHUB_TOKEN" not in env
    assert "notify" not in out


def test_a_failing_command_is_reported_and_the_exit_code_stands(
    make_project, tmp_path: Path, capsys
) -> None:
    project = make_project(
        {"max_iterations": 1,
         "notify": {"command": [sys.executable, "-c", RECORD, str(tmp_path / "e.json"), "3"]}}
    )  # fmt: skip
    code, out = run(project, capsys)
    assert code == 1
    assert "WARNING: the notify command (" in out and "exited 3" in out
