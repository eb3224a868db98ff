"""Branches and worktrees for a parallel run: each worker's worktree on a branch of its own,
merged back into the run's branch with a real merge commit (never forced, never rewritten),
and taken back with a revert commit when the merged tree says the unit broke something.

Every git process is hardened and runs the accepted hooks only (``open_repo``, ``hooks_for``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .guard import GitGuard
from .repository import GitCommandError, git_error, hooks_for, identity, open_repo, prefix_of

BRANCH_PREFIX = "agent-harness/"


@dataclass(frozen=True)
class Merge:
    commit: str | None
    """The merge commit; None when the merge did not happen."""
    conflicts: tuple[str, ...] = ()
    error: str = ""


def add_worktree(project_dir: Path, path: Path, branch: str, start: str) -> Path:
    """A worktree at ``path`` on ``branch`` (made at ``start`` unless it exists), reused when it
    is already there; the project's folder in it (a folder of a larger repository stays one)."""
    with open_repo(project_dir) as repo:
        prefix = prefix_of(repo)
        if not _registered(repo.git.worktree("list", "--porcelain"), path):
            path.parent.mkdir(parents=True, exist_ok=True)
            exists = _branch_exists(repo, branch)
            new = () if exists else ("-b", branch)
            repo.git.worktree("add", "--quiet", *new, str(path), *(() if new else (branch,)),
                              *((start,) if new else ()))  # fmt: skip
    return path / prefix if prefix else path


def remove_worktree(project_dir: Path, path: Path) -> None:
    """Take the worktree away (its branch stays); a folder already gone is pruned."""
    with open_repo(project_dir) as repo:
        with contextlib.suppress(GitCommandError):
            repo.git.worktree("remove", "--force", "--force", str(path))
        repo.git.worktree("prune")


def prune(project_dir: Path) -> None:
    """Forget worktrees whose folders are gone."""
    with open_repo(project_dir) as repo:
        repo.git.worktree("prune")


def worktrees_under(project_dir: Path, folder: Path) -> list[Path]:
    """The registered worktrees inside ``folder``."""
    with open_repo(project_dir) as repo:
        out = str(repo.git.worktree("list", "--porcelain"))
    found = [Path(line[len("worktree ") :]) for line in out.splitlines()]
    root = os.path.realpath(folder)
    return [p for p in found if os.path.realpath(p).startswith(root + os.sep)]


def _registered(porcelain: str, path: Path) -> bool:
    real = os.path.realpath(path)
    return (
        any(
            os.path.realpath(line[len("worktree ") :]) == real
            for line in porcelain.splitlines()
            if line.startswith("worktree ")
        )
        and path.is_dir()
    )


def _branch_exists(repo: object, branch: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "-q", f"refs/heads/{branch}")  # type: ignore[attr-defined]
    except GitCommandError:
        return False
    return True


def head(project_dir: Path) -> str:
    with open_repo(project_dir) as repo:
        return str(repo.git.rev_parse("HEAD"))


def tip(project_dir: Path, branch: str) -> str | None:
    with open_repo(project_dir) as repo:
        try:
            return str(repo.git.rev_parse("--verify", "-q", f"{branch}^{{commit}}"))
        except GitCommandError:
            return None


def blob(project_dir: Path, commit: str, path: str) -> str | None:
    """The blob id of the repository path ``path`` at ``commit``; None when it has none."""
    with open_repo(project_dir) as repo:
        try:
            return str(repo.git.rev_parse("--verify", "-q", f"{commit}:{path}"))
        except GitCommandError:
            return None


def changed_files(project_dir: Path) -> dict[str, str]:
    """The project's tracked files that differ from HEAD, each with a hash of what it holds
    now ('' when it is gone): what a run of the project's code changed can be told apart."""
    with open_repo(project_dir) as repo:
        out = str(repo.git.diff("--name-only", "--no-renames", "-z", "HEAD", "--", "."))
        top = Path(str(repo.working_tree_dir))
    found = {}
    for path in filter(None, out.split("\0")):
        try:
            found[path] = hashlib.sha256((top / path).read_bytes()).hexdigest()
        except OSError:
            found[path] = ""
    return found


def restore(project_dir: Path, paths: list[str]) -> None:
    """Put the files ``paths`` (repository paths) back as HEAD has them."""
    with open_repo(project_dir) as repo:
        top = str(repo.working_tree_dir)
        repo.git.execute(["git", "-C", top, "checkout", "HEAD", "--", *paths])


def is_merged(project_dir: Path, branch: str) -> bool:
    """Whether ``branch``'s tip is already in HEAD's history."""
    with open_repo(project_dir) as repo:
        try:
            repo.git.merge_base("--is-ancestor", branch, "HEAD")
        except GitCommandError:
            return False
    return True


def changed_by(project_dir: Path, branch: str) -> list[str]:
    """The repository paths ``branch`` changed since it left HEAD's history (its merge base)."""
    with open_repo(project_dir) as repo:
        out = repo.git.diff("--name-only", "--no-renames", "-z", f"HEAD...{branch}")
    return [p for p in str(out).split("\0") if p]


def top_of(project_dir: Path) -> tuple[Path, str]:
    """The repository's work tree and the project's folder in it (``sub/proj/`` or '')."""
    with open_repo(project_dir) as repo:
        return Path(str(repo.working_tree_dir)), prefix_of(repo)


def merge(
    project_dir: Path, branch: str, message: str, author: str, guard: GitGuard | None
) -> Merge:
    """Merge ``branch`` into HEAD with a merge commit; a conflict is aborted and reported."""
    hooks = hooks_for(project_dir, guard)
    with open_repo(project_dir, hooks) as repo:
        env = identity(author)
        try:
            repo.git.merge("--no-ff", "--no-edit", "-m", message, branch, env=env)
        except GitCommandError as exc:
            conflicts = str(repo.git.diff("--name-only", "--diff-filter=U")).split()
            with contextlib.suppress(GitCommandError):
                repo.git.merge("--abort")
            why = "" if conflicts else git_error(exc, "git merge failed")
            return Merge(None, tuple(conflicts), why)
        return Merge(str(repo.git.rev_parse("HEAD")))


def revert(
    project_dir: Path, commit: str, message: str, author: str, guard: GitGuard | None
) -> str:
    """Take a merge back with a new commit (history is never rewritten); the revert commit."""
    hooks = hooks_for(project_dir, guard)
    with open_repo(project_dir, hooks) as repo:
        env = identity(author)
        repo.git.revert("--no-edit", "--no-commit", "-m", "1", commit, env=env)
        repo.git.commit("-m", message, env=env)
        return str(repo.git.rev_parse("HEAD"))
