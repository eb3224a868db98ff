"""The guards a session runs with, built from the config: each policy on its own, fail closed."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..agent.session import ToolGuard
from .mcp import check_mcp
from .paths import PathPolicy

if TYPE_CHECKING:
    from ..config import Config
    from ..plugins import Plugins

FILE_TOOLS = "Read|Write|Edit|MultiEdit|NotebookEdit|Glob|Grep"


def protected_paths(config: Config) -> tuple[str, ...]:
    """What the agent may never write: the harness dir, and an evidence-checked tracker file."""
    protected = [str(path) for path in config.layout.protected]
    tracking = config.tracking
    if tracking.type == "json_checklist" and tracking.evidence != "field":
        tracker_file = config.project_dir / tracking.file
        if tracker_file.exists():  # the initializer writes it; from then on it is the record
            protected.append(str(tracker_file))
    return tuple(protected)


def build_guards(config: Config, plugins: Plugins) -> tuple[ToolGuard, ...]:
    """The file, Bash and MCP guards; plugins get a say on every allowed command."""
    from .paths import resolve

    protected = tuple(resolve(p, config.project_dir) for p in protected_paths(config))
    policy = PathPolicy(
        project_dir=config.project_dir,
        allowed_paths=config.security.allowed_paths,
        protected=protected,
    )
    bash = config.security.bash
    from .bash import BashPolicy, check_command
    from .commands import BASE_COMMANDS

    commands = frozenset(bash.allowed_commands) | (
        BASE_COMMANDS if bash.inherit_base else frozenset()
    )
    from .validators import run_validators

    bash_policy = BashPolicy(
        allowed_commands=commands,
        project_dir=config.project_dir,
        writable_paths=config.security.allowed_paths,
        protected=protected,
        extra_check=lambda argv, policy: run_validators(
            argv, policy, bash.extra_validators, plugins.validate_command
        ),
    )

    def check_bash(tool: str, tool_input: Mapping[str, Any]) -> str | None:
        decision = check_command(str(tool_input.get("command", "")), bash_policy)
        return None if decision.allowed else f"{decision.reason} [{decision.rule}]"

    return (
        ToolGuard(matcher=f"^({FILE_TOOLS})$", check=policy.check, rule="file paths"),
        ToolGuard(matcher="^Bash$", check=check_bash, rule="bash"),
        ToolGuard(
            matcher="^mcp__.*",
            check=functools.partial(check_mcp, config.security.tool_restrictions),
            rule="mcp",
        ),
    )
