"""One agent session on a fresh ``ClaudeSDKClient``: the only module that imports the SDK.

It is also the only place that speaks the SDK's option names, the sandbox's camelCase keys
among them: everything else describes a session with the values in ``agent/session.py``.

The session is hermetic: no user, project or local Claude settings load (their hooks would run
and their CLAUDE.md would be sent), and the CLI's config dir is the harness's own, so nothing the
user has in ``~/.claude`` leaks in and nothing we do leaks out.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ClaudeSDKError,
    CLINotFoundError,
    HookMatcher,
    ProcessError,
    RateLimitEvent,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)

from ..envvars import ADDED_BY_CLI, API_CREDENTIALS
from .session import (
    EventSink,
    Failure,
    SessionEvent,
    SessionOutcome,
    SessionSpec,
    ToolGuard,
    summarize_denials,
)

if TYPE_CHECKING:
    from ..config import McpServer, SandboxConfig

STDERR_LINES = 40
HOOK_TIMEOUT_SECONDS = 30
INTERRUPT_GRACE_SECONDS = 5.0


def bundled_cli() -> tuple[Path | None, str | None]:
    """Path and version of the CLI bundled in the installed SDK wheel (None where missing)."""
    import claude_agent_sdk

    path = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
    version: str | None
    try:
        from claude_agent_sdk._cli_version import __cli_version__ as version
    except ImportError:  # pragma: no cover - an SDK without a bundled CLI
        version = None
    return (path if path.is_file() else None), (str(version) if version else None)


def sdk_version() -> str:
    from claude_agent_sdk import __version__

    return str(__version__)


def sandbox_settings(sandbox: SandboxConfig, spec: SessionSpec) -> dict[str, Any]:
    """The SDK's sandbox option, every safety-relevant setting explicit.

    The shell may not write the protected set (``spec.deny_write``) nor read the harness's own
    CLI config dir; nested user namespaces stay off, or a command could undo the read-only binds.
    """
    return {
        "enabled": True,
        "autoAllowBashIfSandboxed": sandbox.auto_allow_bash_if_sandboxed,
        "allowUnsandboxedCommands": False,
        "allowNestedUserNamespaces": False,
        "failIfUnavailable": sandbox.fail_if_unavailable,
        "network": {"allowedDomains": list(sandbox.allowed_domains)},
        "filesystem": {
            "denyRead": [*sandbox.deny_read, str(spec.config_dir)],
            "denyWrite": [str(path) for path in spec.deny_write],
        },
        "credentials": {
            "envVars": [{"name": n, "mode": "deny"} for n in (*API_CREDENTIALS, *ADDED_BY_CLI)]
        },
    }


def mcp_settings(server: McpServer) -> dict[str, Any]:
    """One entry of the SDK's ``mcp_servers`` option.

    The CLI starts a stdio server with its own environment (the API key among it) plus ``env``,
    so it is started through ``env -u NAME ... --``: no secret reaches it but those its config
    names in ``pass_env`` or sets in ``env``.
    """
    if server.type == "stdio":
        from ..sandbox import withholding_secrets

        keep = {*server.pass_env, *server.env}
        argv = withholding_secrets([server.command or "", *server.args], keep=keep)
        return {"type": "stdio", "command": argv[0], "args": argv[1:], "env": dict(server.env)}
    return {"type": server.type, "url": server.url or "", "headers": dict(server.headers)}


def build_options(
    spec: SessionSpec, stderr_sink: Any = None, denial_sink: EventSink | None = None
) -> ClaudeAgentOptions:
    """Translate a SessionSpec into SDK options, hermetic by construction."""
    mcp: dict[str, Any] = {n: mcp_settings(s) for n, s in spec.mcp_servers.items()}
    sandbox = sandbox_settings(spec.sandbox, spec) if spec.sandbox is not None else None
    system_prompt: dict[str, Any] = {"type": "preset", "preset": "claude_code"}
    if spec.system_prompt_append:
        system_prompt["append"] = spec.system_prompt_append
    env = {**spec.env, "CLAUDE_CONFIG_DIR": str(spec.config_dir)}
    options = ClaudeAgentOptions(
        tools=list(spec.tools),
        # Listed tools run without a permission prompt (there is nobody to answer one);
        # the harness's PreToolUse hooks are what deny, and a hook deny wins in every mode.
        allowed_tools=[*spec.tools, *(f"mcp__{name}" for name in spec.mcp_servers)],
        system_prompt=system_prompt,  # type: ignore[arg-type]
        mcp_servers=mcp,
        strict_mcp_config=True,
        permission_mode=spec.permission_mode,  # type: ignore[arg-type]
        max_turns=spec.max_turns,
        max_budget_usd=spec.max_budget_usd,
        model=spec.model,
        cwd=str(spec.cwd),
        env=env,
        setting_sources=[],
        stderr=stderr_sink,
        hooks=_hooks(spec.guards, denial_sink) if spec.guards else None,
        sandbox=sandbox,  # type: ignore[arg-type]
    )
    return options


def _hooks(guards: tuple[ToolGuard, ...], sink: EventSink | None) -> dict[Any, Any]:
    """PreToolUse hooks that fail closed: an exception or a timeout denies the call."""
    matchers = []
    for guard in guards:

        async def callback(
            input_data: Any, tool_use_id: str | None, context: Any, guard: ToolGuard = guard
        ) -> Any:
            tool = str(input_data.get("tool_name", ""))
            tool_input = input_data.get("tool_input") or {}
            try:
                reason = guard.check(tool, tool_input)
            except Exception as exc:  # a policy that crashes must not let the call through
                reason = f"the {guard.rule} policy could not check this call ({exc}); denied"
            if reason is None:
                return {}
            if sink is not None:
                sink(SessionEvent(kind="denial", tool=tool, text=reason, data={"rule": guard.rule}))
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": reason,
                }
            }

        matchers.append(
            HookMatcher(
                matcher=guard.matcher,
                hooks=[callback],
                timeout=HOOK_TIMEOUT_SECONDS,
                on_failure="block",
            )
        )
    return {"PreToolUse": matchers}


def run_session(spec: SessionSpec, sink: EventSink) -> SessionOutcome:
    """Run one session to its end and describe how it ended; never raises for SDK failures."""
    return asyncio.run(_run(spec, sink))


class _Collector:
    """Accumulates what the stream says about the session's end."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self.model: str | None = None
        self.result: ResultMessage | None = None
        self.assistant_error: str | None = None
        self.retries: list[Mapping[str, Any]] = []
        self.tool_names: dict[str, str] = {}
        self.rate_limit_resets_at: int | None = None

    def handle(self, message: Any) -> None:
        if isinstance(message, SystemMessage):
            self._system(message)
        elif isinstance(message, AssistantMessage):
            if message.error:
                self.assistant_error = str(message.error)
            for block in message.content:
                if isinstance(block, TextBlock) and block.text.strip():
                    self.sink(SessionEvent(kind="text", text=block.text))
                elif isinstance(block, ToolUseBlock):
                    self.tool_names[block.id] = block.name
                    self.sink(
                        SessionEvent(
                            kind="tool_call",
                            tool=block.name,
                            text=_brief_input(block.input),
                            data={"id": block.id, "input": block.input},
                        )
                    )
        elif isinstance(message, UserMessage) and isinstance(message.content, list):
            for block in message.content:
                if isinstance(block, ToolResultBlock):
                    self.sink(
                        SessionEvent(
                            kind="tool_result",
                            tool=self.tool_names.get(block.tool_use_id, ""),
                            text=_content_text(block.content),
                            is_error=bool(block.is_error),
                            data={"id": block.tool_use_id},
                        )
                    )
        elif isinstance(message, RateLimitEvent):
            info = message.rate_limit_info
            if info.status == "rejected" and info.resets_at:
                self.rate_limit_resets_at = int(info.resets_at)
                self.sink(SessionEvent(kind="retry", data={"resets_at": info.resets_at}))
        elif isinstance(message, ResultMessage):
            self.result = message

    def _system(self, message: SystemMessage) -> None:
        data = message.data
        if message.subtype == "init":
            self.model = data.get("model")
            servers = data.get("mcp_servers") or []
            self.sink(
                SessionEvent(
                    kind="init",
                    text=str(self.model or ""),
                    data={"model": self.model, "tools": data.get("tools"), "mcp_servers": servers},
                )
            )
        elif message.subtype == "api_retry":
            retry = {
                "attempt": data.get("attempt"),
                "retry_delay_ms": data.get("retry_delay_ms"),
                "error_status": data.get("error_status"),
            }
            self.retries.append(retry)
            self.sink(SessionEvent(kind="retry", data=retry))


async def _run(spec: SessionSpec, sink: EventSink) -> SessionOutcome:
    stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
    collector = _Collector(sink)
    started = time.monotonic()
    exception: str | None = None
    failure: Failure | None = None
    exit_code: int | None = None
    interrupted = False
    client = ClaudeSDKClient(build_options(spec, stderr.append, sink))
    try:
        await client.connect()
        try:
            await client.query(spec.prompt)
            async for message in client.receive_response():
                collector.handle(message)
        except asyncio.CancelledError:
            # Ctrl+C: ask the CLI to stop the turn, then fall through to a clean disconnect.
            interrupted = True
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(client.interrupt(), INTERRUPT_GRACE_SECONDS)
    except asyncio.CancelledError:
        interrupted = True
    except CLINotFoundError as exc:
        exception, failure = f"{type(exc).__name__}: {exc}", Failure.CLI_NOT_FOUND
    except ProcessError as exc:
        exception, failure = f"{type(exc).__name__}: {exc}", Failure.PROCESS
        exit_code = exc.exit_code
    except (ClaudeSDKError, OSError) as exc:
        exception, failure = f"{type(exc).__name__}: {exc}", Failure.CONNECTION
    except Exception as exc:  # the SDK raises plain Exception for control-protocol timeouts
        if type(exc) is not Exception:
            raise
        exception, failure = f"Exception: {exc}", Failure.CONNECTION
    finally:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(client.disconnect())
    ended = _Ending(exception, failure, exit_code, interrupted)
    outcome = _outcome(collector, spec, started, stderr, ended)
    sink(SessionEvent(kind="result", data=_outcome_data(outcome)))
    return outcome


@dataclass(frozen=True)
class _Ending:
    """How the SDK call itself ended, apart from what the stream said."""

    exception: str | None
    failure: Failure | None
    exit_code: int | None
    interrupted: bool


def _outcome(
    collector: _Collector,
    spec: SessionSpec,
    started: float,
    stderr: collections.deque[str],
    ended: _Ending,
) -> SessionOutcome:
    result = collector.result
    exception = ended.exception
    tail = "\n".join(stderr)
    common: dict[str, Any] = {
        "assistant_error": collector.assistant_error,
        "model": collector.model or spec.model,
        "retries": tuple(collector.retries),
        "rate_limit_resets_at": collector.rate_limit_resets_at,
        "exception": exception,
        "failure": ended.failure,
        "exit_code": ended.exit_code,
        "stderr_tail": tail[-2000:],
        "interrupted": ended.interrupted,
    }
    if result is None:
        return SessionOutcome(
            is_error=True,
            duration_ms=int((time.monotonic() - started) * 1000),
            **common,
        )
    usage = result.usage or {}
    return SessionOutcome(
        is_error=bool(result.is_error) or exception is not None,
        subtype=result.subtype,
        terminal_reason=result.terminal_reason,
        api_error_status=result.api_error_status,
        cost_usd=float(result.total_cost_usd or 0.0),
        num_turns=int(result.num_turns or 0),
        duration_ms=int(result.duration_ms or 0),
        input_tokens=_int(usage.get("input_tokens"))
        + _int(usage.get("cache_creation_input_tokens"))
        + _int(usage.get("cache_read_input_tokens")),
        output_tokens=_int(usage.get("output_tokens")),
        result_text=(result.result or "")[:2000],
        denials=summarize_denials(result.permission_denials or []),
        errors=tuple(str(e) for e in (result.errors or [])),
        **common,
    )


def _outcome_data(outcome: SessionOutcome) -> dict[str, Any]:
    return {
        "is_error": outcome.is_error,
        "subtype": outcome.subtype,
        "terminal_reason": outcome.terminal_reason,
        "api_error_status": outcome.api_error_status,
        "assistant_error": outcome.assistant_error,
        "cost_usd": outcome.cost_usd,
        "num_turns": outcome.num_turns,
        "duration_ms": outcome.duration_ms,
        "model": outcome.model,
        "denials": list(outcome.denials),
        "exception": outcome.exception,
    }


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _brief_input(tool_input: Mapping[str, Any]) -> str:
    for key in ("command", "file_path", "path", "pattern", "url"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return value.splitlines()[0][:160] if value.strip() else value
    return json.dumps(tool_input)[:160]


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = [c.get("text", "") for c in content if isinstance(c, dict)]
    return "\n".join(p for p in parts if p)
