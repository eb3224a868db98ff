"""The frozen config values; each key's TOML name, kind, default, check and help, once.

Every field made by ``key``, ``table``, ``named`` or ``array`` is a config key: the loader reads
it generically and ``key_help`` shows its help, so adding a key is adding a field here. Fields
made otherwise (paths, ``sources``, ``Phase.prompt_file``) are derived by the loader.
"""

# ruff: noqa: RUF009  -- key(), table(), named() and array() return dataclasses.field(...)

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..layout import Layout
from .fields import (
    above,
    array,
    at_least,
    did_you_mean,
    help_for,
    key,
    matches,
    named,
    non_empty,
    one_of,
    table,
)
from .limits import BudgetConfig, ErrorRecoveryConfig, NotifyConfig, ParallelConfig
from .strength import StrengthConfig

KNOWN_TOOLS = (
    "Read", "Write", "Edit", "MultiEdit", "NotebookEdit", "Glob", "Grep", "Bash",
    "WebFetch", "WebSearch", "TodoWrite", "Task",
)  # fmt: skip
DEFAULT_TOOLS = ("Read", "Write", "Edit", "Glob", "Grep", "Bash")
PERMISSION_MODES = ("acceptEdits", "bypassPermissions", "plan", "default")
EVIDENCE_KINDS = ("field", "junit", "pytest")
SERVER_TYPES = ("stdio", "sse", "http")
DEFAULT_DENY_READ = (
    "~/.claude",
    "~/.claude.json",
    "~/.ssh",
    "~/.aws",
    "~/.config/gcloud",
    "~/.git-credentials",
    "~/.netrc",
    "~/.config/gh",
)
"""Credential stores no session needs to read; the harness's own CLI config dir is added."""
DEFAULT_AUTHOR = "agent-harness <agent-harness@localhost>"
CHMOD_MODE = r"^([0-7]{3,4}|[ugoa]*[-+=][rwxXst]+)$"


def report_folder(pattern: str) -> Path:
    """The folder part of a report glob before any wildcard (``reports/junit-*.xml``: reports)."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def _tool_names(value: list[str]) -> str | None:
    for index, name in enumerate(value):
        if name not in KNOWN_TOOLS:
            return f"item [{index}]: unknown tool '{name}'{did_you_mean(name, KNOWN_TOOLS)}"
    return None


def _server_name(name: str) -> str | None:
    if re.match(r"^[A-Za-z0-9_-]+$", name):
        return None
    return "server names may hold only letters, digits, '_' and '-'"


def _mcp_tool_name(name: str) -> str | None:
    if name.startswith("mcp__"):
        return None
    return "tool names look like mcp__SERVER__TOOL (globs such as mcp__web__* work)"


@dataclass(frozen=True, kw_only=True)
class McpServer:
    """``[tools.mcp_servers.NAME]``; ``${VAR}`` in its strings is expanded at load time."""

    type: Literal["stdio", "sse", "http"] = key(
        "stdio", check=one_of(*SERVER_TYPES), help="How the server is reached: stdio, sse or http."
    )
    command: str | None = key(None, check=non_empty, help="Program to start (stdio).")
    args: tuple[str, ...] = key((), "list[str]", help="Its arguments (stdio).")
    env: Mapping[str, str] = key({}, "table[str]", help="Extra environment for it (stdio).")
    url: str | None = key(None, help="The http:// or https:// address (sse, http).")
    headers: Mapping[str, str] = key({}, "table[str]", help="Request headers (sse, http).")
    pass_env: tuple[str, ...] = key(
        (),
        "list[str]",
        help="Secret variables it needs from the environment (stdio); others are withheld.",
    )


@dataclass(frozen=True, kw_only=True)
class ToolsConfig:
    builtin: tuple[str, ...] = key(
        DEFAULT_TOOLS, "list[str]", check=_tool_names, help="Built-in tools the agent may use."
    )
    mcp_servers: Mapping[str, McpServer] = named(
        McpServer, name_check=_server_name, help="MCP servers; their tools are mcp__NAME__TOOL."
    )


@dataclass(frozen=True, kw_only=True)
class SandboxConfig:
    enabled: bool = key(True, "bool", help="Run Bash in the CLI's OS sandbox.")
    auto_allow_bash_if_sandboxed: bool = key(
        True, "bool", help="Sandboxed Bash calls need no permission prompt."
    )
    fail_if_unavailable: bool = key(
        True, "bool", help="Refuse to run when the sandbox cannot (false: run Bash unsandboxed)."
    )
    allowed_domains: tuple[str, ...] = key(
        (), "list[str]", help="Hosts sandboxed commands may reach."
    )
    deny_read: tuple[str, ...] = key(
        DEFAULT_DENY_READ, "list[str]", help="Paths sandboxed commands may not read."
    )


@dataclass(frozen=True, kw_only=True)
class ExtraValidator:
    allowed_targets: tuple[str, ...] = key(
        (), "list[str]", help="What the command may act on (e.g. process names for pkill)."
    )
    allowed_modes: tuple[str, ...] = key(
        (),
        "list[str]",
        check=matches(CHMOD_MODE, "'{}' is not a chmod mode (such as 755 or +x)"),
        help="Modes chmod may set (such as +x or 755).",
    )


@dataclass(frozen=True, kw_only=True)
class BashConfig:
    allowed_commands: tuple[str, ...] = key(
        (), "list[str]", help="Programs the agent may run through Bash, on top of the base set."
    )
    inherit_base: bool = key(True, "bool", help="Include the base set of harmless commands.")
    extra_validators: Mapping[str, ExtraValidator] = named(
        ExtraValidator, help="Per-command limits, as [security.bash.extra_validators.CMD]."
    )


@dataclass(frozen=True, kw_only=True)
class McpRestriction:
    blocked_patterns: tuple[re.Pattern[str], ...] = key(
        (), "list[str]", help="Regexes; a call whose input JSON matches one is denied."
    )
    allowed_args: tuple[str, ...] = key(
        (), "list[str]", help="Input keys the tool may receive; empty allows all."
    )


@dataclass(frozen=True, kw_only=True)
class GitPolicyConfig:
    agent_writes: bool = key(
        False,
        "bool",
        help="Let the agent add, commit, branch and stash; by default its git is read-only.",
    )
    allowed_remotes: tuple[str, ...] = key(
        (),
        "list[str]",
        help="URLs or paths push, fetch and pull may name besides configured remote names.",
    )


@dataclass(frozen=True, kw_only=True)
class SecurityConfig:
    permission_mode: str = key(
        "acceptEdits",
        check=one_of(*PERMISSION_MODES),
        help="The CLI's permission mode: acceptEdits, bypassPermissions, plan or default.",
    )
    allowed_paths: tuple[str, ...] = key(
        ("./**",), "list[str]", help="Globs where the file tools may work, from the project."
    )
    sandbox: SandboxConfig = table(
        SandboxConfig, help="The CLI's OS sandbox for Bash (needs bwrap and socat on Linux)."
    )
    bash: BashConfig = table(BashConfig, help="What the agent may run through Bash.")
    git: GitPolicyConfig = table(GitPolicyConfig, help="What the agent's git may do.")
    tool_restrictions: Mapping[str, McpRestriction] = named(
        McpRestriction,
        toml="mcp.tool_restrictions",
        name_check=_mcp_tool_name,
        help="Limits on MCP tool calls, as [security.mcp.tool_restrictions.TOOL].",
    )


@dataclass(frozen=True, kw_only=True)
class TrackingConfig:
    type: str = key(
        "json_checklist",
        check=non_empty,
        help="Tracker: json_checklist, junit, pytest, notes_file, none, or a plugin's.",
    )
    file: str = key(
        "feature_list.json", check=non_empty, help="The checklist or notes file, in the project."
    )
    passing_field: str = key(
        "passes", check=non_empty, help="The checklist field that marks an item passing."
    )
    evidence: str = key(
        "field",
        check=one_of(*EVIDENCE_KINDS),
        help="Where a checklist item's verdict comes from: field, junit or pytest.",
    )
    junit_paths: tuple[str, ...] = key(
        (), "list[str]", help="JUnit XML reports to read (globs in the project)."
    )
    junit_command: tuple[str, ...] = key(
        (),
        "list[str]",
        help="The command the harness runs to write those reports (argv, e.g. npm test).",
    )
    junit_timeout: float = key(
        600.0, "number", check=above(0), help="Seconds before that command is stopped."
    )
    pytest_args: tuple[str, ...] = key(
        (), "list[str]", help="Arguments of the harness's own pytest run."
    )
    pytest_timeout: float = key(
        600.0, "number", check=above(0), help="Seconds before that pytest run is stopped."
    )
    pytest_command: tuple[str, ...] = key(
        (), "list[str]", help="How to start pytest; empty: this Python's -m pytest."
    )
    allow_skipped: bool = key(
        False, "bool", help="Whether skipped and xfail tests count as passing."
    )


def _author(value: str) -> str | None:
    if re.match(r"^[^<>]+ <[^<>\s]+@[^<>\s]+>$", value):
        return None
    return f"'{value}' must look like 'Name <email@host>'"


@dataclass(frozen=True, kw_only=True)
class GitConfig:
    commit: bool = key(True, "bool", help="Commit each session's changes as a checkpoint.")
    author: str = key(
        DEFAULT_AUTHOR,
        check=_author,
        help="Author of the harness's commits, as 'Name <email>'.",
    )


@dataclass(frozen=True, kw_only=True)
class Condition:
    kind: Literal["exists", "not_exists"]
    path: str

    def holds(self, project_dir: Path) -> bool:
        exists = (project_dir / self.path).exists()
        return exists if self.kind == "exists" else not exists

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}"


@dataclass(frozen=True, kw_only=True)
class Phase:
    name: str = key(check=non_empty, help="Unique name, shown and recorded.")
    prompt: str = key(check=non_empty, help="The session prompt, or file:PATH in this folder.")
    prompt_file: Path | None = None
    run_once: bool = key(False, "bool", help="Once its session succeeded, never again.")
    condition: Condition | None = key(
        None, help="Run only while exists:PATH or not_exists:PATH holds in the project."
    )


@dataclass(frozen=True, kw_only=True)
class InitFile:
    source: Path = key(check=non_empty, help="File to copy, in this folder.")
    dest: str = key(
        check=non_empty,
        help="Where it goes in the project; replaced when the source changes while the "
        "project's copy is still the one the harness wrote.",
    )


@dataclass(frozen=True, kw_only=True)
class Config:
    path: Path
    project_dir: Path
    harness_dir: Path
    model: str | None = key(
        None, check=non_empty, help="Model for the agent; unset: the Claude Code CLI's default."
    )
    system_prompt: str = key("", help="Appended to Claude Code's system prompt (or file:PATH).")
    max_turns: int = key(1000, "int", check=at_least(1), help="Agent turns per session.")
    max_iterations: int | None = key(
        None, "int", check=at_least(1), help="Sessions per run; unset: no limit."
    )
    auto_continue_delay: float = key(
        3.0, "number", check=at_least(0), help="Seconds between sessions."
    )
    post_run_instructions: str = key("", help="Shown in the final summary.")
    tools: ToolsConfig = table(
        ToolsConfig, help="Tools the agent may use; MCP servers go in [tools.mcp_servers.NAME]."
    )
    security: SecurityConfig = table(
        SecurityConfig, help="What the agent may do: permissions, sandbox, Bash and MCP limits."
    )
    tracking: TrackingConfig = table(TrackingConfig, help="What decides that the work is complete.")
    error_recovery: ErrorRecoveryConfig = table(
        ErrorRecoveryConfig, help="Backoff between failed sessions and the circuit breaker."
    )
    budget: BudgetConfig = table(BudgetConfig, help="Limits that stop the run (exit 3).")
    git: GitConfig = table(GitConfig, help="The checkpoint commits after each session.")
    notify: NotifyConfig = table(NotifyConfig, help="A command told when a run stops.")
    parallel: ParallelConfig = table(
        ParallelConfig, help="How run --workers and --shard split the work into units."
    )
    strength: StrengthConfig = table(
        StrengthConfig, help="The strength gate: coverage and mutation parity with the baseline."
    )
    phases: tuple[Phase, ...] = array(
        Phase, help="Each session runs the first phase whose condition holds.", noun="phases"
    )
    init_files: tuple[InitFile, ...] = array(
        InitFile, help="Copied into the project before the first session (source: in this folder)."
    )
    pytest_selection: tuple[str, ...] = ()
    """Tests named on a ``pytest --agent-harness`` command line, for the pytest tracker."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Where ``model`` and ``max_iterations`` came from (command line, environment, ...)."""
    guarded: tuple[Path, ...] = ()
    """A parallel worker's extra protected paths (``Layout.guarded``)."""
    shared: tuple[Path, ...] = ()
    """A parallel worker's protected paths others write meanwhile (``Layout.shared``)."""

    @property
    def layout(self) -> Layout:
        return Layout(
            project_dir=self.project_dir,
            harness_dir=self.harness_dir,
            guarded=self.guarded,
            shared=self.shared,
        )


def key_help(dotted: str) -> str:
    """One line saying what the key (or table) at ``dotted`` is for, such as ``git.author``."""
    return help_for(Config, dotted)
