"""Git through GitPython: preflight, safety snapshots, checkpoint commits. The only importer of git.

The harness commits the work, the agent need not. It never rewrites history, forces, resets or
cleans. Every ``Repo`` is opened in a ``with`` block so no ``git cat-file`` process outlives its
use, and adds and commits go through ``repo.git`` so ``.gitignore`` and hooks apply.

A safety snapshot is a commit object of the whole working tree, untracked files included, built
in a throwaway index and kept under ``refs/agent-harness/session-N/start``: it touches neither the
user's index nor the working tree. A checkpoint commits only the paths the session changed
relative to its snapshot, so files the user left untracked before the run stay untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from git import GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo

from .config.model import DEFAULT_AUTHOR
from .errors import GitStateError

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


@contextmanager
def _repo(project_dir: Path) -> Iterator[Repo]:
    with Repo(project_dir) as repo:
        yield repo


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
        Repo.init(project_dir).close()
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


def clear_stale_locks(git_dir: Path, project_dir: Path) -> list[str]:
    """Remove the lock files a killed git command left, which would block every later commit.

    A lock is stale when no git process is running in the repository (read from /proc). Where
    that cannot be known, the locks stay and the message says how to remove them by hand.
    """
    locks = [git_dir / "index.lock", git_dir / "HEAD.lock", git_dir / "packed-refs.lock"]
    locks = [p for p in locks if p.exists()]
    if (git_dir / "refs").is_dir():
        locks += sorted((git_dir / "refs").rglob("*.lock"))
    if not locks:
        return []
    names = ", ".join(str(p.relative_to(git_dir)) for p in locks)
    busy = _git_running_in(project_dir.resolve(), git_dir.resolve())
    if busy is None or busy:
        why = "a git command is running there" if busy else "git's activity cannot be seen here"
        return [
            f"{git_dir} holds lock files ({names}) and {why}; if no git command is running, "
            "delete them or checkpoint commits will fail"
        ]
    for lock in locks:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
    return [f"removed stale lock files left by a killed git command: {names}"]


def _git_running_in(*places: Path) -> bool | None:
    """Whether a git process works in one of ``places``; None where /proc cannot tell."""
    proc = Path("/proc")
    if not (proc / "self" / "cwd").exists():
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "git":
                continue
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if any(cwd == place or place in cwd.parents for place in places):
            return True
    return False


def _tree_of_worktree(repo: Repo) -> str:
    """The tree object of the working tree as ``git add -A`` sees it, via a throwaway index.

    The throwaway index starts as a copy of the user's: its cached file stats let ``add -A``
    hash only what changed, where an index read from HEAD would rehash every file each time.
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
        repo.git.add("-A", env=env)
        return str(repo.git.write_tree(env=env))
    finally:
        if os.path.exists(index):
            os.unlink(index)


def snapshot(project_dir: Path, session: int, author: str = DEFAULT_AUTHOR) -> str:
    """Record the whole working tree under ``refs/agent-harness/session-N/start``."""
    with _repo(project_dir) as repo:
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


def changed_paths(project_dir: Path, since: str) -> list[str]:
    """Paths whose content differs between the commit ``since`` and the working tree now."""
    with _repo(project_dir) as repo:
        return _diff_names(repo, since, _tree_of_worktree(repo))


def recover(
    project_dir: Path, session: int, message: str, author: str = DEFAULT_AUTHOR
) -> Checkpoint:
    """Commit what a session that was cut off (killed) changed and HEAD does not hold yet.

    Its snapshot ref says where it started; paths its checkpoint already committed before the
    kill differ from the snapshot but not from HEAD, and are left alone. No ref, no work.
    """
    with _repo(project_dir) as repo:
        try:
            since = str(repo.git.rev_parse("--verify", "-q", snapshot_ref(session)))
        except GitCommandError:
            return Checkpoint(commit=None, paths=())
        tree = _tree_of_worktree(repo)
        changed = set(_diff_names(repo, since, tree))
        if repo.head.is_valid():
            changed &= set(_diff_names(repo, "HEAD", tree))
    return commit_paths(project_dir, sorted(changed), message, author)


def _diff_names(repo: Repo, since: str, tree: str) -> list[str]:
    out = repo.git.diff_tree("-r", "--name-only", "--no-renames", "-z", since, tree)
    return [p for p in str(out).split("\0") if p]


def changed_since_head(project_dir: Path) -> set[str] | None:
    """Paths that differ from HEAD (untracked ones included); None when there is no commit yet."""
    with _repo(project_dir) as repo:
        if not repo.head.is_valid():
            return None
    return set(changed_paths(project_dir, "HEAD"))


def checkpoint(
    project_dir: Path,
    since: str,
    message: str,
    author: str = DEFAULT_AUTHOR,
) -> Checkpoint:
    """Commit what changed since the snapshot ``since``; nothing else, and nothing if unchanged."""
    return commit_paths(project_dir, changed_paths(project_dir, since), message, author)


def commit_paths(
    project_dir: Path, paths: Sequence[str], message: str, author: str = DEFAULT_AUTHOR
) -> Checkpoint:
    """Commit exactly these paths (relative to the project), whatever else is staged."""
    paths = list(paths)
    if not paths:
        return Checkpoint(commit=None, paths=())
    with _repo(project_dir) as repo, _pathspec_file(paths) as spec:
        env = _identity(author)
        try:
            repo.git.add("-A", f"--pathspec-from-file={spec}", "--pathspec-file-nul", env=env)
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
        repo.git.commit("-m", message, env=env)
        return str(repo.head.commit.hexsha)
