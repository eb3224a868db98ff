"""The harness's own git runs no program the agent planted, and gets no credentials.

Each attack below worked end to end before: the agent writes inside the project, and the
harness's snapshot and checkpoint (``git add -A``, ``git commit``) later run outside any sandbox
with the API key in the environment. Each test plants one attack, runs a snapshot and a
checkpoint, and checks that the planted program did not run (a marker file outside the project
stays absent); then it removes the one defence that stops it and checks that it does run, which
proves that defence is load-bearing. The agent's own git is read-only by default (last tests).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_agent_harness import gitops
from pytest_agent_harness.errors import GitStateError
from pytest_agent_harness.gitops import hardening, repository
from pytest_agent_harness.security.git import check_git

SECRET = "sk-ant-test-secret-value"
REAL_GIT = shutil.which("git") or "git"
"""The tests' own git (playing the agent or the user) bypasses the logging shim."""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [REAL_GIT, "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def commit_everything(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=U", "-c", "user.email=u@x", "commit", "-qm", message)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with one commit, the API key in the environment, and every git process the
    harness starts logged (its environment) by a ``git`` shim first on PATH."""
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    (project / "README").write_text("hello\n")
    commit_everything(project, "initial")
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "git").write_text(
        f'#!/bin/sh\nenv >> "{tmp_path}/git-env.log"\nexec {REAL_GIT} "$@"\n'
    )
    (shims / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}:{os.environ['PATH']}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    return project


def marker(repo: Path) -> Path:
    """Where a planted program leaves its trace: outside the project."""
    return repo.parent / "pwned"


def plant(repo: Path) -> str:
    """The planted program: a shell command that leaves the marker."""
    return f"touch {marker(repo)}; true"


def session(repo: Path, n: int, guard: gitops.GitGuard | None) -> gitops.Checkpoint:
    """What the harness does around one session: a snapshot, the agent's edit, a checkpoint."""
    start = gitops.snapshot(repo, n, guard=guard)
    (repo / f"src{n}.py").write_text(f"x = {n}\n" * n)
    return gitops.checkpoint(repo, start, f"session {n}", guard=guard)


def without_option(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    options = [option for option in hardening.HARDENING if option[0] != key]
    assert len(options) == len(hardening.HARDENING) - 1
    monkeypatch.setattr(hardening, "HARDENING", options)


def no_secret_reached_git(repo: Path) -> bool:
    log = (repo.parent / "git-env.log").read_text()
    assert "GIT_CONFIG_PARAMETERS=" in log
    return SECRET not in log


# -- top-level config -----------------------------------------------------------------------


def test_fsmonitor_planted_in_the_config_is_refused_and_off(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = gitops.GitGuard.record(repo)
    git(repo, "config", "core.fsmonitor", plant(repo))
    with pytest.raises(GitStateError, match=r"core\.fsmonitor .*--unset-all core\.fsmonitor"):
        session(repo, 1, guard)
    session(repo, 1, None)  # no guard: the -c option alone keeps it off
    assert not marker(repo).exists()
    assert no_secret_reached_git(repo)
    without_option(monkeypatch, "core.fsmonitor")
    session(repo, 2, None)
    assert marker(repo).exists()


def test_clean_filter_planted_in_the_config_is_refused(repo: Path) -> None:
    guard = gitops.GitGuard.record(repo)
    git(repo, "config", "filter.x.clean", f"{plant(repo)}; cat")
    (repo / ".gitattributes").write_text("*.py filter=x\n")
    with pytest.raises(GitStateError, match=r"filter\.x\.clean"):
        session(repo, 1, guard)
    assert not marker(repo).exists()
    session(repo, 1, None)  # the guard is what stops it: without one it runs
    assert marker(repo).exists()


def test_the_users_own_filter_keeps_working(repo: Path) -> None:
    ran = repo.parent / "lfs-ran"
    git(repo, "config", "filter.lfs.clean", f"touch {ran}; cat")
    (repo / ".gitattributes").write_text("*.py filter=lfs\n")
    commit_everything(repo, "attributes")
    guard = gitops.GitGuard.record(repo)
    assert session(repo, 1, guard).commit
    assert ran.exists()
    assert guard.check(repo) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("core.pager", "PLANT"),
        ("core.editor", "PLANT"),
        ("credential.helper", "!PLANT"),
        ("diff.x.textconv", "PLANT"),
        ("merge.x.driver", "PLANT"),
        ("include.path", "../../evil.gitconfig"),
        ("includeIf.gitdir:/.path", "evil"),
        ("gpg.program", "PLANT"),
        ("core.sshCommand", "PLANT"),
        ("sequence.editor", "PLANT"),
        ("alias.st", "!PLANT"),
    ],
)
def test_any_key_that_runs_a_program_added_during_the_run_is_refused(
    repo: Path, key: str, value: str
) -> None:
    guard = gitops.GitGuard.record(repo)
    git(repo, "config", key, value.replace("PLANT", plant(repo)))
    with pytest.raises(GitStateError, match="since the harness last accepted") as caught:
        session(repo, 1, guard)
    assert key.lower().split(".")[0] in str(caught.value).lower()
    assert "\n" not in str(caught.value)
    git(repo, "config", "--unset-all", key)  # undone as the message says: the run goes on
    assert session(repo, 1, guard).commit


def test_pager_editor_and_credential_helper_are_inert(repo: Path) -> None:
    git(repo, "config", "core.pager", plant(repo))
    git(repo, "config", "core.editor", plant(repo))
    git(repo, "config", "credential.helper", f"!{plant(repo)}")
    with repository.open_repo(repo) as handle:
        assert handle.git.var("GIT_PAGER") == "cat"
        assert handle.git.var("GIT_EDITOR") == "true"
        assert "pwned" in handle.git.config("--get-all", "credential.helper")
        assert handle.git.config("--get", "credential.helper") == ""  # empty resets the list
    assert not marker(repo).exists()


# -- hooks ------------------------------------------------------------------------------------


def test_a_hook_planted_during_the_run_is_skipped(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = gitops.GitGuard.record(repo)
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\n{plant(repo)}\n")
    hook.chmod(0o755)
    assert session(repo, 1, guard).commit
    assert not marker(repo).exists()
    assert any("hooks" in w and "changed" in w for w in guard.take_warnings())
    without_option(monkeypatch, "core.hooksPath")
    session(repo, 2, None)
    assert marker(repo).exists()


def test_the_users_own_hooks_run_without_secrets(repo: Path) -> None:
    seen = repo.parent / "hook-env"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nenv > {seen}\n")
    hook.chmod(0o755)
    guard = gitops.GitGuard.record(repo)
    assert session(repo, 1, guard).commit
    assert seen.exists()
    assert SECRET not in seen.read_text()
    assert guard.take_warnings() == []


def test_hooks_path_planted_during_the_run_is_refused_and_overridden(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = gitops.GitGuard.record(repo)
    hooks = repo / "evil-hooks"
    hooks.mkdir()
    (hooks / "pre-commit").write_text(f"#!/bin/sh\n{plant(repo)}\n")
    (hooks / "pre-commit").chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    with pytest.raises(GitStateError, match=r"core\.hooks[pP]ath"):
        session(repo, 1, guard)
    session(repo, 1, None)  # no guard: the -c core.hooksPath still wins
    assert not marker(repo).exists()
    without_option(monkeypatch, "core.hooksPath")
    session(repo, 2, None)
    assert marker(repo).exists()


# -- nested repositories ------------------------------------------------------------------------


def test_fsmonitor_in_a_submodule_the_user_had_is_off(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reported attack, after its first step: `sub` (a copy of .git) is a gitlink in HEAD.
    (repo / "sub").mkdir()
    shutil.copytree(repo / ".git", repo / "sub" / ".git")
    git(repo, "add", "sub")
    commit_everything(repo, "the gitlink the old harness committed")
    guard = gitops.GitGuard.record(repo)
    with (repo / "sub" / ".git" / "config").open("a") as config:
        config.write(f'[core]\n\tfsmonitor = "{plant(repo)}"\n')
    session(repo, 1, guard)
    assert not marker(repo).exists()
    assert no_secret_reached_git(repo)
    without_option(monkeypatch, "core.fsmonitor")
    session(repo, 2, guard)
    assert marker(repo).exists()


def make_nested_repository(repo: Path, name: str = "sub") -> Path:
    """What the agent does: a repository inside the project, with a clean filter in its config
    (which no -c option of the harness turns off) applying to its files."""
    sub = repo / name
    sub.mkdir()
    git(sub, "init", "-q")
    (sub / "f.txt").write_text("one\n")
    commit_everything(sub, "nested")
    (sub / ".gitattributes").write_text("* filter=x\n")
    git(sub, "config", "filter.x.clean", f"{plant(repo)}; cat")
    return sub


def nested_attack(repo: Path, guard: gitops.GitGuard, name: str, n: int) -> gitops.Checkpoint:
    """Session n makes a nested repository; session n+1 edits a file in it."""
    start = gitops.snapshot(repo, n, guard=guard)
    sub = make_nested_repository(repo, name)
    first = gitops.checkpoint(repo, start, f"session {n}", guard=guard)
    start = gitops.snapshot(repo, n + 1, guard=guard)
    (sub / "f.txt").write_text("edited, longer\n")
    gitops.checkpoint(repo, start, f"session {n + 1}", guard=guard)
    return first


def test_a_nested_repository_made_during_the_run_is_never_added(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = gitops.GitGuard.record(repo)
    assert nested_attack(repo, guard, "sub", 1).commit is None
    assert not marker(repo).exists()
    assert git(repo, "ls-tree", "HEAD", "sub") == ""
    assert gitops.commit_paths(repo, ["sub"], "asked outright").commit is None
    assert git(repo, "ls-files", "-s", "sub") == ""  # the user's index is untouched
    # Without the gitlink filter, the first checkpoint adds it and the next enters it.
    monkeypatch.setattr(repository, "drop_new_gitlinks", lambda repo, env: [])
    monkeypatch.setattr(gitops, "without_nested_repositories", lambda repo, root, paths: paths)
    assert nested_attack(repo, guard, "sub2", 3).paths == ("sub2",)
    assert marker(repo).exists()


def test_a_gitlink_the_agent_staged_is_neither_entered_nor_committed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def staged_nested_repository(name: str, n: int) -> None:
        sub = make_nested_repository(repo, name)
        git(repo, "add", name)  # the agent, allowed to write, staged its repository
        (sub / "f.txt").write_text("two\n")  # same size: git must hash it, through the filter
        session(repo, n, guard)

    guard = gitops.GitGuard.record(repo)
    staged_nested_repository("sub", 1)
    assert not marker(repo).exists()
    assert git(repo, "ls-tree", "HEAD", "sub") == ""
    # Taking staged gitlinks out of the throwaway index before `add -A` is what keeps it out.
    real, calls = repository.drop_new_gitlinks, []

    def only_after_add(handle: object, env: dict[str, str]) -> list[str]:
        calls.append(env)
        return real(handle, env) if len(calls) % 2 == 0 else []  # type: ignore[arg-type]

    monkeypatch.setattr(repository, "drop_new_gitlinks", only_after_add)
    staged_nested_repository("sub2", 2)
    assert marker(repo).exists()


# -- credentials --------------------------------------------------------------------------------


def test_no_credential_reaches_any_git_process(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    guard = gitops.GitGuard.record(repo)
    session(repo, 1, guard)
    gitops.recover(repo, 1, "recovered", guard=guard)
    assert no_secret_reached_git(repo)
    monkeypatch.setattr(hardening, "_is_unsafe", lambda name: False)
    session(repo, 2, guard)
    assert not no_secret_reached_git(repo)


# -- the agent's git: read-only unless the project opts in -------------------------------------

READS = [
    "status", "diff HEAD", "log --oneline -3", "show HEAD", "blame README", "grep x",
    "ls-files", "ls-tree HEAD", "cat-file -p HEAD", "rev-parse HEAD", "describe", "shortlog",
    "branch", "branch -a", "branch -vv", "branch --list f*", "branch --contains HEAD", "tag",
    "tag -l v*", "reflog", "reflog show", "config --get user.name", "config --list",
    "remote -v", "whatchanged", "stash list", "stash show", "notes", "worktree list",
]  # fmt: skip
WRITES = [
    "add a", "commit -m x", "branch new", "branch -d x", "branch -m a b", "switch main",
    "stash", "stash push", "stash pop", "merge x", "reset", "reset HEAD", "tag v1",
    "tag -a v1 -m x", "notes add", "rm a", "mv a b", "apply p", "am p", "cherry-pick x",
    "revert x", "worktree add x", "init", "fetch", "pull", "push", "gc", "format-patch -1",
    "bisect start", "submodule update", "-C . commit -m x",
]  # fmt: skip
DENIED_EITHER_WAY = ["checkout main", "rebase x", "restore a", "update-ref a b", "clean -f"]


@pytest.mark.parametrize("command", READS)
def test_read_only_git_allows_reads(command: str, tmp_path: Path) -> None:
    assert check_git(["git", *command.split()], tmp_path, writes=False).allowed


@pytest.mark.parametrize("command", WRITES)
def test_read_only_git_denies_writes_and_says_how_to_opt_in(command: str, tmp_path: Path) -> None:
    decision = check_git(["git", *command.split()], tmp_path, writes=False)
    assert not decision.allowed
    assert "harness commits" in decision.reason
    assert "agent_writes = true" in decision.reason
    assert check_git(["git", *command.split()], tmp_path, writes=True).allowed


@pytest.mark.parametrize("command", DENIED_EITHER_WAY)
def test_destructive_git_stays_denied_in_both_modes(command: str, tmp_path: Path) -> None:
    for writes in (False, True):
        assert not check_git(["git", *command.split()], tmp_path, writes=writes).allowed
