"""The plugin manager: built-ins first, then every ``agent_harness`` entry point."""

from __future__ import annotations

import functools

import pluggy

from . import hookspecs


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager. A misspelt hook in any plugin is an error, not a no-op."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    from .trackers import builtin

    manager.register(builtin, name="agent_harness.trackers")
    manager.load_setuptools_entrypoints(hookspecs.PROJECT)
    manager.check_pending()
    return manager


def tracker_types() -> list[str]:
    return sorted(
        {name for names in plugin_manager().hook.agent_harness_tracker_types() for name in names}
    )
