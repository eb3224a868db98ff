"""The session audit: what the harness protects is compared before and after every session.

Every layer (the OS sandbox, the bash and path policies) keeps the agent out of the protected
set; this is the check that they held. Each protected file, link and folder is recorded (without
following links) right before the session and compared right after; anything added, removed or
changed is tampering: it is put back as it was, and the caller reports it, records it in the
ledger, tells the agent, and never counts that session as complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

Skip = Callable[[Path], bool]


@dataclass(frozen=True)
class _Entry:
    kind: str
    """'file', 'link' or 'dir'."""
    data: bytes = b""
    """A file's content or a link's target."""
    mode: int = 0o644


def _entry(path: Path) -> _Entry | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return _Entry("link", os.readlink(path).encode())
    if stat.S_ISDIR(info.st_mode):
        return _Entry("dir", mode=stat.S_IMODE(info.st_mode))
    if stat.S_ISREG(info.st_mode):
        # A hard link made during the session shows as a changed link count: record it.
        kind = "file" if info.st_nlink == 1 else f"file x{info.st_nlink}"
        return _Entry(kind, path.read_bytes(), stat.S_IMODE(info.st_mode))
    return _Entry(f"special {stat.S_IFMT(info.st_mode)}")


class ProtectedFiles:
    """A record of the protected set at one moment, able to say and undo what changed since."""

    def __init__(self, roots: Iterable[Path], skip: Skip = lambda path: False) -> None:
        self.roots = tuple(roots)
        self.skip = skip
        self.entries = self._walk()

    def _walk(self) -> dict[Path, _Entry]:
        entries: dict[Path, _Entry] = {}
        for root in self.roots:
            stack = [root]
            while stack:
                path = stack.pop()
                if self.skip(path):
                    continue
                entry = _entry(path)
                if entry is None:
                    continue
                entries[path] = entry
                if entry.kind == "dir":
                    with contextlib.suppress(OSError):
                        stack.extend(sorted(path.iterdir()))
        return entries

    def changes(self) -> list[Path]:
        """Paths added, removed or changed since the record was taken."""
        now = self._walk()
        return sorted(
            p for p in now.keys() | self.entries.keys() if now.get(p) != self.entries.get(p)
        )

    def restore(self, paths: Iterable[Path]) -> None:
        """Put each path back as recorded: remove what was added, rewrite what changed."""
        ordered = sorted(paths, key=lambda p: len(p.parts))
        for path in reversed(ordered):  # deepest first: clear what is in the way
            if self.entries.get(path) is None or self.entries[path].kind != "dir":
                _remove(path)
        for path in ordered:  # shallowest first: folders before their files
            entry = self.entries.get(path)
            if entry is not None:
                _recreate(path, entry)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _recreate(path: Path, entry: _Entry) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if entry.kind == "dir":
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            _remove(path)
        path.mkdir(exist_ok=True)
        path.chmod(entry.mode)
    elif entry.kind == "link":
        _remove(path)
        os.symlink(entry.data.decode(), path)
    elif entry.kind.startswith("file"):
        _remove(path)  # a fresh inode: never write through a hard link the agent made
        path.write_bytes(entry.data)
        path.chmod(entry.mode)
