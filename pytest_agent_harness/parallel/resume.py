"""A parallel run taken up where the last one stopped (Ctrl+C, a budget, or a kill).

An active unit's worker may still be recording its cut-off session (a coordinator killed with
SIGKILL takes its workers down with SIGTERM): that is waited for and brought into the run's
books. A unit whose branch is already in the run's branch was merged by a run that was killed
before it said so: it is not merged again. Worktrees of units under way are reused; any other
worktree of this run is removed. Units whose items pass on the run's tree are done; a unit that
was done or given up and whose items no longer pass goes back in the queue.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..gitops import branches
from ..layout import Layout
from ..run.books import lock_holder
from .books import UnitState
from .intake import bring_over
from .units import of_unit

if TYPE_CHECKING:
    from .plan import Plan


def reconcile(plan: Plan) -> None:
    """Take the units where the last run left them."""
    project = plan.config.project_dir
    keep: set[Path] = set()
    for unit in plan.units:
        if unit.status == "active":
            books = plan.books_of(unit)
            wait_unlocked(books)
            bring_over(unit, books, plan.store, plan.state)
            if merged_unrecorded(plan, unit):
                branches.remove_worktree(project, plan.tree_root / unit.attempt_name)
                mine = of_unit(plan.c.progress, unit.unit)
                unit.status = "done" if mine.total and mine.passing == mine.total else "pending"
                continue
            keep.add((plan.tree_root / unit.attempt_name).resolve())
        mine = of_unit(plan.c.progress, unit.unit)
        if mine.total and mine.passing == mine.total and not mine.warnings:
            if unit.status == "active":
                branches.remove_worktree(project, plan.tree_root / unit.attempt_name)
            unit.status = "done"
        elif unit.status in ("done", "failed"):
            unit.status, unit.note = "pending", ""
    for stale in branches.worktrees_under(project, plan.tree_root):
        if stale.resolve() not in keep:
            branches.remove_worktree(project, stale)
    plan.save()


def merged_unrecorded(plan: Plan, unit: UnitState) -> bool:
    """Whether the attempt has commits of its own and they are in the run's branch."""
    target = plan.target.project_dir
    moved = bool(unit.base) and branches.tip(target, unit.branch) != unit.base
    return moved and branches.is_merged(target, unit.branch)


def wait_unlocked(layout: Layout, seconds: float = 60.0) -> None:
    """Wait for a worker a killed coordinator left to finish recording its session."""
    deadline = time.monotonic() + seconds
    while lock_holder(layout) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
