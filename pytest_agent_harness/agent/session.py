"""What goes into one agent session and what comes out, free of any SDK import.

The loop, display, recovery and books work with these values, so only ``agent/sdk.py`` has to
know the SDK's message classes and option names.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..config import McpServer, SandboxConfig


ToolCheck = Callable[[str, Mapping[str, Any]], "str | None"]
"""(tool name, tool input) -> None to allow, or the reason to deny, written for the model."""


@dataclass(frozen=True, kw_only=True)
class ToolGuard:
    """A policy run before every call of the tools ``matcher`` (a regex) names."""

    matcher: str
    check: ToolCheck
    rule: str


@dataclass(frozen=True, kw_only=True)
class SessionSpec:
    """Everything one fresh-context session needs."""

    prompt: str
    cwd: Path
    config_dir: Path
    model: str | None = None
    system_prompt_append: str = ""
    tools: tuple[str, ...] = ()
    mcp_servers: Mapping[str, McpServer] = field(default_factory=dict)
    """By name, ``${VAR}`` already expanded."""
    permission_mode: str = "acceptEdits"
    max_turns: int | None = None
    max_budget_usd: float | None = None
    sandbox: SandboxConfig | None = None
    """The OS sandbox for Bash; None runs it unsandboxed."""
    deny_write: tuple[Path, ...] = ()
    """Paths inside the writable project that the sandboxed shell must not write."""
    env: Mapping[str, str] = field(default_factory=dict)
    guards: tuple[ToolGuard, ...] = ()


EventKind = Literal[
    "init", "text", "tool_call", "tool_result", "denial", "retry", "result", "stderr", "error"
]


@dataclass(frozen=True, kw_only=True)
class SessionEvent:
    """One thing that happened in a session, for the console and the transcript."""

    kind: EventKind
    text: str = ""
    tool: str = ""
    is_error: bool = False
    data: Mapping[str, Any] = field(default_factory=dict)


EventSink = Callable[[SessionEvent], None]


class Failure(str, enum.Enum):
    """What kind of exception ended a session early, decided by type in the adapter."""

    CLI_NOT_FOUND = "cli_not_found"
    PROCESS = "process"
    """The CLI exited or was killed."""
    CONNECTION = "connection"
    """The SDK's stream or control protocol broke (including a timeout)."""


@dataclass(frozen=True, kw_only=True)
class SessionOutcome:
    """The facts of a finished session, taken from the ResultMessage and what preceded it."""

    is_error: bool
    subtype: str | None = None
    terminal_reason: str | None = None
    api_error_status: int | None = None
    assistant_error: str | None = None
    cost_usd: float = 0.0
    num_turns: int = 0
    duration_ms: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    model: str | None = None
    result_text: str = ""
    denials: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    retries: tuple[Mapping[str, Any], ...] = ()
    """The CLI's own ``api_retry`` reports: attempt, retry_delay_ms, error_status."""
    rate_limit_resets_at: int | None = None
    """Unix time at which a rejected usage limit resets, when the CLI reported one."""
    exception: str | None = None
    """``Type: message`` of an SDK exception that ended the session, if any."""
    failure: Failure | None = None
    """The kind of that exception."""
    exit_code: int | None = None
    """The CLI's exit code when it died (e.g. -9 when killed)."""
    stderr_tail: str = ""
    interrupted: bool = False

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def summarize_denials(denials: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """Short ``Tool: input`` lines for the denials a ResultMessage lists."""
    lines = []
    for denial in denials:
        tool = str(denial.get("tool_name", "?"))
        tool_input = denial.get("tool_input") or {}
        detail = tool_input.get("command") or tool_input.get("file_path") or ""
        lines.append(f"{tool}: {detail}"[:200] if detail else tool)
    return tuple(lines)
