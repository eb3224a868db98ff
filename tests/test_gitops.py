"""Preflight, safety snapshots and checkpoint commits on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_agent_harness import gitops
from pytest_agent_harness.errors import GitStateError


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.name", "Someone")
    git(tmp_path, "config", "user.email", "someone@example.invalid")
    (tmp_path / "README").write_text("hello\n")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-qm", "initial")
    return tmp_path


def test_preflight_initialises_a_plain_directory(tmp_path: Path) -> None:
    result = gitops.preflight(tmp_path)
    assert result.initialized
    assert (tmp_path / ".git").is_dir()
    assert "initialised" in result.messages[0]


def test_preflight_refuses_a_repository_mid_merge(repo: Path) -> None:
    (repo / ".git" / "MERGE_HEAD").write_text(git(repo, "rev-parse", "HEAD") + "\n")
    with pytest.raises(GitStateError, match="merge"):
        gitops.preflight(repo)


def test_preflight_reports_a_detached_head(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    result = gitops.preflight(repo)
    assert result.branch is None
    assert any("detached" in m for m in result.messages)


def test_snapshot_holds_untracked_files_and_touches_nothing(repo: Path) -> None:
    (repo / "notes.txt").write_text("untracked work\n")
    (repo / "README").write_text("edited, not staged\n")
    status_before = git(repo, "status", "--porcelain")

    commit = gitops.snapshot(repo, 1)

    assert git(repo, "status", "--porcelain") == status_before
    assert git(repo, "show", f"{commit}:notes.txt") == "untracked work"
    assert git(repo, "show", f"{commit}:README") == "edited, not staged"
    assert gitops.snapshot_refs(repo) == {"refs/agent-harness/session-1/start": commit}
    assert git(repo, "log", "-1", "--format=%s") == "initial"  # no commit on the branch


def test_checkpoint_commits_only_what_the_session_changed(repo: Path) -> None:
    (repo / "mine.txt").write_text("the user's own untracked file\n")
    start = gitops.snapshot(repo, 1)
    (repo / "src.py").write_text("x = 1\n")
    (repo / "README").write_text("changed by the agent\n")

    result = gitops.checkpoint(repo, start, "agent-harness: session 1 (coding): 1/2 passing")

    assert sorted(result.paths) == ["README", "src.py"]
    assert git(repo, "log", "-1", "--format=%an <%ae>|%s") == (
        "agent-harness <agent-harness@localhost>|agent-harness: session 1 (coding): 1/2 passing"
    )
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["README", "src.py"]
    assert git(repo, "status", "--porcelain") == "?? mine.txt"


def test_checkpoint_without_changes_makes_no_commit(repo: Path) -> None:
    start = gitops.snapshot(repo, 1)
    assert gitops.checkpoint(repo, start, "nothing").commit is None
    assert git(repo, "rev-list", "--count", "HEAD") == "1"


def test_checkpoint_respects_gitignore_and_odd_names(repo: Path) -> None:
    (repo / ".gitignore").write_text("build/\n")
    start = gitops.snapshot(repo, 1)
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_text("artifact")
    (repo / "*").write_text("a file literally named star")
    result = gitops.checkpoint(repo, start, "m")
    assert list(result.paths) == ["*"]  # build/ is ignored


def test_a_failing_commit_hook_is_reported_not_raised(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'lint failed' >&2\nexit 1\n")
    hook.chmod(0o755)
    guard = gitops.GitGuard.record(repo)  # the user's hooks, as the run found them, run
    start = gitops.snapshot(repo, 1, guard=guard)
    (repo / "src.py").write_text("x = 1\n")
    result = gitops.checkpoint(repo, start, "m", guard=guard)
    assert result.commit is None
    assert result.error
    assert (repo / "src.py").read_text() == "x = 1\n"  # the work is still there


def test_no_git_processes_are_left_running(repo: Path) -> None:
    start = gitops.snapshot(repo, 1)
    (repo / "a").write_text("a")
    gitops.checkpoint(repo, start, "m")
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(repo) not in out
    assert "git cat-file" not in out


def test_recover_commits_what_a_killed_session_left_and_nothing_else(repo: Path) -> None:
    (repo / "users-own.txt").write_text("not the agent's\n")
    gitops.snapshot(repo, 1)
    (repo / "a.py").write_text("a = 1\n")
    (repo / "b.py").write_text("b = 1\n")
    gitops.commit_paths(repo, ["a.py"], "checkpointed before the kill")  # then killed
    result = gitops.recover(repo, 1, "recovered")
    assert result.paths == ("b.py",)
    assert git(repo, "log", "-1", "--format=%s") == "recovered"
    assert "users-own.txt" in git(repo, "status", "--porcelain")  # the user's file stays untracked
    assert gitops.recover(repo, 2, "no such session").commit is None


def test_snapshot_with_a_staged_deletion_records_the_working_tree(repo: Path) -> None:
    # The throwaway index starts from the user's, whatever is staged there.
    git(repo, "rm", "-q", "--cached", "README")
    (repo / "new.txt").write_text("new\n")
    commit = gitops.snapshot(repo, 1)
    assert git(repo, "ls-tree", "--name-only", commit).split() == ["README", "new.txt"]
    assert git(repo, "status", "--porcelain").splitlines() == [
        "D  README",
        "?? README",
        "?? new.txt",
    ]


def test_preflight_removes_locks_a_killed_git_command_left(repo: Path) -> None:
    (repo / ".git" / "index.lock").write_text("")
    (repo / ".git" / "refs" / "heads" / "main.lock").write_text("")
    result = gitops.preflight(repo)
    assert any("index.lock, refs/heads/main.lock" in m for m in result.messages)
    (repo / "a.txt").write_text("a\n")
    assert gitops.commit_paths(repo, ["a.txt"], "commits again").error == ""


def test_preflight_keeps_locks_while_git_runs_in_the_repository(repo: Path) -> None:
    (repo / ".git" / "index.lock").write_text("")
    # A git process whose working directory is the repository (here: one waiting on stdin).
    with subprocess.Popen(
        ["git", "hash-object", "--stdin"], cwd=repo, stdin=subprocess.PIPE
    ) as busy:
        result = gitops.preflight(repo)
        busy.communicate(b"x")
    assert (repo / ".git" / "index.lock").exists()
    assert any("a git command is running there" in m for m in result.messages)
