"""The plugin manager of one run: built-ins first, then every ``agent_harness`` entry point.

Built once per run (or per command) by ``load_plugins`` and passed down to whatever asks a hook,
so no module reaches up to a process-wide manager and a test can register a plugin on its own
manager without touching anyone else's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

from . import hookspecs
from .errors import ConfigError, ConfigProblem
from .markers import PROJECT

if TYPE_CHECKING:
    from .config import Config
    from .security.decision import Decision
    from .trackers.base import Tracker


class Plugins:
    """What the harness asks of its plugins, over one ``pluggy.PluginManager``."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager

    def tracker_types(self) -> list[str]:
        """Every tracker name some plugin builds, sorted."""
        answers = self.manager.hook.agent_harness_tracker_types()
        return sorted({name for names in answers for name in names})

    def make_tracker(self, config: Config) -> Tracker:
        """The tracker the config names, from whichever plugin answers for it."""
        tracker: Tracker | None = self.manager.hook.agent_harness_make_tracker(config=config)
        if tracker is None:  # checked at load time; a plugin may still have gone away
            problem = ConfigProblem(
                key="tracking.type", message=f"no plugin builds '{config.tracking.type}'"
            )
            raise ConfigError(config.path, [problem])
        return tracker

    def validate_command(self, argv: Sequence[str], project_dir: Path) -> Decision | None:
        """The first denial any plugin gives this command line, or None."""
        for verdict in self.manager.hook.agent_harness_validate_command(
            argv=list(argv), project_dir=project_dir
        ):
            if verdict is not None and not verdict.allowed:
                return verdict  # type: ignore[no-any-return]
        return None


def load_plugins(*, entry_points: bool = True) -> Plugins:
    """A fresh manager; a misspelt hook in any plugin is an error, not a silent no-op."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(hookspecs)
    from .trackers import builtin

    manager.register(builtin, name="agent_harness.trackers")
    if entry_points:
        manager.load_setuptools_entrypoints(PROJECT)
    manager.check_pending()
    return Plugins(manager)
