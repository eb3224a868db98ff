"""``agent-harness run`` and ``pytest --agent-harness``: load the config and run the loop."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def run_harness(
    project_dir: Path, harness_dir: Path | None, overrides: Mapping[str, object]
) -> int:
    """Build the run's plugins, load its config and run sessions until a stop; the exit code."""
    from ..config import load_config
    from ..plugins import load_plugins
    from ..run.loop import Runner

    plugins = load_plugins()
    config = load_config(
        project_dir, harness_dir, overrides=overrides, tracker_types=plugins.tracker_types()
    )
    return int(Runner(config, plugins=plugins).run().exit_code)
