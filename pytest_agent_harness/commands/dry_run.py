"""``agent-harness run --dry-run``: everything a run would use, shown, and nothing done.

The config is loaded and validated, the tracker measured read-only, the phase picked and the
prompt assembled as the next session would get it; the tools, commands, sandbox, git policy and
budget in force are printed. No model is asked, no git command writes, the trust record is not
touched, and the harness dir is left as it was (the evidence a measurement writes is put back).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExitCode

if TYPE_CHECKING:
    from ..config import Config
    from ..layout import Layout
    from ..plugins import Plugins
    from ..run.books import RunState


@contextlib.contextmanager
def evidence_kept(layout: Layout) -> Iterator[None]:
    """The evidence folder as it was before: removed if it was not there, else restored."""
    folder = layout.evidence_dir
    with tempfile.TemporaryDirectory(prefix="agent-harness-dry-") as tmp:
        kept = Path(tmp) / "evidence"
        if folder.is_dir():
            shutil.copytree(folder, kept, symlinks=True)
        try:
            yield
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if kept.is_dir():
                shutil.copytree(kept, folder, symlinks=True)


def _lines(config: Config, plugins: Plugins, state: RunState, layout: Layout) -> Iterator[str]:
    from ..run.phases import select_phase, why_none_eligible
    from ..run.prompts import assemble_prompt
    from ..security.commands import BASE_COMMANDS
    from ..trackers.base import Progress
    from ..trust import standing

    yield f"Config: {config.path} ({standing(layout)})"
    with evidence_kept(layout):
        progress: Progress = plugins.make_tracker(config).evaluate(readonly=True)
    yield f"Tracker: {config.tracking.type}, {progress.summary()}"
    yield f"Git: {_git(config)}"
    yield f"Sandbox: {_sandbox(config)}"
    yield f"Tools: {', '.join(config.tools.builtin)}" + (
        f"; MCP servers: {', '.join(config.tools.mcp_servers)}" if config.tools.mcp_servers else ""
    )
    bash = config.security.bash
    commands = set(bash.allowed_commands) | (BASE_COMMANDS if bash.inherit_base else set())
    yield f"Bash commands ({len(commands)}): {', '.join(sorted(commands))}"
    yield f"Budget: {_budget(config)}"
    if progress.complete:
        yield "Next: nothing: the tracker says complete"
        return
    phases, done, root = config.phases, state.completed_phases, config.project_dir
    phase = select_phase(phases, done, root)
    if phase is None:
        yield f"Next: no phase is eligible: {why_none_eligible(phases, done, root)}"
        return
    prompt = assemble_prompt(
        phase.prompt,
        session=state.session + 1,
        progress=progress.details() if progress.total or progress.warnings else "",
        last_error=state.last_error,
    )
    yield f"Next: session {state.session + 1}, phase {phase.name}; its prompt:"
    yield "-" * 72
    yield prompt.rstrip()
    yield "-" * 72


def _git(config: Config) -> str:
    from .. import gitops

    where = gitops.located(config.project_dir)
    if where is None or where.ignored:
        found = "no repository yet: a run initialises one"
    else:
        found = f"{where.top}" + (f", the folder {where.prefix}" if where.prefix else "")
    return f"{found}; the agent may {'commit' if config.security.git.agent_writes else 'only read'}"


def _sandbox(config: Config) -> str:
    from ..sandbox import cli_sandbox_missing

    sandbox, missing = config.security.sandbox, cli_sandbox_missing()
    if not sandbox.enabled:
        return "off ([security.sandbox] enabled = false): Bash runs with your privileges"
    if missing and sandbox.fail_if_unavailable:
        return f"on, but {missing} is missing: a run refuses to start"
    return f"on, but {missing} is missing: Bash runs UNSANDBOXED" if missing else "on"


def _budget(config: Config) -> str:
    budget, parts = config.budget, []
    if budget.max_cost_usd is not None:
        parts.append(f"${budget.max_cost_usd:g} in all")
    if budget.max_session_cost_usd is not None:
        parts.append(f"${budget.max_session_cost_usd:g} a session")
    if budget.max_duration:
        parts.append(f"{budget.max_duration} of wall time")
    if budget.max_sessions_without_progress:
        parts.append(f"{budget.max_sessions_without_progress} sessions without progress")
    if config.max_iterations is not None:
        parts.append(f"{config.max_iterations} sessions")
    return ", ".join(parts) or "NONE: a run can spend without limit"


def run_dry(
    project_dir: Path,
    harness_dir: Path | None,
    overrides: Mapping[str, object],
    *,
    budget: Mapping[str, Any] | None = None,
) -> int:
    """Print what ``run`` would do with these arguments; write nothing, ask no model."""
    from ..config import load_config
    from ..plugins import load_plugins
    from ..run.books import StateStore

    plugins = load_plugins()
    config = load_config(
        project_dir, harness_dir, overrides=overrides, tracker_types=plugins.tracker_types()
    )
    if budget:
        config = replace(config, budget=replace(config.budget, **budget))
    layout = config.layout
    for line in _lines(config, plugins, StateStore(layout).peek(), layout):
        print(line)
    print("Dry run: no model was asked and nothing was written.")
    return int(ExitCode.COMPLETE)
