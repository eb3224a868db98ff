"""What the scripted model says: turns of text and tool calls, errors, broken streams, delays."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):024d}"


def text(content: str) -> dict[str, Any]:
    """A text block."""
    return {"type": "text", "text": content}


def tool_use(name: str, tool_input: Mapping[str, Any], id: str | None = None) -> dict[str, Any]:
    """A tool call; the id is generated unless given."""
    return {
        "type": "tool_use",
        "id": id or _next_id("toolu"),
        "name": name,
        "input": dict(tool_input),
    }


DEFAULT_USAGE = {"input_tokens": 100, "output_tokens": 20}


@dataclass(frozen=True)
class Turn:
    """One assistant message. ``stop_reason`` is ``tool_use`` when it calls a tool."""

    blocks: tuple[dict[str, Any], ...]
    usage: Mapping[str, int]
    headers: Mapping[str, str]
    stop_reason: str

    def __init__(
        self,
        *blocks: dict[str, Any],
        usage: Mapping[str, int] | None = None,
        headers: Mapping[str, str] | None = None,
        stop_reason: str | None = None,
    ) -> None:
        object.__setattr__(self, "blocks", tuple(blocks))
        object.__setattr__(self, "usage", dict(usage or DEFAULT_USAGE))
        object.__setattr__(self, "headers", dict(headers or {}))
        calls_tool = any(b.get("type") == "tool_use" for b in blocks)
        object.__setattr__(
            self, "stop_reason", stop_reason or ("tool_use" if calls_tool else "end_turn")
        )


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class HttpError:
    """An HTTP error answer; the body defaults to the API's error JSON for that status."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        body = self.body
        if body is None:
            kind = _ERROR_TYPES.get(self.status, "api_error")
            body = {"type": "error", "error": {"type": kind, "message": f"scripted {self.status}"}}
        return body if isinstance(body, bytes) else json.dumps(body).encode()


@dataclass(frozen=True)
class BrokenStream:
    """Starts streaming a message, then cuts the connection after ``after_events`` events."""

    after_events: int = 2


@dataclass(frozen=True)
class Delay:
    """Waits ``seconds``, then plays ``then``."""

    seconds: float
    then: Reply


Reply = Turn | HttpError | BrokenStream | Delay


@dataclass(frozen=True)
class Request:
    """One request the CLI sent, as recorded by the server."""

    path: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    received_at: float = 0.0
    """``time.monotonic()`` when the request arrived."""

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def system(self) -> str:
        system = self.body.get("system") or ""
        if isinstance(system, list):
            return "\n".join(b.get("text", "") for b in system if isinstance(b, dict))
        return str(system)

    @property
    def tools(self) -> list[str]:
        return [str(t.get("name")) for t in self.body.get("tools") or [] if isinstance(t, dict)]

    @property
    def last_user_text(self) -> str:
        """The text of the last user message (tool results excluded)."""
        for message in reversed(self.messages):
            if message.get("role") != "user":
                continue
            content = message.get("content")
            if isinstance(content, str):
                return content
            texts = [b.get("text", "") for b in content or [] if b.get("type") == "text"]
            if texts:
                return "\n".join(texts)
        return ""

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """Tool results in the last user message: tool_use_id, content (as text), is_error."""
        if not self.messages or self.messages[-1].get("role") != "user":
            return []
        content = self.messages[-1].get("content")
        results = []
        for block in content if isinstance(content, list) else []:
            if block.get("type") != "tool_result":
                continue
            inner = block.get("content")
            if isinstance(inner, list):
                inner = "\n".join(b.get("text", "") for b in inner if isinstance(b, dict))
            results.append(
                {
                    "tool_use_id": block.get("tool_use_id"),
                    "content": inner or "",
                    "is_error": bool(block.get("is_error")),
                }
            )
        return results
