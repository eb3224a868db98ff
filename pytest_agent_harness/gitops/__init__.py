"""Git through GitPython: preflight, safety snapshots, checkpoint commits. The only importer of git.

The harness commits the work, the agent need not. It never rewrites history, forces, resets or
cleans. Every ``Repo`` is opened in a ``with`` block (``_repo``) so no ``git cat-file`` process
outlives its use, and adds and commits go through ``repo.git`` so ``.gitignore`` applies. Every
git process GitPython starts is hardened (``hardening``): no secrets, no system config, and
``-c`` settings that keep repository config from running programs; the user's hooks run only
when a ``GitGuard`` passed in has found them as they were at run start (``guard``). Nested
repositories the agent made are never added (as gitlinks) nor entered.

A safety snapshot is a commit object of the whole working tree, untracked files included, built
in a throwaway index and kept under ``refs/agent-harness/session-N/start``: it touches neither the
user's index nor the working tree. A checkpoint commits only the paths the session changed
relative to its snapshot, so files the user left untracked before the run stay untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from git import Git, GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo

from ..config.model import DEFAULT_AUTHOR
from ..errors import GitStateError
from .guard import GitGuard
from .hardening import hardened_variables, names_to_unset
from .locks import clear_stale_locks

__all__ = ["Checkpoint", "GitGuard", "Preflight", "clear_stale_locks"]

REF_PREFIX = "refs/agent-harness"


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


_ENV = "/usr/bin/env" if os.path.exists("/usr/bin/env") else "env"
GITLINK = "160000"


class HardenedGit(Git):
    """GitPython's runner, hardened: every git it starts (commands, ``cat-file`` batches) gets
    the hardening variables, and the secrets and unsafe git variables of the harness's own
    environment are taken out (``env -u``: GitPython always starts from ``os.environ``)."""

    hooks: Path | None = None
    """The hooks directory for this repository's commands; None runs none."""

    def execute(self, command: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        env = {**(kwargs.pop("env", None) or {}), **hardened_variables(self.hooks)}
        unset = names_to_unset({**os.environ, **self._environment}, keep=env)
        prefix = [_ENV, *(word for name in unset for word in ("-u", name))] if unset else []
        runner: Any = super().execute
        return runner([*prefix, *command], env=env, **kwargs)


class HardenedRepo(Repo):
    GitCommandWrapperType = HardenedGit


@contextmanager
def _repo(project_dir: Path, hooks: Path | None = None) -> Iterator[Repo]:
    """The one way to open the repository: every git command of the yielded ``Repo`` (and of
    ``repo.git``) is hardened, and runs the hooks in ``hooks`` or none."""
    with HardenedRepo(project_dir) as repo:
        if isinstance(repo.git, HardenedGit):
            repo.git.hooks = hooks
        yield repo


def _hooks(project_dir: Path, guard: GitGuard | None) -> Path | None:
    """Check the guard (raises when config that runs programs changed); the hooks to run."""
    if guard is None:
        return None
    guard.check(project_dir)
    return guard.hooks


def _identity(author: str) -> dict[str, str]:
    name, email = parseaddr(author)
    default_name, default_email = parseaddr(DEFAULT_AUTHOR)
    name, email = name or default_name, email or default_email
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def preflight(project_dir: Path) -> Preflight:
    """Make sure the project is a repository in a state fit for a run."""
    messages: list[str] = []
    initialized = False
    try:
        with _repo(project_dir) as repo:
            git_dir = Path(repo.git_dir)
    except (InvalidGitRepositoryError, NoSuchPathError):
        HardenedRepo.init(project_dir).close()
        initialized = True
        messages.append(f"{project_dir} was not a git repository; initialised one")
        git_dir = project_dir / ".git"
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
    with _repo(project_dir) as repo:
        branch = None if repo.head.is_detached else repo.active_branch.name
        if branch is None:
            messages.append(
                "HEAD is detached: checkpoint commits will not be on any branch; "
                "`git switch -c NAME` to keep them on one"
            )
    return Preflight(initialized=initialized, branch=branch, messages=tuple(messages))


def _tree_of_worktree(repo: Repo) -> str:
    """The tree object of the working tree as ``git add -A`` sees it, via a throwaway index.

    The throwaway index starts as a copy of the user's: its cached file stats let ``add -A``
    hash only what changed, where an index read from HEAD would rehash every file each time.
    Gitlinks HEAD does not have (nested repositories the agent made) are taken out before
    ``add -A``, which would run ``git status`` inside them, and out of what it added.
    """
    fd, index = tempfile.mkstemp(prefix="agent-harness-index-")
    os.close(fd)
    os.unlink(index)  # git wants to create it; an empty file is not a valid index
    env = {"GIT_INDEX_FILE": index}
    try:
        own_index = Path(repo.git_dir) / "index"
        if own_index.is_file():
            shutil.copyfile(own_index, index)
        elif repo.head.is_valid():
            repo.git.read_tree("HEAD", env=env)
        _drop_new_gitlinks(repo, env)
        repo.git.add("-A", env=env)
        _drop_new_gitlinks(repo, env)
        return str(repo.git.write_tree(env=env))
    finally:
        if os.path.exists(index):
            os.unlink(index)


def _drop_new_gitlinks(repo: Repo, env: Mapping[str, str]) -> list[str]:
    """Remove from the index ``env`` names every gitlink HEAD does not have; return them."""
    out = str(repo.git.ls_files("--stage", "-z", env=env))
    links = [e.split("\t", 1)[1] for e in out.split("\0") if e.startswith(GITLINK + " ")]
    new = sorted(set(links) - _head_gitlinks(repo, links))
    if new:
        repo.git.update_index("--force-remove", "--", *new, env=env)
    return new


def _head_gitlinks(repo: Repo, paths: Sequence[str]) -> set[str]:
    """Which of ``paths`` are gitlinks (submodules) in HEAD."""
    if not paths or not repo.head.is_valid():
        return set()
    out = str(repo.git.ls_tree("-z", "HEAD", "--", *paths))
    entries = (e.split("\t", 1) for e in out.split("\0") if e.startswith(GITLINK + " "))
    return {path for _, path in entries} & set(paths)


def _without_nested_repositories(repo: Repo, root: Path, paths: Sequence[str]) -> list[str]:
    """``paths`` less the nested repositories (a directory holding ``.git``) that are not
    gitlinks in HEAD: adding one would commit it as a gitlink the harness then enters."""
    nested = [p for p in paths if os.path.lexists(root / p / ".git")]
    if not nested:
        return list(paths)
    dropped = set(nested) - _head_gitlinks(repo, nested)
    return [p for p in paths if p not in dropped]


def snapshot(
    project_dir: Path,
    session: int,
    author: str = DEFAULT_AUTHOR,
    *,
    guard: GitGuard | None = None,
) -> str:
    """Record the whole working tree under ``refs/agent-harness/session-N/start``."""
    with _repo(project_dir, _hooks(project_dir, guard)) as repo:
        tree = _tree_of_worktree(repo)
        parents = ["-p", "HEAD"] if repo.head.is_valid() else []
        commit = str(
            repo.git.commit_tree(
                tree,
                *parents,
                "-m",
                f"agent-harness: snapshot before session {session}",
                env=_identity(author),
            )
        )
        repo.git.update_ref(snapshot_ref(session), commit)
        return commit


def snapshot_ref(session: int) -> str:
    return f"{REF_PREFIX}/session-{session}/start"


def changed_paths(project_dir: Path, since: str, *, guard: GitGuard | None = None) -> list[str]:
    """Paths whose content differs between the commit ``since`` and the working tree now."""
    with _repo(project_dir, _hooks(project_dir, guard)) as repo:
        return _diff_names(repo, since, _tree_of_worktree(repo))


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
    hooks = _hooks(project_dir, guard)
    with _repo(project_dir, hooks) as repo:
        try:
            since = str(repo.git.rev_parse("--verify", "-q", snapshot_ref(session)))
        except GitCommandError:
            return Checkpoint(commit=None, paths=())
        tree = _tree_of_worktree(repo)
        changed = set(_diff_names(repo, since, tree)) - _untracked_at(repo, since)
        if repo.head.is_valid():
            changed &= set(_diff_names(repo, "HEAD", tree))
    return _commit(project_dir, sorted(changed), message, author, hooks)


def _diff_names(repo: Repo, since: str, tree: str, *options: str) -> list[str]:
    out = repo.git.diff_tree("-r", "--name-only", "--no-renames", "-z", *options, since, tree)
    return [p for p in str(out).split("\0") if p]


def changed_since_head(project_dir: Path, *, guard: GitGuard | None = None) -> set[str] | None:
    """Paths that differ from HEAD (untracked ones included); None when there is no commit yet."""
    hooks = _hooks(project_dir, guard)
    with _repo(project_dir, hooks) as repo:
        if not repo.head.is_valid():
            return None
        return set(_diff_names(repo, "HEAD", _tree_of_worktree(repo)))


def checkpoint(
    project_dir: Path,
    since: str,
    message: str,
    author: str = DEFAULT_AUTHOR,
    *,
    guard: GitGuard | None = None,
    written: frozenset[str] = frozenset(),
) -> Checkpoint:
    """Commit what changed since the snapshot ``since``; nothing else, and nothing if unchanged.

    A file that was untracked when the session started (a log the user is writing with
    ``| tee``, the target of a shell redirection) is the user's: it is left out unless it is in
    ``written`` (the paths the agent's file tools wrote)."""
    hooks = _hooks(project_dir, guard)
    with _repo(project_dir, hooks) as repo:
        paths = _diff_names(repo, since, _tree_of_worktree(repo))
        theirs = _untracked_at(repo, since)
    left_out = tuple(p for p in paths if p in theirs and p not in written)
    kept = [p for p in paths if p not in left_out]
    return replace(_commit(project_dir, kept, message, author, hooks), left_out=left_out)


def _untracked_at(repo: Repo, snapshot: str) -> set[str]:
    """Paths in a snapshot that its parent (HEAD when it was taken) did not have."""
    try:
        return set(_diff_names(repo, f"{snapshot}^", snapshot, "--diff-filter=A"))
    except GitCommandError:  # no parent: the repository had no commit yet
        return set()


def commit_paths(
    project_dir: Path,
    paths: Sequence[str],
    message: str,
    author: str = DEFAULT_AUTHOR,
    *,
    guard: GitGuard | None = None,
) -> Checkpoint:
    """Commit exactly these paths (relative to the project), whatever else is staged."""
    return _commit(project_dir, paths, message, author, _hooks(project_dir, guard))


def _commit(
    project_dir: Path, paths: Sequence[str], message: str, author: str, hooks: Path | None
) -> Checkpoint:
    if not paths:
        return Checkpoint(commit=None, paths=())
    with _repo(project_dir, hooks) as repo:
        paths = _without_nested_repositories(repo, project_dir, paths)
        if not paths:
            return Checkpoint(commit=None, paths=())
        staged = _to_stage(repo, project_dir, paths)
        with _pathspec_file(paths) as spec, _pathspec_file(staged) as stage:
            env = _identity(author)
            try:
                if staged:
                    repo.git.add(
                        "-A", f"--pathspec-from-file={stage}", "--pathspec-file-nul", env=env
                    )
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
                detail = (exc.stderr or exc.stdout or str(exc)).strip().splitlines()
                return Checkpoint(
                    commit=None,
                    paths=tuple(paths),
                    error=detail[-1] if detail else "git commit failed",
                )
        return Checkpoint(commit=repo.head.commit.hexsha, paths=tuple(paths))


def _to_stage(repo: Repo, project_dir: Path, paths: Sequence[str]) -> list[str]:
    """The paths ``git add`` takes: one gone from the tree and the index (an agent's ``git rm``
    or ``git mv``) fails the whole add; ``git commit --only`` still commits its removal."""
    gone = [p for p in paths if not os.path.lexists(project_dir / p)]
    if not gone:
        return list(paths)
    indexed = set(str(repo.git.ls_files("-z")).split("\0"))
    absent = {p for p in gone if p not in indexed}
    return [p for p in paths if p not in absent]


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
    with _repo(project_dir) as repo:
        out = repo.git.for_each_ref("--format=%(refname) %(objectname)", REF_PREFIX)
    return dict(line.split(" ", 1) for line in str(out).splitlines() if line)


def commit_all(project_dir: Path, message: str, author: str = DEFAULT_AUTHOR) -> str:
    """Initialise a repository if needed and commit everything in it (used to set up the demo)."""
    preflight(project_dir)
    with _repo(project_dir) as repo:
        env = _identity(author)
        repo.git.add("-A", env=env)
        _drop_new_gitlinks(repo, {})
        repo.git.commit("-m", message, env=env)
        return str(repo.head.commit.hexsha)
