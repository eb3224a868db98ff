"""A whole run through the real bundled Claude Code CLI against the scripted model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from two_phase import demo_script, write_project

from pytest_agent_harness.cli import main
from pytest_agent_harness.testing import Turn, text, tool_use

pytestmark = pytest.mark.e2e


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    write_project(project)
    return project


@pytest.fixture
def model_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point the harness's CLI at a scripted model, with HOME and the config dir isolated."""

    def start(model):
        env = model.env(config_dir=tmp_path / "claude-config", home=tmp_path / "home")
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("CLAUDE_CODE_OAUTH_TOKEN", raising=False)
        return model

    return start


@pytest.mark.slow
def test_two_phase_run_completes_through_real_tool_calls(
    project: Path, scripted_model, model_env, capsys: pytest.CaptureFixture[str]
) -> None:
    model = model_env(scripted_model(demo_script(project)))

    code = main(["run", "--project-dir", str(project)])

    out = capsys.readouterr().out
    assert code == 0, out
    features = json.loads((project / "feature_list.json").read_text())
    assert [item["passes"] for item in features] == [True, True]
    assert (project / "greet.py").exists()
    assert "COMPLETE: complete" in out
    assert "Progress: 2/2 passing" in out
    assert "Try it: python3 greet.py World" in out  # post_run_instructions

    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["session"] == 2
    assert state["completed_phases"] == ["initializer"]
    ledger = [
        json.loads(line)
        for line in (project / ".agent-harness" / "ledger.jsonl").read_text().splitlines()
    ]
    assert [(e["session"], e["phase"], e["outcome"]) for e in ledger] == [
        (1, "initializer", "ok"),
        (2, "coding", "ok"),
    ]
    assert ledger[0]["progress_after"] == "0/2 passing"
    assert ledger[1]["progress_after"] == "2/2 passing"
    assert all(e["model"] for e in ledger)

    # The Bash check really ran: its output came back to the model as a tool result.
    results = [r for request in model.requests for r in request.tool_results]
    assert any("Hello, World!" in r["content"] for r in results)
    assert model.remaining == []


@pytest.mark.slow
def test_resume_after_completion_runs_no_session(
    project: Path, scripted_model, model_env, capsys: pytest.CaptureFixture[str]
) -> None:
    model_env(scripted_model(demo_script(project)))
    assert main(["run", "--project-dir", str(project)]) == 0
    capsys.readouterr()

    assert main(["run", "--project-dir", str(project)]) == 0
    out = capsys.readouterr().out
    assert "Session 3" not in out
    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["session"] == 2


@pytest.mark.slow
def test_max_iterations_stops_incomplete(
    project: Path, scripted_model, model_env, capsys: pytest.CaptureFixture[str]
) -> None:
    model_env(scripted_model(demo_script(project)))

    code = main(["run", "--project-dir", str(project), "--max-iterations", "1"])

    out = capsys.readouterr().out
    assert code == 1, out
    assert "reached max_iterations (1)" in out
    assert (project / "feature_list.json").exists()
    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["session"] == 1
    assert state["completed_phases"] == ["initializer"]


@pytest.mark.slow
def test_transcript_records_the_session_and_redacts_credentials(
    make_project,
    scripted_model,
    use_model,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = make_project({"tracking": {"type": "none"}})
    secret = "sk-ant-api03-" + "S" * 60
    model = scripted_model(
        [Turn(tool_use("Bash", {"command": "echo key=$ANTHROPIC_API_KEY"})), Turn(text("ok"))]
    )
    use_model(model)
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)

    assert main(["run", "--project-dir", str(project), "--max-iterations", "1"]) == 1

    log = project / ".agent-harness" / "logs" / "session-001.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "init" and "tool_call" in kinds and kinds[-1] == "result"
    result = next(r for r in records if r["kind"] == "tool_result")
    assert "key=[REDACTED]" in result["text"]  # the agent printed it; the log must not keep it
    assert secret not in log.read_text()
    out = capsys.readouterr().out
    assert "\x1b" not in out  # plain lines for CI logs


@pytest.mark.slow
def test_runtime_files_stay_out_of_git(
    project: Path, scripted_model, model_env, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    model_env(scripted_model(demo_script(project)))
    assert main(["run", "--project-dir", str(project)]) == 0
    status = subprocess.run(
        ["git", "-C", str(project), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    harness_files = [line for line in status.splitlines() if ".agent-harness/" in line]
    assert all(
        line.split()[-1].startswith(
            (
                ".agent-harness/config.toml",
                ".agent-harness/prompts/",
                ".agent-harness/.gitignore",
                ".agent-harness/baseline.json",
            )
        )
        for line in harness_files
    ), harness_files


@pytest.mark.slow
def test_corrupt_state_is_reported_and_the_run_resumes(
    project: Path, scripted_model, model_env, capsys: pytest.CaptureFixture[str]
) -> None:
    model_env(scripted_model(demo_script(project)))
    assert main(["run", "--project-dir", str(project), "--max-iterations", "1"]) == 1
    state = project / ".agent-harness" / "session.json"
    state.write_text('{"version": 1, "session": ')  # torn by hand
    capsys.readouterr()

    assert main(["run", "--project-dir", str(project)]) == 0

    out = capsys.readouterr().out
    assert "WARNING:" in out and "rebuilt from ledger.jsonl" in out
    assert "Session 2" in out
    assert list((project / ".agent-harness").glob("session.json.corrupt-*"))


def test_a_second_run_on_the_same_project_exits_4(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (project / ".agent-harness" / "run.lock").write_text(f"{holder.pid}\n")
        assert main(["run", "--project-dir", str(project)]) == 4
        assert f"(PID {holder.pid})" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
