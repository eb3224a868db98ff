"""Test an agent-harness config offline: a scripted Messages API for the real Claude Code CLI.

``ScriptedModel`` is a real HTTP server on 127.0.0.1 that answers the CLI from a script of
replies, so whole sessions run with real tools and no credentials or network. The pytest
fixtures ``scripted_model`` and ``claude_env`` live in ``testing.pytest_plugin``.
Importing this package loads only the standard library.
"""

from __future__ import annotations

from .script import BrokenStream, Delay, HttpError, Reply, Request, Turn, text, tool_use
from .server import ScriptedModel

__all__ = [
    "BrokenStream",
    "Delay",
    "HttpError",
    "Reply",
    "Request",
    "ScriptedModel",
    "Turn",
    "text",
    "tool_use",
]
