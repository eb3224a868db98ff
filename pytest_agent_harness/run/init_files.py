"""The ``init_files`` a run copies into the project (the app spec), kept in step with their source.

The harness records the hash of what it wrote. When the source changes later (the person edits
``.agent-harness/prompts/app_spec.txt`` after a first run) and the project's copy is still the one
the harness wrote, the copy is replaced; when both changed, the project's copy is kept and the run
says so. A copy the harness did not write (there before the first run) is never replaced.

Copies are written by rename (``write_atomic``) and the project's copy is read refusing links, so
a link planted at the destination is replaced, never written through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path

from ..config import InitFile
from ..errors import PlantedLinkError
from ..files import read_bytes, write_atomic
from ..layout import Layout


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _shown(source: Path, layout: Layout) -> str:
    """The source as the person knows it: relative to the project when inside it."""
    root = layout.project_dir
    return source.relative_to(root).as_posix() if root in source.parents else str(source)


def _current(path: str, layout: Layout) -> str | None:
    """The hash of the project's copy; None when there is none; '' when it is not a plain file."""
    try:
        return _digest(read_bytes(layout.project_dir / path))
    except FileNotFoundError:
        return None
    except (OSError, PlantedLinkError):
        return ""


def sync_init_files(
    files: Sequence[InitFile],
    layout: Layout,
    written: MutableMapping[str, str],
    say: Callable[[str], None],
    warn: Callable[[str], None],
) -> None:
    """Copy each init file the project lacks, or whose source changed while the project's copy
    stayed as the harness wrote it; ``written`` maps each destination to the hash of what the
    harness wrote there, and is updated."""
    for init_file in files:
        source = read_bytes(init_file.source)
        wanted, dest = _digest(source), init_file.dest
        current, recorded = _current(dest, layout), written.get(dest)
        if current == wanted:
            written[dest] = wanted  # in step (or made so by hand): the harness's from now on
            continue
        if current is not None and current != recorded:
            if recorded is not None and recorded != "conflict:" + wanted:
                warn(
                    f"{init_file.source} changed, and so did the project's {dest}: keeping the "
                    f"project's; delete {dest} to take the new {init_file.source.name}"
                )
                written[dest] = "conflict:" + wanted  # said once per change of the source
            continue
        write_atomic(layout.project_dir / dest, source)
        written[dest] = wanted
        verb = "Copied" if current is None else "Updated (its source changed)"
        say(f"{verb} {_shown(init_file.source, layout)} to {dest}")
