"""Hook specifications: what a plugin (entry-point group ``agent_harness``) can provide.

Built-in trackers are registered through these same hooks, so a third-party tracker is a
first-class citizen: ``[tracking] type = "mine"`` works once a plugin answers for ``"mine"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .markers import hookimpl, hookspec

if TYPE_CHECKING:
    from pathlib import Path

    from .config import Config
    from .security.decision import Decision
    from .trackers.base import Tracker

__all__ = ["hookimpl", "hookspec"]


@hookspec
def agent_harness_tracker_types() -> list[str]:  # type: ignore[empty-body]
    """Names this plugin can build trackers for, used to validate ``[tracking] type``.

    Called when a config is loaded; every plugin's names are collected.
    """


@hookspec(firstresult=True)
def agent_harness_make_tracker(config: Config) -> Tracker | None:
    """Build the tracker for ``config.tracking.type``, or return None if it is not yours.

    Called once per run (and by ``status``) after the config is loaded; the first non-None
    answer wins.
    """


@hookspec
def agent_harness_validate_command(argv: list[str], project_dir: Path) -> Decision | None:
    """Check one allowed command the agent is about to run through Bash.

    Called for every command that passed the allowlist, with its literal argv; return a
    denying ``Decision`` (``pytest_agent_harness.security.decision.deny``) to stop it, or None.
    Every plugin is asked; any denial wins.
    """
