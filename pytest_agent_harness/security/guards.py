"""The guards a session runs with, built from the config: each policy on its own, fail closed."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..agent.session import ToolGuard
from ..config.model import report_folder
from .mcp import check_mcp
from .paths import PathPolicy

if TYPE_CHECKING:
    from ..config import Config
    from ..plugins import Plugins

FILE_TOOLS = "Read|Write|Edit|MultiEdit|NotebookEdit|Glob|Grep"


def protected_paths(config: Config) -> tuple[Path, ...]:
    """What the agent may never write: the layout's protected set, the folders of the JUnit
    reports the harness produces itself (``junit_command``), and an evidence-checked tracker
    file once it exists (the initializer writes it; from then on it is the record)."""
    tracking = config.tracking
    extra = []
    if tracking.junit_command:  # the harness writes the reports: nobody else may
        extra += [config.project_dir / report_folder(p) for p in tracking.junit_paths]
    if tracking.type == "json_checklist" and tracking.evidence != "field":
        tracker_file = config.project_dir / tracking.file
        if tracker_file.exists():
            extra.append(tracker_file)
    return config.layout.protected(*extra)


GIT_KEPT = ("config", "hooks", "info", "refs/agent-harness")
"""What of the repository stays out of reach even of an agent allowed to commit."""
GIT_AUDITED = ("config", "hooks", "info", "refs", "packed-refs", "HEAD", "logs")
"""What of a read-only repository the session audit compares: all but objects and the index."""


def _with_git(config: Config, names: tuple[str, ...]) -> tuple[Path, ...]:
    git_dir = config.layout.git_dir
    others = tuple(p for p in protected_paths(config) if p != git_dir and p not in config.shared)
    if os.path.isfile(git_dir):  # a linked worktree's pointer to its repository
        return (*others, git_dir)
    return others + tuple(git_dir / name for name in names)


def sandbox_deny_write(config: Config) -> tuple[Path, ...]:
    """What the OS sandbox keeps read-only inside the project: the protected set, except that an
    agent allowed to commit (``security.git.agent_writes``) may write the repository through git,
    all but its config, hooks, info and the harness's own refs."""
    if not config.security.git.agent_writes:
        return protected_paths(config)
    return (*_with_git(config, GIT_KEPT), *config.shared)


def audited_paths(config: Config) -> tuple[Path, ...]:
    """What the session audit compares before and after each session (files, not objects);
    never the ``shared`` paths, which others write while the session runs."""
    return _with_git(config, GIT_KEPT if config.security.git.agent_writes else GIT_AUDITED)


def build_guards(config: Config, plugins: Plugins) -> tuple[ToolGuard, ...]:
    """The file, Bash and MCP guards; plugins get a say on every allowed command."""
    from .paths import resolve

    protected = tuple(resolve(str(p), config.project_dir) for p in protected_paths(config))
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
        git_writes=config.security.git.agent_writes,
        git_remotes=config.security.git.allowed_remotes,
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
