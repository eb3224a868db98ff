"""The agent-harness command line: help, exit codes, init, verify, and config errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agent_harness.cli import main

GOOD_TOKEN = "sk-ant-oat01-" + "a" * 80


def test_help_lists_commands_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("init", "verify", "run", "demo", "130"):
        assert word in out


def test_console_script_and_module_agree() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pytest_agent_harness", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("agent-harness ")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 4
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["before", "after"])
def test_project_dir_before_or_after_the_subcommand(tmp_path: Path, where: str) -> None:
    args = ["--project-dir", str(tmp_path)]
    argv = [*args, "init"] if where == "before" else ["init", *args]
    assert main(argv) == 0
    assert (tmp_path / ".agent-harness" / "config.toml").exists()


def test_harness_dir_option_places_the_config(tmp_path: Path) -> None:
    harness = tmp_path / "elsewhere"
    assert main(["init", "--project-dir", str(tmp_path), "--harness-dir", str(harness)]) == 0
    assert (harness / "config.toml").exists()
    assert not (tmp_path / ".agent-harness").exists()


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    config = tmp_path / ".agent-harness" / "config.toml"
    config.write_text("# mine\n" + config.read_text())
    assert main(["init", "--project-dir", str(tmp_path)]) == 4
    assert "exists" in capsys.readouterr().err
    assert config.read_text().startswith("# mine")


def test_typo_in_config_exits_4_with_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    config = tmp_path / ".agent-harness" / "config.toml"
    config.write_text("max_turn = 10\n" + config.read_text())
    assert main(["run", "--project-dir", str(tmp_path)]) == 4
    err = capsys.readouterr().err
    assert "max_turn" in err and "max_turns" in err and "config.toml" in err
    assert "Traceback" not in err


def test_run_without_config_explains_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--project-dir", str(tmp_path)]) == 4
    assert "agent-harness init" in capsys.readouterr().err


def test_bad_max_iterations_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--max-iterations", "0"]) == 4
    assert "at least 1" in capsys.readouterr().err


def _verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, str]:
    for key in ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(["verify", "--project-dir", str(tmp_path)])
    return code, ""


def test_verify_passes_on_a_scaffolded_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    code, _ = _verify(tmp_path, monkeypatch, CLAUDE_CODE_OAUTH_TOKEN=GOOD_TOKEN)
    out = capsys.readouterr().out
    assert code == 0, out
    for name in ("python", "claude-agent-sdk", "Claude Code CLI", "credentials", "config", "git"):
        assert f"PASS  {name}" in out
    assert "WARN  evidence: feature_list.json's passes flags are the agent's word" in out
    assert GOOD_TOKEN not in out


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("sk-ant-oat01-" + "a" * 40 + "\n" + "b" * 40, "whitespace"),
        ("sk-ant-oat01-short", "truncated"),
    ],
)
def test_verify_reports_a_malformed_token_without_printing_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str,
    fragment: str,
) -> None:
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    code, _ = _verify(tmp_path, monkeypatch, CLAUDE_CODE_OAUTH_TOKEN=token)
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  credentials" in out and fragment in out
    assert token.split()[0] not in out and "sk-ant" not in out


def test_verify_fails_without_credentials_or_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _verify(tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  credentials" in out and "FAIL  config" in out
    assert "WARN  git" in out


def test_verify_fails_for_a_missing_mcp_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    config = tmp_path / ".agent-harness" / "config.toml"
    config.write_text(
        config.read_text() + '\n[tools.mcp_servers.browser]\ncommand = "no-such-mcp-binary-xyz"\n'
    )
    capsys.readouterr()
    code, _ = _verify(tmp_path, monkeypatch, ANTHROPIC_API_KEY="sk-ant-api03-" + "k" * 90)
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  mcp browser" in out and "no-such-mcp-binary-xyz" in out


@pytest.mark.e2e
def test_verify_live_makes_one_round_trip(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scripted_model,
) -> None:
    from pytest_agent_harness.testing import Turn, text

    model = scripted_model([Turn(text("OK"))], model_name="scripted-live-model")
    for key, value in model.env(tmp_path / "claude", tmp_path / "home").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "k" * 90)
    project = tmp_path / "p"
    assert main(["init", "--project-dir", str(project)]) == 0
    capsys.readouterr()
    assert main(["verify", "--live", "--project-dir", str(project)]) == 0
    out = capsys.readouterr().out
    assert "PASS  live API: model " in out
    assert len(model.requests) == 1
    assert model.requests[0].last_user_text.startswith("Reply with the single word OK")


def test_verify_names_code_runners_and_the_sandbox_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    _verify(tmp_path, monkeypatch, ANTHROPIC_API_KEY="sk-ant-api03-" + "k" * 90)
    out = capsys.readouterr().out
    # The wrappers the policy checks through (env, nice, nohup, timeout) are not named.
    assert "WARN  bash allowlist: git, pytest, python3 can run arbitrary code" in out
    assert "sandbox:" in out


def test_verify_takes_a_gateways_credential_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://llm-gateway.example.corp/anthropic")
    _verify(tmp_path, monkeypatch, ANTHROPIC_AUTH_TOKEN="gw-123")
    out = capsys.readouterr().out
    assert "PASS  credentials: ANTHROPIC_AUTH_TOKEN is set for llm-gateway.example.corp " in out
    assert "gw-123" not in out
    monkeypatch.delenv("ANTHROPIC_BASE_URL")
    _verify(tmp_path, monkeypatch, ANTHROPIC_API_KEY="sk-short")
    assert "FAIL  credentials: ANTHROPIC_API_KEY is malformed" in capsys.readouterr().out


def test_verify_warns_on_the_placeholder_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    _verify(tmp_path, monkeypatch, CLAUDE_CODE_OAUTH_TOKEN=GOOD_TOKEN)
    spec = tmp_path / ".agent-harness" / "prompts" / "app_spec.txt"
    assert f"WARN  spec: {spec} is still the placeholder `init` wrote" in capsys.readouterr().out
    spec.write_text("A command-line word counter in Python.\n")
    _verify(tmp_path, monkeypatch, CLAUDE_CODE_OAUTH_TOKEN=GOOD_TOKEN)
    assert "spec:" not in capsys.readouterr().out


def test_verify_live_offline_answers_at_once_and_skips_after_bad_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    with socket.socket() as probe:  # a port nothing listens on: the API is unreachable
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    capsys.readouterr()
    for key in ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "k" * 90)
    assert main(["verify", "--live", "--project-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  live API: cannot reach 127.0.0.1:{port}: Connection refused" in out

    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert main(["verify", "--live", "--project-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "SKIP  live API: the credentials check failed" in out
    assert out.rstrip().endswith("1 skipped")


def test_verify_warns_when_no_cost_cap_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert main(["init", "--project-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    _verify(tmp_path, monkeypatch, CLAUDE_CODE_OAUTH_TOKEN=GOOD_TOKEN)
    assert "PASS  budget: $10, 8h, 50 sessions" in capsys.readouterr().out  # what init writes

    config = tmp_path / ".agent-harness" / "config.toml"
    text = config.read_text()
    config.write_text(text.replace("max_cost_usd = 10.0\n", ""))
    _verify(tmp_path, monkeypatch, CLAUDE_CODE_OAUTH_TOKEN=GOOD_TOKEN)
    assert "WARN  budget: no budget.max_cost_usd: a run can spend without limit" in (
        capsys.readouterr().out
    )


def test_a_misspelt_command_gets_a_suggestion_and_V_prints_the_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--project-dir", "/tmp", "stauts"]) == 4
    err = capsys.readouterr().err
    assert "unknown command 'stauts'; did you mean 'status'?" in err
    assert main(["frobnicate"]) == 4
    assert "unknown command 'frobnicate' (commands: init, verify, run" in capsys.readouterr().err
    assert main(["-V"]) == 0
    assert capsys.readouterr().out.startswith("agent-harness ")


@pytest.mark.parametrize("command", ["init", "verify", "run", "status"])
def test_a_project_dir_that_is_a_file_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("not a project\n")
    assert main([command, "--project-dir", str(afile)]) == 4
    err = capsys.readouterr().err
    assert f"--project-dir {afile} is a file; give the project's folder" in err
    assert "permissions" not in err and "internal error" not in err
