"""What a checkpoint commits: what the session's agent changed, never a file the user is
writing meanwhile (`agent-harness run > run.log`, `| tee run.log`)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import harness_env, passing_checklist

from pytest_agent_harness.testing import Delay, Turn, text, tool_use

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *args], capture_output=True, text=True, check=True
    ).stdout


def test_output_redirected_into_the_project_is_never_committed(
    make_project, scripted_model, tmp_path: Path
) -> None:
    project = make_project()
    (project / "notes.md").write_text("the user's notes, untracked\n")
    features = project / "feature_list.json"
    model = scripted_model(
        [
            Turn(
                tool_use("Write", {"file_path": str(features), "content": passing_checklist(project)}),
                tool_use("Write", {"file_path": str(project / "notes.md"), "content": "agent\n"}),
                tool_use("Write", {"file_path": str(project / "src" / "new.py"), "content": "x = 1\n"}),
            ),
            Turn(text("Done.")),
        ]
    )  # fmt: skip
    log = project / "run.log"
    with log.open("w") as out:  # `agent-harness run > run.log` from the project folder
        done = subprocess.run(
            [sys.executable, "-m", "pytest_agent_harness", "run", "--project-dir", str(project)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=harness_env(model, tmp_path),
            timeout=180,
        )
    output = log.read_text()
    assert done.returncode == 0, output
    committed = git(project, "log", "-1", "--name-only", "--format=").split()
    # Written by the agent's file tools, new or not: committed. The log: never.
    assert sorted(committed) == ["feature_list.json", "notes.md", "src/new.py"], committed
    assert "run.log" in git(project, "status", "--porcelain", "--untracked-files=all")
    assert "Committed " in output and "3 file(s): feature_list.json, notes.md, src/new.py" in output
    assert "Not committed (not the agent's: untracked before the session, or made outside its tool calls): " \
        "1 file(s): run.log" in output  # fmt: skip


def commit_as_it_is(project: Path) -> None:
    """The project as a repository with one commit: the user's, before any run."""
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "-c", "user.name=U", "-c", "user.email=u@e", "commit", "-qm", "the project")


def run(project: Path, model, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`agent-harness run` on the project, through the real CLI and ``model``."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_agent_harness", "run", "--project-dir", str(project)],
        capture_output=True,
        text=True,
        env=harness_env(model, tmp_path),
        timeout=180,
    )


def one_session(project: Path, command: str, scripted_model, tmp_path: Path) -> list[str]:
    """Commit the project as it is, run one session that runs ``command`` in Bash and writes
    the checklist, and return what its checkpoint recorded (``git show --name-status``)."""
    commit_as_it_is(project)
    features = project / "feature_list.json"
    model = scripted_model(
        [
            Turn(
                tool_use("Bash", {"command": command}),
                tool_use("Write", {"file_path": str(features), "content": passing_checklist(project)}),
            ),
            Turn(text("Done.")),
        ]
    )  # fmt: skip
    done = run(project, model, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checkpoint commit failed" not in done.stdout, done.stdout
    assert git(project, "status", "--porcelain") == ""
    changes = git(project, "show", "--name-status", "--format=", "-M", "HEAD").split("\n")
    return sorted(c for c in changes if c)


def test_deletions_and_renames_by_git_rm_and_git_mv_are_one_checkpoint(
    make_project, scripted_model, tmp_path: Path
) -> None:
    project = make_project(
        {
            "security": {
                "bash": {"allowed_commands": ["git", "rm", "mv"]},
                "git": {"agent_writes": True},
            }
        },
        files={"a.txt": "a\n", "b.txt": "b\n"},
    )
    changes = one_session(
        project, "git rm -q a.txt && git mv b.txt c.txt", scripted_model, tmp_path
    )
    assert changes == ["D\ta.txt", "M\tfeature_list.json", "R100\tb.txt\tc.txt"], changes


def test_plain_rm_mv_and_a_directory_rename_are_committed(
    make_project, scripted_model, tmp_path: Path
) -> None:
    project = make_project(
        {"security": {"bash": {"allowed_commands": ["rm", "mv"]}}},
        files={"a.txt": "a\n", "b.txt": "b\n", "pkg/one.py": "1\n", "pkg/two.py": "2\n"},
    )
    command = "rm a.txt && mv b.txt c.txt && mv pkg lib"
    changes = one_session(project, command, scripted_model, tmp_path)
    assert changes == [
        "D\ta.txt",
        "M\tfeature_list.json",
        "R100\tb.txt\tc.txt",
        "R100\tpkg/one.py\tlib/one.py",
        "R100\tpkg/two.py\tlib/two.py",
    ], changes


def test_work_a_failed_checkpoint_left_is_committed_by_the_next(
    make_project, scripted_model, tmp_path: Path
) -> None:
    project = make_project({"security": {"bash": {"allowed_commands": ["rm"]}}})
    commit_as_it_is(project)
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\ntest ! -e BLOCK || { echo 'BLOCK is here' >&2; exit 1; }\n")
    hook.chmod(0o755)
    features = project / "feature_list.json"

    def write(name: str, content: str = "x\n") -> dict:
        return tool_use("Write", {"file_path": str(project / name), "content": content})

    model = scripted_model(
        [
            Turn(write("first.py"), write("BLOCK")),  # the user's hook refuses this checkpoint
            Turn(text("Session 1 done.")),
            Turn(tool_use("Bash", {"command": "rm BLOCK"}), write("second.py"),
                 write("feature_list.json", passing_checklist(project))),
            Turn(text("Session 2 done.")),
        ]
    )  # fmt: skip
    done = run(project, model, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checkpoint commit failed (BLOCK is here); the work is kept" in done.stdout, done.stdout
    assert features.exists()
    # Session 1's file, which its own checkpoint could not commit, is in session 2's.
    committed = git(project, "show", "--name-only", "--format=%s", "HEAD").split("\n")
    assert committed[0].startswith("agent-harness: session 2"), done.stdout
    assert sorted(c for c in committed[1:] if c) == [
        "feature_list.json", "first.py", "second.py"
    ], committed  # fmt: skip
    assert git(project, "status", "--porcelain") == ""


def test_a_file_made_between_the_agents_tool_calls_is_not_committed(
    make_project, scripted_model, tmp_path: Path
) -> None:
    project = make_project({"security": {"bash": {"allowed_commands": ["echo"]}}})
    commit_as_it_is(project)
    features = project / "feature_list.json"
    model = scripted_model(
        [
            Turn(
                tool_use("Bash", {"command": "echo made > made.txt"}),
                tool_use("Write", {"file_path": str(features), "content": passing_checklist(project)}),
            ),
            Delay(4.0, Turn(text("Done."))),  # the model thinks; the person works meanwhile
        ]
    )  # fmt: skip

    def the_person() -> None:
        while len(model.requests) < 2:
            time.sleep(0.05)
        time.sleep(2.0)  # well after the tool calls' results came back
        (project / "notes.txt").write_text("the person's notes, made during the session\n")

    person = threading.Thread(target=the_person, daemon=True)
    person.start()
    done = run(project, model, tmp_path)
    person.join(timeout=5)
    assert done.returncode == 0, done.stdout + done.stderr
    committed = git(project, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == ["feature_list.json", "made.txt"], done.stdout
    assert "made outside its tool calls): 1 file(s): notes.txt" in done.stdout
    assert "?? notes.txt" in git(project, "status", "--porcelain")
