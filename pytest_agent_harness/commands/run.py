"""``agent-harness run`` and ``pytest --agent-harness``: load the config and run the loop."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def run_harness(
    project_dir: Path,
    harness_dir: Path | None,
    overrides: Mapping[str, object],
    *,
    trust_config: bool = False,
) -> int:
    """Build the run's plugins, load its config, check it is trusted, and run sessions until a
    stop; the exit code. ``trust_config`` accepts a config changed since it was trusted."""
    from ..agent.display import Display
    from ..config import load_config
    from ..plugins import load_plugins
    from ..run.loop import Runner
    from ..trust import check

    plugins = load_plugins()
    config = load_config(
        project_dir, harness_dir, overrides=overrides, tracker_types=plugins.tracker_types()
    )
    display = Display()
    notice = check(config.layout, accept=trust_config)
    if notice:
        display.line(notice)
    return int(Runner(config, display, plugins=plugins).run().exit_code)
