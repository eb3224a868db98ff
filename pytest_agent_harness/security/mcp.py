"""MCP tool restrictions: regexes over a call's input JSON, and an allowlist of input keys.

A blocked pattern such as ``file://`` must not be dodged by spelling the URL another way a
browser still accepts: ``FILE:///etc``, ``file:/etc``, ``file://localhost/etc``, a tab inside
the scheme, backslashes for slashes. Each string in the input is also read as a normalised URL
(scheme lower-cased, a local ``file:`` URL as ``file:///PATH``), and patterns match
case-insensitively on the input's JSON and on each string in it (so ``^file:`` works), both as
given and normalised.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import McpRestriction

SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)", re.DOTALL)
SPECIAL = frozenset({"file", "http", "https", "ws", "wss", "ftp"})
"""Schemes in which browsers read a backslash as a slash (WHATWG URL)."""
EMBEDDED_FILE = re.compile(r"(?i)\bfile:[\\/]*(?:localhost(?=[\\/]))?[\\/]*")
"""A ``file:`` URL inside a longer string (a script, a list of URLs)."""


def normalise_url(value: str) -> str:
    """``value`` as a browser would read it when it is a URL; other strings come back as is."""
    text = re.sub(r"[\t\n\r]", "", value).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                                 "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
                                                 "\x19\x1a\x1b\x1c\x1d\x1e\x1f ")  # fmt: skip
    match = SCHEME.fullmatch(text)
    if match is None:
        return EMBEDDED_FILE.sub("file:///", value)
    scheme, rest = match[1].lower(), match[2]
    if scheme in SPECIAL:
        rest = rest.replace("\\", "/")
    if scheme != "file":
        return EMBEDDED_FILE.sub("file:///", f"{scheme}:{rest}")  # view-source:file:/x
    if rest.startswith("//"):
        host, _, path = rest[2:].partition("/")
        if host.lower() not in ("", "localhost"):
            return f"file://{host.lower()}/{path}"
        return "file:///" + path
    return "file:///" + rest.lstrip("/")


def _strings(value: Any) -> list[str]:
    """Every string in ``value``, nested ones included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_url(value)
    if isinstance(value, Mapping):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalised(item) for item in value]
    return value


@functools.cache
def _insensitive(regex: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(regex.pattern, regex.flags | re.IGNORECASE)


def check_mcp(
    restrictions: Mapping[str, McpRestriction], tool: str, tool_input: Mapping[str, Any]
) -> str | None:
    """None when the call may run; otherwise why not. Tool names may be globs in the config."""
    normalised = _normalised(tool_input)
    texts = (
        json.dumps(tool_input, sort_keys=True, ensure_ascii=False),
        json.dumps(normalised, sort_keys=True, ensure_ascii=False),
        *_strings(tool_input),
        *_strings(normalised),
    )
    for pattern, rule in restrictions.items():
        if not fnmatch.fnmatchcase(tool, pattern):
            continue
        for regex in rule.blocked_patterns:
            if any(_insensitive(regex).search(text) for text in texts):
                return f"{tool}: its input matches the blocked pattern {regex.pattern!r}"
        if rule.allowed_args:
            extra = sorted(set(tool_input) - set(rule.allowed_args))
            if extra:
                allowed = ", ".join(rule.allowed_args)
                return f"{tool}: argument(s) {', '.join(extra)} not allowed (only {allowed})"
    return None
