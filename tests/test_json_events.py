"""`agent-harness run --json`: every event as a JSON line on stdout, the human lines on stderr."""

from __future__ import annotations

import json
import subprocess

import pytest

from pytest_agent_harness.cli import main
from pytest_agent_harness.testing import Turn, text, tool_use

KINDS = {"session_start", "tool_call", "denial", "tamper_warning", "session_end", "progress",
         "wait", "stop"}  # fmt: skip


@pytest.mark.e2e
@pytest.mark.slow
def test_a_run_with_a_denial_and_a_tamper_warning_as_json_lines(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        {"max_iterations": 2, "auto_continue_delay": 0.2, "tracking": {"type": "none"},
         "security": {"sandbox": {"enabled": False}, "bash": {"allowed_commands": ["python3"]}}}
    )  # fmt: skip
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    plant = "python3 -c \"open('.git/refs/heads/planted', 'w').write('0' * 40)\""
    use_model(
        scripted_model(
            [
                Turn(tool_use("Bash", {"command": "curl -s https://example.com"})),
                Turn(tool_use("Bash", {"command": plant})),
                Turn(text("Session 1 done.")),
                Turn(text("Session 2 done.")),
            ]
        )
    )
    assert main(["run", "--json", "--project-dir", str(project)]) == 1
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]  # every line parses
    assert all(e["v"] == 1 and isinstance(e["time"], float) for e in events)
    assert {e["kind"] for e in events} >= KINDS, {e["kind"] for e in events}
    denial = next(e for e in events if e["kind"] == "denial")
    assert denial["tool"] == "Bash" and "curl" in denial["reason"]
    tamper = next(e for e in events if e["kind"] == "tamper_warning")
    assert ".git/refs/heads/planted" in tamper["text"]
    assert [e["session"] for e in events if e["kind"] == "session_start"] == [1, 2]
    stop = events[-1]
    assert stop["kind"] == "stop" and stop["exit_code"] == 1
    assert stop["report"].endswith("report.html")
    assert "Session 1  phase: coding" in captured.err  # the human lines, on stderr
    assert "Session 1" not in captured.out
