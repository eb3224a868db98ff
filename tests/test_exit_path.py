"""One exit path: a bug in the harness is one line naming a crash log, exit 2, never a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_agent_harness.cli import main
from pytest_agent_harness.errors import ExitCode
from pytest_agent_harness.run.loop import Runner

pytest_plugins = ["pytester"]


def _explode(*args: object, **kwargs: object) -> object:
    raise RuntimeError("injected bug")


def _crash_log(stderr: str) -> Path:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    match = re.search(
        r"internal error \(RuntimeError: injected bug\); traceback in (\S+);", lines[0]
    )
    assert match, lines[0]
    return Path(match.group(1))


def test_a_bug_in_the_loop_exits_2_with_a_crash_log(
    make_project: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = make_project()
    monkeypatch.setattr(Runner, "_session", _explode)
    assert main(["run", "--project-dir", str(project)]) == ExitCode.AGENT_FAILURE == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    log = _crash_log(err)
    assert log.parent == project / ".agent-harness" / "logs"
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: injected bug" in text and "_session" in text
    # The run lock was released and the state kept: the next run starts at session 2.
    assert not (project / ".agent-harness" / "run.lock").exists()
    assert '"session": 1' in (project / ".agent-harness" / "session.json").read_text()


def test_expected_errors_stay_one_line_without_a_crash_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--project-dir", str(tmp_path)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "agent-harness init" in err
    assert not (tmp_path / ".agent-harness" / "logs").exists()


def test_the_pytest_plugin_reports_a_bug_the_same_way(pytester: pytest.Pytester) -> None:
    harness = pytester.path / ".agent-harness"
    harness.mkdir()
    (harness / "config.toml").write_text(
        "auto_continue_delay = 0\n[security.sandbox]\nenabled = false\n"
        '[tracking]\ntype = "none"\n[[phases]]\nname = "a"\nprompt = "b"\n'
    )
    pytester.makeconftest(
        "from pytest_agent_harness.run.loop import Runner\n\n"
        "def _explode(*args, **kwargs):\n"
        "    raise RuntimeError('injected bug')\n\n"
        "Runner._session = _explode\n"
    )
    result = pytester.runpytest_subprocess("--agent-harness", "--agent-max-iterations", "1")
    assert result.ret == ExitCode.AGENT_FAILURE
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert _crash_log(result.stderr.str()).is_file()
