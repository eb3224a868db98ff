"""File-path policy for the file tools: resolve every path, allow only ``allowed_paths``.

Paths are resolved the way the OS will (``~``, relative to the project, ``..``, symlinks), so a
symlink inside the project that points outside is outside. The harness's own files and, when
the tracker reads evidence, the tracker file are never written by the agent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

WRITE_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
READ_TOOLS = frozenset({"Read", "Glob", "Grep"})
PATH_KEYS = ("file_path", "notebook_path", "path")


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """``**`` spans directories, ``*`` and ``?`` stay within one; ``./`` means the project."""
    if pattern.startswith("./"):
        pattern = pattern[2:]
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")  # any number of directories, including none
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def resolve(raw: str, base: Path) -> Path:
    """Where the OS will really go: ``~`` expanded, relative to base, symlinks followed."""
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute():
        path = base / path
    return Path(os.path.realpath(path))


@dataclass(frozen=True, kw_only=True)
class PathPolicy:
    project_dir: Path
    allowed_paths: tuple[str, ...] = ("./**",)
    protected: tuple[Path, ...] = ()
    """Files or directories (resolved) the agent may read but never write."""

    @cached_property
    def _root(self) -> Path:
        return Path(os.path.realpath(self.project_dir))

    @cached_property
    def _patterns(self) -> tuple[tuple[bool, re.Pattern[str]], ...]:
        return tuple(
            (pattern.startswith(("/", "~")), glob_to_regex(os.path.expanduser(pattern)))
            for pattern in self.allowed_paths
        )

    def allows(self, path: Path) -> bool:
        root = self._root
        inside = path == root or root in path.parents
        relative = path.relative_to(root).as_posix() if inside else None
        if relative == ".":
            relative = ""
        for absolute, regex in self._patterns:
            target = path.as_posix() if absolute else relative
            if target is not None and regex.match(target):
                return True
        return False

    def is_protected(self, path: Path) -> bool:
        return any(path == p or p in path.parents for p in self.protected)

    def check(self, tool: str, tool_input: Mapping[str, Any]) -> str | None:
        """None when the call may run; otherwise the reason, written for the model."""
        for raw in _paths(tool, tool_input):
            path = resolve(raw, self._root)
            if not self.allows(path):
                return (
                    f"{tool} on {raw} is not allowed: it resolves to {path}, outside the paths "
                    f"this project allows ({', '.join(self.allowed_paths)}). "
                    f"Work inside {self._root}."
                )
            if tool in WRITE_TOOLS and self.is_protected(path):
                return (
                    f"{tool} on {raw} is not allowed: {path} belongs to the harness "
                    "(its config, state, or the tracker it checks). "
                    "Change the code, not the record."
                )
        return None


def _paths(tool: str, tool_input: Mapping[str, Any]) -> Iterable[str]:
    for key in PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            yield value
    if tool == "Glob":
        pattern = tool_input.get("pattern")
        if isinstance(pattern, str) and pattern.startswith(("/", "~")):
            # An absolute pattern searches wherever it points: check its fixed leading part.
            fixed = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
            yield fixed or "/"
