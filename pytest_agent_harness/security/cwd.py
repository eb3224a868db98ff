"""Which directory a script is in at each point, so relative paths are judged from there.

``mkdir -p sub && cd sub && echo ok > ../x`` writes the project's ``x``, not a file beside
the project: a path is only meaningful with the directory it is relative to. A state is the
set of directories the shell may be in at a point (``cd a; ...`` may have failed), kept as
bash's ``cd`` keeps ``$PWD``: logical paths, ``..`` taken lexically, symlinks resolved only
when the OS opens a path. ``None`` in a state is a directory the policy cannot know; a
relative path from there is refused.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path

from .denial import no
from .paths import PathPolicy

Dirs = frozenset[Path | None]
UNKNOWN: Dirs = frozenset({None})


@functools.lru_cache(maxsize=64)
def start(project_dir: Path) -> Dirs:
    """Every script starts in the project root (the CLI runs the shell there)."""
    return frozenset({Path(os.path.normpath(os.path.abspath(project_dir)))})


def locate(raw: str, cwd: Path | None, program: str) -> Path:
    """Where the OS opens ``raw`` from ``cwd``: symlinks followed, as the kernel follows them."""
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute():
        if cwd is None:
            raise no(
                "cwd-unknown",
                f"{program} {raw}: after that cd the policy cannot tell which directory the "
                "shell is in; cd to a literal directory with && (cd sub && ...), or use a "
                "path from the project root",
            )
        path = cwd / path
    return Path(os.path.realpath(path))


def change(dirs: Iterable[Path | None], target: str, paths: PathPolicy, name: str) -> Dirs:
    """The state after ``cd target`` succeeds from each of ``dirs``; deny a destination
    outside the project or inside its protected set, from any of them."""
    landed: set[Path | None] = set()
    for cwd in dirs:
        if cwd is None and not target.startswith("/"):
            landed.add(None)
            continue
        base = cwd or Path("/")
        # bash -L takes ``..`` lexically; when that directory cannot be entered it retries
        # the path as the OS resolves it: either may be where the shell ends up.
        for candidate in {Path(os.path.normpath(base / target)), locate(target, base, name)}:
            real = Path(os.path.realpath(candidate))
            if not paths.allows(real):
                raise no(
                    "cd-outside", f"{name} may only go to a literal directory inside the project"
                )
            if paths.is_protected(real):
                raise no(
                    "protected-path",
                    f"{name} {target}: that directory belongs to the harness or the repository; "
                    "work from the project and read its files by path (cat .git/config)",
                )
            landed.add(candidate)
    return frozenset(landed)


def at_root(dirs: Iterable[Path | None], project_dir: Path) -> bool:
    """Whether the shell is surely in the project root (``./init.sh`` means the root's)."""
    root = os.path.realpath(project_dir)
    return all(d is not None and os.path.realpath(d) == root for d in dirs)
