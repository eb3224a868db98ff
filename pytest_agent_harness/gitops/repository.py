"""The repository as the harness opens it: hardened git, the project's place in its repository,
the working tree as a tree object, and the paths that differ between two trees. The one module
that imports GitPython.

Every git process is hardened (``hardening``); the repository is the one git finds from the
project, and commands run in the project, so the paths they list and take are the project's own.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from git import Git, GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo

from ..config.model import DEFAULT_AUTHOR
from ..errors import GitStateError
from .guard import GitGuard
from .hardening import hardened_variables, names_to_unset

__all__ = ["GitCommandError", "InvalidGitRepositoryError", "NoSuchPathError", "Repo"]
"""GitPython's names the rest of ``gitops`` uses, from here (the functions are imported by name)."""

REF_PREFIX = "refs/agent-harness"
PROJECTS = "projects"

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
    prefix = ""
    """The project's folder in the repository: '' at its top, else ``sub/proj/``."""
    ref_space = f"{REF_PREFIX}/"
    """Where the harness keeps this project's safety refs (``ref_root``)."""


@contextmanager
def open_repo(project_dir: Path, hooks: Path | None = None) -> Iterator[Repo]:
    """The one way to open the repository: every git command of the yielded ``Repo`` (and of
    ``repo.git``) is hardened, and runs the hooks in ``hooks`` or none.

    The repository is the one git finds from the project (a project may be a folder of a larger
    one), and ``repo.git`` runs in the project: paths and pathspecs are the project's own, and
    what lies outside it is neither listed nor committed."""
    top, prefix = work_tree_of(project_dir)
    with HardenedRepo(top) as repo:
        if isinstance(repo, HardenedRepo):
            repo.prefix = prefix
            repo.ref_space = ref_root(prefix, _linked_name(repo))
        repo.git._working_dir = str(project_dir)  # GitPython has no setter
        if isinstance(repo.git, HardenedGit):
            repo.git.hooks = hooks
        yield repo


def work_tree_of(project_dir: Path) -> tuple[str, str]:
    """The work tree holding ``project_dir`` and the project's folder in it, as git itself finds
    them (``GIT_CEILING_DIRECTORIES`` and ``safe.directory`` included)."""
    if os.path.lexists(project_dir / ".git"):
        return str(project_dir), ""  # the common case, without a git process
    if not project_dir.is_dir():
        raise NoSuchPathError(project_dir)
    try:
        out = str(HardenedGit(project_dir).rev_parse("--show-toplevel", "--show-prefix"))
    except GitCommandError as exc:
        if "dubious ownership" in str(exc.stderr):
            raise GitStateError(
                f"{project_dir}: git refuses the repository (it belongs to another user); "
                "run `git config --global --add safe.directory PATH` for it"
            ) from exc
        raise InvalidGitRepositoryError(project_dir) from exc
    top, _, prefix = out.partition("\n")
    return top.strip(), prefix.strip()


def git_error(exc: GitCommandError, fallback: str) -> str:
    """The last line git printed, without GitPython's ``stderr: '...'`` wrapping; ``fallback``
    when it printed nothing."""
    text = str(exc.stderr or exc.stdout or "").strip()
    for wrap in ("stderr: '", "stdout: '"):
        if text.startswith(wrap) and text.endswith("'"):
            text = text[len(wrap) : -1]
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else fallback


def hooks_for(project_dir: Path, guard: GitGuard | None) -> Path | None:
    """Check the guard (raises when config that runs programs changed); the hooks to run."""
    if guard is None:
        return None
    guard.check(project_dir)
    return guard.hooks


def identity(author: str) -> dict[str, str]:
    name, email = parseaddr(author)
    default_name, default_email = parseaddr(DEFAULT_AUTHOR)
    name, email = name or default_name, email or default_email
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def is_ignored(repo: Repo) -> bool:
    """Whether the repository ignores the project's folder (it is not one of its folders)."""
    try:
        repo.git.check_ignore("-q", ".")
    except GitCommandError:
        return False
    return True


def tree_of_worktree(repo: Repo) -> str:
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
        drop_new_gitlinks(repo, env)
        repo.git.add("-A", "--", ".", env=env)
        drop_new_gitlinks(repo, env)
        return str(repo.git.write_tree(env=env))
    finally:
        if os.path.exists(index):
            os.unlink(index)


def drop_new_gitlinks(repo: Repo, env: Mapping[str, str]) -> list[str]:
    """Remove from the index ``env`` names every gitlink HEAD does not have; return them."""
    out = str(repo.git.ls_files("--stage", "-z", env=env))
    links = [e.split("\t", 1)[1] for e in out.split("\0") if e.startswith(GITLINK + " ")]
    new = sorted(set(links) - head_gitlinks(repo, links))
    if new:
        repo.git.update_index("--force-remove", "--", *new, env=env)
    return new


def head_gitlinks(repo: Repo, paths: Sequence[str]) -> set[str]:
    """Which of ``paths`` are gitlinks (submodules) in HEAD."""
    if not paths or not repo.head.is_valid():
        return set()
    out = str(repo.git.ls_tree("-z", "HEAD", "--", *paths))
    entries = (e.split("\t", 1) for e in out.split("\0") if e.startswith(GITLINK + " "))
    return {path for _, path in entries} & set(paths)


def without_nested_repositories(repo: Repo, root: Path, paths: Sequence[str]) -> list[str]:
    """``paths`` less the nested repositories (a directory holding ``.git``) that are not
    gitlinks in HEAD: adding one would commit it as a gitlink the harness then enters."""
    nested = [p for p in paths if os.path.lexists(root / p / ".git")]
    if not nested:
        return list(paths)
    dropped = set(nested) - head_gitlinks(repo, nested)
    return [p for p in paths if p not in dropped]


def _linked_name(repo: Repo) -> str:
    """The name of the linked worktree ``repo`` is opened in ('' in the main one): refs are
    shared by all worktrees, so each keeps its safety refs under its own name."""
    git_dir = os.path.realpath(repo.git_dir)
    return "" if git_dir == os.path.realpath(repo.common_dir) else os.path.basename(git_dir)


def ref_root(prefix: str, worktree: str = "") -> str:
    """``refs/agent-harness/``, then ``worktrees/NAME/`` in a linked worktree (a parallel
    run's worker) or ``projects/FOLDER/`` for a folder of a larger repository."""
    if worktree:
        return f"{REF_PREFIX}/worktrees/{re.sub(r'[^A-Za-z0-9_.-]', '_', worktree)}/"
    if not prefix:
        return f"{REF_PREFIX}/"
    parts = [re.sub(r"[^A-Za-z0-9_-]", "_", part) for part in prefix.strip("/").split("/")]
    folder = "/".join(parts)
    if folder != prefix.strip("/"):  # two folders may sanitise alike: keep them apart
        folder += "-" + hashlib.sha256(prefix.encode()).hexdigest()[:8]
    return f"{REF_PREFIX}/{PROJECTS}/{folder}/"


def refs_of(repo: Repo) -> str:
    """Where the safety refs of the project ``repo`` was opened for live (``ref_root``)."""
    return repo.ref_space if isinstance(repo, HardenedRepo) else f"{REF_PREFIX}/"


def prefix_of(repo: Repo) -> str:
    """The project's folder in ``repo`` (see ``open_repo``): '' at the top, else ``sub/proj/``."""
    return repo.prefix if isinstance(repo, HardenedRepo) else ""


def diff_names(repo: Repo, since: str, tree: str, *options: str) -> list[str]:
    """The project's paths (relative to it) that differ between two trees."""
    prefix = prefix_of(repo)
    relative = (f"--relative={prefix}",) if prefix else ()
    out = repo.git.diff_tree(
        "-r", "--name-only", "--no-renames", "-z", *relative, *options, since, tree
    )
    return [p for p in str(out).split("\0") if p]


def untracked_at(repo: Repo, snapshot: str) -> set[str]:
    """Paths in a snapshot that its parent (HEAD when it was taken) did not have."""
    try:
        return set(diff_names(repo, f"{snapshot}^", snapshot, "--diff-filter=A"))
    except GitCommandError:  # no parent: the repository had no commit yet
        return set()
