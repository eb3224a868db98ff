"""Merging a finished unit into the run's branch, and holding the merged tree to the evidence.

A unit whose worker says its items pass is merged with a merge commit. The tracker then
measures the merged tree, the only tree whose verdict counts: a merge after which a test that
passed no longer passes, or a new warning (tampering) appears, is taken back with a revert
commit and the unit is queued again on top of the updated branch; so is a unit whose merge
conflicts (aborted, nothing written) or whose items still fail on the merged tree. A branch
that touches the harness's files or the repository's is never merged. Every outcome is in
the merge history; branches are kept, so no attempt's work is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..gitops import branches
from ..gitops.guard import GitGuard
from ..trackers.base import Progress
from .books import MergeRecord, MergeResult, UnitState
from .units import of_unit


@dataclass(frozen=True)
class Target:
    """The tree the run's branch is checked out in, and how to measure it."""

    project_dir: Path
    author: str
    guard: GitGuard | None
    evaluate: Callable[[], Progress]
    forbidden: tuple[str, ...]
    """Repository paths (folders end with ``/``) no unit may change."""


@dataclass(frozen=True)
class Outcome:
    record: MergeRecord
    progress: Progress
    """The merged tree's verdict (unchanged when nothing was merged)."""
    done: bool
    requeue: str = ""
    """Why the unit goes back in the queue ('' when it does not)."""
    fatal: str = ""
    """Why the run cannot go on merging (a person must act), or ''."""


def merge_unit(target: Target, unit: UnitState, before: Progress) -> Outcome:
    branch = unit.branch

    def record(result: MergeResult, **fields: str | None) -> MergeRecord:
        return MergeRecord(unit=unit.key, branch=branch, worker=unit.worker, result=result,
                           **fields)  # type: ignore[arg-type]  # fmt: skip

    touched = [p for p in branches.changed_by(target.project_dir, branch) if _forbidden(p, target)]
    if touched:
        why = f"the branch changes files the agent may not: {', '.join(touched[:5])}"
        return Outcome(record("refused", detail=why), before, done=False, fatal="")
    merged = branches.merge(
        target.project_dir,
        branch,
        f"agent-harness: merge unit {unit.key} ({unit.worker})",
        target.author,
        target.guard,
    )
    if merged.conflicts:
        why = f"conflicts with work merged meanwhile in {', '.join(merged.conflicts[:5])}"
        return Outcome(record("conflict", detail=why), before, done=False, requeue=why)
    if merged.commit is None:
        why = f"git merge failed: {merged.error}"
        return Outcome(record("conflict", detail=why), before, done=False, fatal=why)
    after = target.evaluate()
    broke = _regressions(before, after)
    if broke:
        why = f"the merged tree {broke}"
        reverted = branches.revert(
            target.project_dir,
            merged.commit,
            f"agent-harness: revert unit {unit.key}: {why}"[:200],
            target.author,
            target.guard,
        )
        return Outcome(
            record("reverted", commit=reverted, detail=why, progress=after.summary()),
            target.evaluate(),
            done=False,
            requeue=f"its last attempt was merged and taken back: {why}",
        )
    mine = of_unit(after, unit.unit)
    if mine.passing < mine.total:
        why = f"after the merge its items pass {mine.passing}/{mine.total} on the merged tree"
        return Outcome(
            record("merged", commit=merged.commit, detail=why, progress=after.summary()),
            after,
            done=False,
            requeue=why,
        )
    return Outcome(
        record("merged", commit=merged.commit, progress=after.summary()), after, done=True
    )


def _forbidden(path: str, target: Target) -> bool:
    if ".git" in PurePosixPath(path).parts:
        return True
    return any(path == f or (f.endswith("/") and path.startswith(f)) for f in target.forbidden)


def _regressions(before: Progress, after: Progress) -> str:
    """What the merge broke: tests that passed and no longer do, or new warnings."""
    passing = {item.id for item in before.items if item.status == "passed"}
    now = {item.id: item.status for item in after.items}
    lost = sorted(i for i in passing if now.get(i) != "passed")
    if lost:
        more = f" and {len(lost) - 3} more" if len(lost) > 3 else ""
        return f"no longer passes {', '.join(lost[:3])}{more}"
    new = [w for w in after.warnings if w not in before.warnings]
    if new:
        return f"warns: {new[0]}"
    return ""
