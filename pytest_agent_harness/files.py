"""How the harness reads and writes its own files: atomically, and never through a link.

An agent that plants a symbolic or hard link where a harness file goes (a transcript, the
ledger, the state, the baseline) would have the harness write its lines wherever the link points,
such as the user's shell start-up file. So every harness file is opened with ``O_NOFOLLOW``, must
be a regular file with one name, and must sit in a folder whose path holds no link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from .errors import PlantedLinkError
from .layout import TEMP_MARK


def _check_folder(path: Path) -> None:
    """The folders above ``path`` (absolute, built from a resolved root) hold no link."""
    parent = path.parent
    if os.path.realpath(parent) != os.path.abspath(parent):
        raise PlantedLinkError(path, "a folder on its path is a link")


def _open(path: Path, flags: int) -> int:
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PlantedLinkError(path, "is a symbolic link") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)
        what = "is not a regular file" if not stat.S_ISREG(info.st_mode) else "is a hard link"
        raise PlantedLinkError(path, what)
    return fd


def open_append(path: Path) -> BinaryIO:
    """``path`` opened for appending (and reading; created if missing), refusing links."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _check_folder(path)
    return os.fdopen(_open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT), "a+b")


def read_bytes(path: Path) -> bytes:
    """The content of ``path``, refusing links; FileNotFoundError when it does not exist."""
    _check_folder(path)
    with os.fdopen(_open(path, os.O_RDONLY), "rb") as handle:
        return handle.read()


def read_text(path: Path) -> str:
    return read_bytes(path).decode("utf-8")


def write_atomic(path: Path, text: str | bytes) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old or the new content.

    The rename replaces a link planted at ``path`` rather than writing through it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _check_folder(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def remove_stale_temp_files(*directories: Path) -> list[Path]:
    """Delete the half-written files a killed ``write_atomic`` left; call under the run lock."""
    removed = []
    for directory in dict.fromkeys(directories):
        for path in directory.glob(f".*{TEMP_MARK}*.tmp"):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
