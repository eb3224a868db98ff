"""Where a program's file arguments land, judged against the writable and protected sets.

A write-capable program's arguments play different parts: a file written, a tree copied in,
an entry removed or renamed, the far end of a link, the prefix of files a program numbers.
Each part has its own test, because "is this path protected?" is not enough: ``rm -r .``
removes ``.git`` without naming it, and ``ln .git/config x`` writes nothing protected yet lets
every later write to ``x`` land in ``.git/config``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .cwd import locate
from .denial import no
from .paths import PathPolicy

SAFE_TARGETS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})


def join(directory: str, name: str) -> str:
    """``directory/name`` as the program builds it, without normalising ``.`` away."""
    return name if not directory else directory.rstrip("/") + "/" + name if name else directory


def last_name(raw: str) -> str:
    """The name a copy or link of ``raw`` gets inside a directory (``a/b/`` gives ``b``)."""
    return os.path.basename(raw.rstrip("/")) if raw.rstrip("/") else "/"


@dataclass(frozen=True)
class Targets:
    """The checks on one program's file arguments; each raises ``Denied`` on a bad path."""

    program: str
    paths: PathPolicy
    cwd: Path | None
    """The directory the program runs in (None: not known, so only absolute paths pass)."""

    def _path(self, raw: str) -> Path:
        if raw.startswith("~"):
            raise no(
                "write-outside",
                f"{self.program} {raw}: ~ depends on the shell; name a path inside the project",
            )
        return locate(raw, self.cwd, self.program)

    def resolved(self, raw: str) -> Path:
        """Where ``raw`` lands, resolved like a redirection's target (``~`` is refused)."""
        return self._path(raw)

    def _outside(self, raw: str, path: Path, what: str = "write") -> None:
        if not self.paths.allows(path):
            raise no(
                "write-outside",
                f"{self.program} would {what} {raw} ({path}), outside the paths this project "
                f"allows ({', '.join(self.paths.allowed_paths)}); write inside the project",
            )

    def _protected(self, raw: str, path: Path, what: str) -> None:
        whose = "belongs to" if self.paths.is_protected(path) else "holds files that belong to"
        raise no(
            "protected-path",
            f"{self.program} would {what} {raw} ({path}), which {whose} the harness or the "
            "repository (config, state, logs, evidence, .git); those may be read, never "
            "changed. Change the code, not the record.",
        )

    def contains_protected(self, path: Path) -> bool:
        return any(path == p or path in p.parents for p in self.paths.protected)

    def write(self, raw: str) -> None:
        """``raw`` is created or written (symlinks followed, as the OS follows them)."""
        if raw in SAFE_TARGETS:
            return
        path = self._path(raw)
        self._outside(raw, path)
        if self.paths.is_protected(path):
            self._protected(raw, path, "write")

    def tree(self, raw: str) -> None:
        """A whole tree is written at ``raw``: it may not hold anything protected either."""
        self.write(raw)
        path = self._path(raw)
        if self.contains_protected(path):
            self._protected(raw, path, "write a tree over")

    def remove(self, raw: str) -> None:
        """``raw`` is removed, renamed or replaced: the entry itself and what it points at."""
        entry = self._path(os.path.dirname(raw.rstrip("/")) or ".") / last_name(raw)
        for path in (entry, self._path(raw)):
            self._outside(raw, path, "remove or replace")
            if self.contains_protected(path) or self.paths.is_protected(path):
                self._protected(raw, path, "remove or replace")

    def linked(self, raw: str, *, base: str = "") -> None:
        """A link will lead to ``raw`` (read from ``base``): never into or around protected
        files, nor out of the writable set, because later writes follow the link."""
        if raw in SAFE_TARGETS:
            return
        shown = join(base, raw) if base and not raw.startswith("/") else raw
        path = self._path(shown)
        if self.contains_protected(path) or self.paths.is_protected(path):
            self._protected(raw, path, "link to")
        self._outside(raw, path, "link to")

    def source(self, raw: str) -> None:
        """``raw`` is copied with its links or recursively: not a protected tree."""
        path = self._path(raw)
        if self.contains_protected(path) or self.paths.is_protected(path):
            self._protected(raw, path, "copy (recursively or as links)")

    def prefix(self, raw: str) -> None:
        """Files named ``raw`` plus a suffix are created: none of them may be protected."""
        directory, name = os.path.split(raw)
        self.write(raw or ".")
        self.write(directory or ".")
        parent = self._path(directory or ".")
        for protected in self.paths.protected:
            if parent in protected.parents:
                first = protected.relative_to(parent).parts[0]
                if first.startswith(name):
                    self._protected(raw + "*", parent / first, "create files named like")

    def is_directory(self, raw: str) -> bool:
        """Whether ``raw`` is an existing directory now (resolving it is the only I/O)."""
        return not raw.startswith("~") and self._path(raw).is_dir()
