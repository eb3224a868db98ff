"""MCP tool restrictions: regexes over a call's input JSON, and an allowlist of input keys."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import McpRestriction


def check_mcp(
    restrictions: Mapping[str, McpRestriction], tool: str, tool_input: Mapping[str, Any]
) -> str | None:
    """None when the call may run; otherwise why not. Tool names may be globs in the config."""
    text = json.dumps(tool_input, sort_keys=True, ensure_ascii=False)
    for pattern, rule in restrictions.items():
        if not fnmatch.fnmatchcase(tool, pattern):
            continue
        for regex in rule.blocked_patterns:
            if regex.search(text):
                return f"{tool}: its input matches the blocked pattern {regex.pattern!r}"
        if rule.allowed_args:
            extra = sorted(set(tool_input) - set(rule.allowed_args))
            if extra:
                allowed = ", ".join(rule.allowed_args)
                return f"{tool}: argument(s) {', '.join(extra)} not allowed (only {allowed})"
    return None
