"""``agent-harness baseline``: show the tamper baseline; with ``--accept``, a person replaces it.

A baseline is what later evidence is compared with, so it never changes by itself: a missing or
edited ``baseline.json`` is tampering. When a person decides that the work really changed (tests
renamed on purpose, items reworded), ``--accept`` measures the project now and makes that the
baseline.
"""

from __future__ import annotations

from ..errors import ExitCode
from ..layout import Layout
from ..run.report import plural


def run_baseline(layout: Layout, *, accept: bool, trust_config: bool = False) -> int:
    from ..config import load_config
    from ..plugins import load_plugins
    from ..trackers.base import measure_before_first_session
    from ..trackers.baseline import Baseline
    from ..trust import check

    plugins = load_plugins()
    config = load_config(
        layout.project_dir, layout.harness_dir, tracker_types=plugins.tracker_types()
    )
    check(config.layout, accept=trust_config)
    if accept:
        Baseline.discard(config.layout)
        progress = measure_before_first_session(plugins.make_tracker(config))
        print(f"New baseline taken: {progress.summary()}")
    baseline = Baseline.load(config.layout, readonly=True)
    items = "no checklist yet"
    if baseline.items is not None:
        items = plural(len(baseline.items), "checklist item")
    print(f"Baseline: {plural(len(baseline.tests), 'test')}, {items}")
    if baseline.tampered:
        print(f"WARNING: {baseline.tampered}")
    return int(ExitCode.COMPLETE)
