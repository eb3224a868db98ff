"""``agent-harness run`` and ``pytest --agent-harness``: load the config and run the loop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..agent.display import Display


def run_harness(
    project_dir: Path,
    harness_dir: Path | None,
    overrides: Mapping[str, object],
    *,
    trust_config: bool = False,
    budget: Mapping[str, Any] | None = None,
    json_events: bool = False,
    display: Display | None = None,
    workers: int | None = None,
    shard: tuple[int, int] | None = None,
) -> int:
    """Build the run's plugins, load its config, check it is trusted, and run sessions until a
    stop; the exit code. ``trust_config`` accepts a config changed since it was trusted;
    ``budget``: ``[budget]`` keys given on the command line for this invocation;
    ``json_events``: events as JSON lines on stdout, the human lines on stderr;
    ``workers``, ``shard``: a parallel run (``parallel/``)."""
    from ..agent.display import Display
    from ..config import load_config
    from ..plugins import load_plugins
    from ..run.loop import Runner
    from ..trust import check

    plugins = load_plugins()
    config = load_config(
        project_dir, harness_dir, overrides=overrides, tracker_types=plugins.tracker_types()
    )
    if budget:  # --max-cost, --max-duration: this invocation's budget over the config's
        config = replace(config, budget=replace(config.budget, **budget))
    display = display or Display()
    if json_events:
        from ..agent.events import JsonEvents

        display = JsonEvents()
    notice = check(config.layout, accept=trust_config)
    if notice:
        display.line(notice)
    if workers is not None or shard is not None:
        from ..parallel.coordinator import Coordinator

        coordinator = Coordinator(
            config, display, plugins=plugins, workers=workers or 1, shard_of=shard
        )
        return int(coordinator.run().exit_code)
    return int(Runner(config, display, plugins=plugins).run().exit_code)
