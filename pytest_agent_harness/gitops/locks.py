"""Lock files a killed git command left behind, and whether git still runs in a repository."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


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
