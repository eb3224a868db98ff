"""Config trust: a config runs only in the exact form a person has trusted.

The config says which programs the harness starts outside any sandbox (MCP servers, the pytest
command) and how tightly the agent is held, so a config edited by anything but a person (an
agent that got past a layer, a stray script) must not take effect silently. Like direnv's
``allow``: the first run of a config, or ``agent-harness trust``, records its hash in the user's
state dir, outside every project; a later run whose config differs refuses to start and names
the keys that changed, until a person runs ``agent-harness trust`` (or passes ``--trust-config``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import HarnessError
from .files import read_bytes, write_atomic
from .layout import Layout

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class UntrustedConfig(HarnessError):
    """The config changed since a person last trusted it."""

    def __init__(self, path: Path, changed: list[str]) -> None:
        self.path = path
        self.changed = changed
        shown = ", ".join(changed[:12]) + (", ..." if len(changed) > 12 else "")
        super().__init__(
            f"{path} changed since it was last trusted ({shown}); review it, then run "
            "`agent-harness trust` (in CI: pass --trust-config)"
        )


def flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """Dotted key -> JSON of the value, for naming what changed."""
    if isinstance(data, dict):
        out: dict[str, str] = {}
        for name, value in data.items():
            out.update(flatten(value, f"{prefix}.{name}" if prefix else str(name)))
        return out
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        out = {}
        for index, item in enumerate(data):
            out.update(flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: json.dumps(data, sort_keys=True, default=str)}


def _values(raw: bytes) -> dict[str, str]:
    try:
        return flatten(tomllib.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {"(the whole file)": hashlib.sha256(raw).hexdigest()}


def changed_keys(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def standing(layout: Layout) -> str:
    """Whether the config is trusted as it is now, read only (for ``run --dry-run``)."""
    raw = read_bytes(layout.config)
    old = _load(layout.trust_record)
    if old.get("sha256") == hashlib.sha256(raw).hexdigest():
        return "trusted"
    if not old:
        return "not trusted yet: a run trusts it on its first run"
    changed = ", ".join(changed_keys(old.get("values", {}), _values(raw)))
    return f"CHANGED since it was trusted ({changed}): a run refuses it until `agent-harness trust`"


def trust(layout: Layout) -> list[str]:
    """Record the config as it is now as trusted; the keys that changed since the last record."""
    raw = read_bytes(layout.config)
    path = layout.trust_record
    old = _load(path)
    values = _values(raw)
    record = {
        "config": str(layout.config),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "values": values,
    }
    write_atomic(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return changed_keys(old.get("values", {}), values) if old else []


def check(layout: Layout, *, accept: bool = False) -> str:
    """Raise ``UntrustedConfig`` if the config changed since it was trusted (unless ``accept``);
    a line to show when the config was trusted just now, else ''."""
    raw = read_bytes(layout.config)
    old = _load(layout.trust_record)
    if old.get("sha256") == hashlib.sha256(raw).hexdigest():
        return ""
    if not old:
        trust(layout)
        return f"Trusted {layout.config} on its first run (`agent-harness trust` after edits)"
    changed = changed_keys(old.get("values", {}), _values(raw))
    if not accept:
        raise UntrustedConfig(layout.config, changed)
    trust(layout)
    return f"Trusted the changed {layout.config} (--trust-config): {', '.join(changed)}"


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_bytes(path))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
