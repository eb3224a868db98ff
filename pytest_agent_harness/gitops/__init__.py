"""Git through GitPython: preflight, safety snapshots, checkpoint commits.

The harness commits the work, the agent need not. It never rewrites history, forces, resets or
cleans. Every ``Repo`` is opened in a ``with`` block (``open_repo``) so no ``git cat-file`` process
outlives its use, and adds and commits go through ``repo.git`` so ``.gitignore`` applies. Every
git process GitPython starts is hardened (``hardening``): no secrets, no system config, and
``-c`` settings that keep repository config from running programs; the user's hooks run only
when a ``GitGuard`` passed in has found them as they were at run start (``guard``). Nested
repositories the agent made are never added (as gitlinks) nor entered.

A safety snapshot is a commit object of the whole working tree, untracked files included, built
in a throwaway index and kept under ``refs/agent-harness/session-N/start``: it touches neither the
user's index nor the working tree. A checkpoint commits only the paths the session changed
relative to its snapshot, so files the user left untracked before the run stay untouched.

A project may be a folder of a larger repository (a monorepo's package): the harness uses that
repository, as git does, never a nested one; it lists and commits only paths inside the folder,
and its refs are kept apart under ``refs/agent-harness/projects/FOLDER/``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from ..config.model import DEFAULT_AUTHOR
from ..errors import GitStateError
from .guard import GitGuard
from .locks import clear_stale_locks
from .repository import (
    GitCommandError,
    HardenedRepo,
    InvalidGitRepositoryError,
    NoSuchPathError,
    Repo,
    diff_names,
    drop_new_gitlinks,
    git_error,
    hooks_for,
    identity,
    is_ignored,
    open_repo,
    prefix_of,
    refs_of,
    tree_of_worktree,
    untracked_at,
    without_nested_repositories,
)

__all__ = ["Checkpoint", "GitGuard", "Preflight", "clear_stale_locks"]

_SESSION_REF = re.compile(r"session-[0-9]+/start")


@dataclass(frozen=True, kw_only=True)
class Preflight:
    initialized: bool
    branch: str | None
    """None when HEAD is detached."""
    messages: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    commit: str | None
    paths: tuple[str, ...]
    error: str = ""
    """Why the commit failed (a hook said no), when it did."""
    left_out: tuple[str, ...] = ()
    """Changed files that were untracked before the session and that it did not write."""


def preflight(project_dir: Path) -> Preflight:
    """Make sure the project is a repository in a state fit for a run."""
    messages: list[str] = []
    initialized = False
    where = located(project_dir)
    if where is None or where.ignored:
        HardenedRepo.init(project_dir).close()
        initialized = True
        why = "was not in a git repository"
        if where is not None:
            why = f"is ignored by the repository at {where.top}"
        messages.append(f"{project_dir} {why}; initialised one")
        where = located(project_dir)
        assert where is not None
    elif where.prefix:
        messages.append(
            f"Using the git repository at {where.top}; commits take only files in {where.prefix}"
        )
    git_dir = where.git_dir
    for marker, operation in (
        ("MERGE_HEAD", "a merge"),
        ("rebase-merge", "a rebase"),
        ("rebase-apply", "a rebase or am"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ("REVERT_HEAD", "a revert"),
        ("BISECT_LOG", "a bisect"),
    ):
        if (git_dir / marker).exists():
            raise GitStateError(
                f"{project_dir}: the repository is in the middle of {operation}; "
                "finish or abort it before starting a run"
            )
    messages.extend(clear_stale_locks(git_dir, project_dir))
    with open_repo(project_dir) as repo:
        branch = None if repo.head.is_detached else repo.active_branch.name
        if branch is None:
            messages.append(
                "HEAD is detached: checkpoint commits will not be on any branch; "
                "`git switch -c NAME` to keep them on one"
            )
    return Preflight(initialized=initialized, branch=branch, messages=tuple(messages))


@dataclass(frozen=True, kw_only=True)
class Location:
    """Where a project sits: the top of its repository's work tree, its folder in it ('' at
    the top, else ``sub/proj/``), and whether the repository ignores that folder."""

    top: Path
    prefix: str
    git_dir: Path
    ignored: bool


def located(project_dir: Path) -> Location | None:
    """The repository git finds from the project (None when there is none): what a run uses,
    and what ``verify`` reports."""
    try:
        with open_repo(project_dir) as repo:
            prefix = prefix_of(repo)
            return Location(
                top=Path(str(repo.working_tree_dir)),
                prefix=prefix,
                git_dir=Path(repo.git_dir),
                ignored=bool(prefix) and is_ignored(repo),
            )
    except (InvalidGitRepositoryError, NoSuchPathError):
        return None


def snapshot(
    project_dir: Path,
    session: int,
    author: str = DEFAULT_AUTHOR,
    *,
    guard: GitGuard | None = None,
) -> str:
    """Record the whole working tree under ``refs/agent-harness/session-N/start``."""
    with open_repo(project_dir, hooks_for(project_dir, guard)) as repo:
        tree = tree_of_worktree(repo)
        parents = ["-p", "HEAD"] if repo.head.is_valid() else []
        commit = str(
            repo.git.commit_tree(
                tree,
                *parents,
                "-m",
                f"agent-harness: snapshot before session {session}",
                env=identity(author),
            )
        )
        repo.git.update_ref(snapshot_ref(session, refs_of(repo)), commit)
        return commit


def snapshot_ref(session: int, root: str = "refs/agent-harness/") -> str:
    """The safety ref of a session under the project's ref root (``refs_of``):
    ``refs/agent-harness/session-N/start`` for a project at the top of its repository,
    ``refs/agent-harness/projects/FOLDER/session-N/start`` for a folder of a larger one (so two
    projects in one repository keep their refs apart), ``…/worktrees/NAME/…`` for a worker."""
    return f"{root}session-{session}/start"


def changed_paths(project_dir: Path, since: str, *, guard: GitGuard | None = None) -> list[str]:
    """Paths whose content differs between the commit ``since`` and the working tree now."""
    with open_repo(project_dir, hooks_for(project_dir, guard)) as repo:
        return diff_names(repo, since, tree_of_worktree(repo))


def recover(
    project_dir: Path,
    session: int,
    message: str,
    author: str = DEFAULT_AUTHOR,
    *,
    guard: GitGuard | None = None,
) -> Checkpoint:
    """Commit what a session that was cut off (killed) changed and HEAD does not hold yet.

    Its snapshot ref says where it started; paths its checkpoint already committed before the
    kill differ from the snapshot but not from HEAD, and are left alone. No ref, no work.
    """
    hooks = hooks_for(project_dir, guard)
    with open_repo(project_dir, hooks) as repo:
        try:
            since = str(repo.git.rev_parse("--verify", "-q", snapshot_ref(session, refs_of(repo))))
        except GitCommandError:
            return Checkpoint(commit=None, paths=())
        tree = tree_of_worktree(repo)
        changed = set(diff_names(repo, since, tree)) - untracked_at(repo, since)
        if repo.head.is_valid():
            changed &= set(diff_names(repo, "HEAD", tree))
    return _commit(project_dir, sorted(changed), message, author, hooks)


def changed_since_head(project_dir: Path, *, guard: GitGuard | None = None) -> set[str] | None:
    """Paths that differ from HEAD (untracked ones included); None when there is no commit yet."""
    hooks = hooks_for(project_dir, guard)
    with open_repo(project_dir, hooks) as repo:
        if not repo.head.is_valid():
            return None
        return set(diff_names(repo, "HEAD", tree_of_worktree(repo)))


def checkpoint(
    project_dir: Path,
    since: str,
    message: str,
    author: str = DEFAULT_AUTHOR,
    *,
    guard: GitGuard | None = None,
    written: frozenset[str] = frozenset(),
    pending: frozenset[str] = frozenset(),
    made_elsewhere: Callable[[Sequence[str]], set[str]] | None = None,
) -> Checkpoint:
    """Commit what changed since the snapshot ``since``; nothing else, and nothing if unchanged.

    A file that was untracked when the session started (a log the user is writing with
    ``| tee``, the target of a shell redirection) is the user's: it is left out unless it is in
    ``written`` (the paths the agent's file tools wrote). So is a file new in the session (not
    renamed from a file the snapshot has) that ``made_elsewhere`` says the agent did not make.
    ``pending`` are the paths an earlier
    checkpoint failed to commit: those that still differ from HEAD are committed too."""
    hooks = hooks_for(project_dir, guard)
    with open_repo(project_dir, hooks) as repo:
        tree = tree_of_worktree(repo)
        paths = diff_names(repo, since, tree)
        theirs = untracked_at(repo, since)
        if made_elsewhere is not None:  # a rename's new name is not a new file
            new = set(diff_names(repo, since, tree, "--diff-filter=A"))
            new -= set(diff_names(repo, since, tree, "-M", "--diff-filter=R"))
            theirs |= made_elsewhere(sorted(new - written - pending))
        if pending and repo.head.is_valid():
            still = pending & set(diff_names(repo, "HEAD", tree))
            paths = sorted(set(paths) | still)
    left_out = tuple(p for p in paths if p in theirs and p not in written | pending)
    kept = [p for p in paths if p not in left_out]
    return replace(_commit(project_dir, kept, message, author, hooks), left_out=left_out)


def commit_paths(
    project_dir: Path,
    paths: Sequence[str],
    message: str,
    author: str = DEFAULT_AUTHOR,
    *,
    guard: GitGuard | None = None,
) -> Checkpoint:
    """Commit exactly these paths (relative to the project), whatever else is staged."""
    return _commit(project_dir, paths, message, author, hooks_for(project_dir, guard))


def _commit(
    project_dir: Path, paths: Sequence[str], message: str, author: str, hooks: Path | None
) -> Checkpoint:
    if not paths:
        return Checkpoint(commit=None, paths=())
    with open_repo(project_dir, hooks) as repo:
        paths = without_nested_repositories(repo, project_dir, paths)
        if not paths:
            return Checkpoint(commit=None, paths=())
        env = identity(author)
        try:
            staged = _to_stage(repo, project_dir, paths)
            if staged:
                with _pathspec_file(staged) as stage:
                    repo.git.add(
                        "-A", f"--pathspec-from-file={stage}", "--pathspec-file-nul", env=env
                    )
            paths = _to_commit(repo, project_dir, paths)
            if not paths:
                return Checkpoint(commit=None, paths=())
            with _pathspec_file(paths) as spec:
                repo.git.commit(
                    "-m",
                    message,
                    f"--author={env['GIT_AUTHOR_NAME']} <{env['GIT_AUTHOR_EMAIL']}>",
                    "--only",
                    f"--pathspec-from-file={spec}",
                    "--pathspec-file-nul",
                    env=env,
                )
        except GitCommandError as exc:
            return Checkpoint(
                commit=None, paths=tuple(paths), error=git_error(exc, "git commit failed")
            )
        return Checkpoint(commit=repo.head.commit.hexsha, paths=tuple(paths))


def _to_stage(repo: Repo, project_dir: Path, paths: Sequence[str]) -> list[str]:
    """The paths ``git add`` takes: one gone from the tree and the index (an agent's ``git rm``,
    the source of a ``git mv``) fails the whole add; ``git commit --only`` records its removal."""
    return [p for p in paths if p not in _gone(repo, project_dir, paths, "index")]


def _to_commit(repo: Repo, project_dir: Path, paths: Sequence[str]) -> list[str]:
    """The paths ``git commit --only`` takes, once staged: one neither the tree, the index nor
    HEAD holds (a file made and removed again before a commit held it) fails the commit, and
    has nothing to record."""
    gone = _gone(repo, project_dir, paths, "index")
    if gone and repo.head.is_valid():
        gone &= _gone(repo, project_dir, sorted(gone), "HEAD")
    return [p for p in paths if p not in gone]


def _gone(repo: Repo, project_dir: Path, paths: Sequence[str], where: str) -> set[str]:
    """Which of ``paths`` neither the working tree nor ``where`` (the index, or HEAD) holds."""
    missing = [p for p in paths if not os.path.lexists(project_dir / p)]
    if not missing:
        return set()
    if where == "index":
        out = repo.git.ls_files("-z")
    else:
        out = repo.git.ls_tree("-r", "--name-only", "-z", where, "--", *missing)
    return set(missing) - set(str(out).split("\0"))


@contextmanager
def _pathspec_file(paths: Sequence[str]) -> Iterator[str]:
    # A file, not argv: a session can change more paths than a command line holds. The
    # pathspecs are literal so a file named '*' or ':(glob)x' means only itself.
    fd, name = tempfile.mkstemp(prefix="agent-harness-paths-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(b"\0".join(f":(literal){p}".encode() for p in paths))
    try:
        yield name
    finally:
        os.unlink(name)


def snapshot_refs(project_dir: Path) -> Mapping[str, str]:
    """Every safety ref the harness has recorded, name to commit."""
    with open_repo(project_dir) as repo:
        root = refs_of(repo)
        out = repo.git.for_each_ref("--format=%(refname) %(objectname)", root.rstrip("/"))
    pairs = (line.split(" ", 1) for line in str(out).splitlines() if line)
    return {ref: commit for ref, commit in pairs if _SESSION_REF.fullmatch(ref[len(root) :])}


def commit_all(project_dir: Path, message: str, author: str = DEFAULT_AUTHOR) -> str:
    """Initialise a repository if needed and commit everything in it (used to set up the demo)."""
    preflight(project_dir)
    with open_repo(project_dir) as repo:
        env = identity(author)
        repo.git.add("-A", env=env)
        drop_new_gitlinks(repo, {})
        repo.git.commit("-m", message, env=env)
        return str(repo.head.commit.hexsha)
