"""The README's first command: `agent-harness demo` runs a whole project offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_runs_to_completion_in_a_subprocess(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),  # the demo must not need or touch the user's home
        "LANG": "C.UTF-8",
    }
    (tmp_path / "home").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest_agent_harness", "demo", "--project-dir", str(project)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "COMPLETE: complete" in out
    assert "Progress: 9/9 passing" in out
    assert "> Bash: python3 -m pytest -q tests" in out
    assert "x denied Bash: 'curl' is not in the allowed commands" in out
    # The strength gate is on in the example: the merged tests are accepted, and shown mapped.
    assert "textstats/__init__.py  100% -> 100%  100% -> 100%" in out, out
    assert "Strength gate: passes (baseline -> now)" in out
    assert (
        "renamed: tests/test_textstats.py::TestTopWords::test_most_common_first -> "
        "tests/test_textstats.py::test_top_words[b a b c b a-2-expected0]"
    ) in out
    migrated = (project / "tests" / "test_textstats.py").read_text()
    assert "unittest" not in migrated and "pytest.raises" in migrated
    log = subprocess.run(
        ["git", "-C", str(project), "log", "--format=%s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert log[0] == "agent-harness: session 1 (migrate): 9/9 passing"
    assert (
        subprocess.run(
            ["git", "-C", str(project), "status", "--porcelain"], capture_output=True, text=True
        ).stdout
        == ""
    )
    assert list((tmp_path / "home").iterdir()) == []


def test_demo_refuses_a_project_that_has_a_config(tmp_path: Path) -> None:
    from pytest_agent_harness.cli import main

    (tmp_path / ".agent-harness").mkdir()
    (tmp_path / ".agent-harness" / "config.toml").write_text("# mine\n")
    assert main(["demo", "--project-dir", str(tmp_path)]) == 4
    assert (tmp_path / ".agent-harness" / "config.toml").read_text() == "# mine\n"


def test_without_bwrap_the_demo_says_so_and_still_completes(tmp_path: Path) -> None:
    """The README's first command on a machine with no bubblewrap: the demo's scripted agent
    runs unsandboxed, loudly, where a real run would stop (exit 2)."""
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "bash", "sh", "env", "cat", "ls", "mkdir", "uname", "grep", "head"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    (bin_dir / "python3").symlink_to(sys.executable)
    (tmp_path / "home").mkdir()
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_agent_harness",
            "demo",
            "--project-dir",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bwrap and socat not installed: the demo runs its scripted agent without" in done.stdout
    assert "the OS sandbox is OFF" in done.stdout
    assert "COMPLETE: complete" in done.stdout
