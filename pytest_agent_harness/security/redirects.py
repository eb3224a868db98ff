"""Redirections in a bash script: writes must land inside the project, never on harness files."""

from __future__ import annotations

from typing import Any

from .denial import no
from .paths import PathPolicy, resolve
from .words import static_value

WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&", "&>|"})
SAFE_TARGETS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})


def check_redirect(node: Any, paths: PathPolicy) -> None:
    """Deny a ``file_redirect`` node that writes anywhere ``paths`` does not allow."""
    operator = _write_operator(node)
    if operator is None:
        return  # reads (<, <<<) are fine; the file tools' read rules do not apply to Bash
    destination = node.child_by_field_name("destination")
    if destination is None:
        raise no("redirect", "a redirection without a target")
    if operator == ">&" and destination.type == "number":
        return  # 2>&1
    target = static_value(destination)
    if target is None:
        raise no("redirect-dynamic", "redirect to a literal path inside the project")
    if target in SAFE_TARGETS or target == "-":
        return
    if target.startswith("~"):
        raise no("redirect-outside", f"{target}: ~ depends on the shell; write inside the project")
    path = resolve(target, paths.project_dir)
    if not paths.allows(path) or paths.is_protected(path):
        raise no(
            "redirect-outside",
            f"writing to {target} is not allowed: it is outside the "
            "project or belongs to the harness",
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
