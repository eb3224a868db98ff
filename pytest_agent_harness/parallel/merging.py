"""Merging a finished unit into the run's branch, and holding the merged tree to the evidence.

A unit whose worker says its items pass is merged with a merge commit; the units that finished
meanwhile are merged together, each with its own commit. The tracker then measures the merged
tree, the only tree whose verdict counts: merges after which a test that passed no longer
passes, or a new warning (tampering) appears, are taken back with revert commits and their
units are queued again on top of the updated branch; so is a unit whose merge conflicts
(aborted, nothing written) or whose items still fail on the merged tree. A branch
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
    unit: UnitState
    record: MergeRecord
    done: bool
    requeue: str = ""
    """Why the unit goes back in the queue ('' when it does not)."""
    fatal: str = ""
    """Why the run cannot go on merging (a person must act), or ''."""


def merge_units(
    target: Target, units: list[UnitState], before: Progress
) -> tuple[list[Outcome], Progress]:
    """Merge each unit's branch, then measure the merged tree once for all of them; the
    outcomes, and the tree's verdict after them. A merge after which the tree lost a passing
    test or gained a warning is reverted with every merge of the batch (which of them broke
    it cannot be told from the verdict), and each unit is queued again."""
    outcomes: list[Outcome] = []
    merged: list[tuple[UnitState, str]] = []
    for unit in units:
        outcome, commit = _merge_one(target, unit)
        if commit is None:
            outcomes.append(outcome)
        else:
            merged.append((unit, commit))
        if outcome.fatal:
            break
    if not merged:
        return outcomes, before
    after, broke = _measure(target, before)
    if broke:
        why = f"the merged tree {broke}"
        for unit, commit in reversed(merged):
            reverted = branches.revert(
                target.project_dir,
                commit,
                f"agent-harness: revert unit {unit.key}: {why}"[:200],
                target.author,
                target.guard,
            )
            again = f"its last attempt was merged and taken back: {why}"
            fields = {"commit": reverted, "detail": why, "progress": after.summary()}
            outcomes.append(Outcome(unit, _record(unit, "reverted", **fields), False, again))
        return outcomes, target.evaluate()
    for unit, commit in merged:
        mine = of_unit(after, unit.unit)
        fields = {"commit": commit, "progress": after.summary()}
        if mine.passing < mine.total:
            why = f"after the merge its items pass {mine.passing}/{mine.total} on the merged tree"
            outcomes.append(
                Outcome(unit, _record(unit, "merged", detail=why, **fields), False, why)
            )
        else:
            outcomes.append(Outcome(unit, _record(unit, "merged", **fields), True))
    return outcomes, after


def _record(unit: UnitState, result: MergeResult, **fields: str | None) -> MergeRecord:
    return MergeRecord(unit=unit.key, branch=unit.branch, worker=unit.worker, result=result,
                       **fields)  # type: ignore[arg-type]  # fmt: skip


def _merge_one(target: Target, unit: UnitState) -> tuple[Outcome, str | None]:
    """Merge one unit's branch: the merge commit, or None and why not."""
    changed = branches.changed_by(target.project_dir, unit.branch)
    if touched := [p for p in changed if forbidden(p, target.forbidden)]:
        why = f"the branch changes files the agent may not: {', '.join(touched[:5])}"
        return Outcome(unit, _record(unit, "refused", detail=why), False), None
    merged = branches.merge(
        target.project_dir,
        unit.branch,
        f"agent-harness: merge unit {unit.key} ({unit.worker})",
        target.author,
        target.guard,
    )
    if merged.conflicts:
        why = f"conflicts with work merged meanwhile in {', '.join(merged.conflicts[:5])}"
        return Outcome(unit, _record(unit, "conflict", detail=why), False, why), None
    if merged.commit is None:
        why = f"git merge failed: {merged.error}"
        return Outcome(unit, _record(unit, "conflict", detail=why), False, fatal=why), None
    return Outcome(unit, _record(unit, "merged"), True), merged.commit


def forbidden(path: str, paths: tuple[str, ...]) -> bool:
    """Whether the repository path ``path`` is one of ``paths`` (a folder ends with ``/``) or
    lies in a ``.git`` entry anywhere: what no branch may change."""
    if ".git" in PurePosixPath(path).parts:
        return True
    return any(path == f or (f.endswith("/") and path.startswith(f)) for f in paths)


def _measure(target: Target, before: Progress) -> tuple[Progress, str]:
    """The merged tree's verdict, and what the merges broke ('' when nothing). The tests run
    the merged code in the run's own work tree: a run that changes tracked files there (a
    verdict the commit does not hold) is a break, and the files are put back."""
    dirty = branches.changed_files(target.project_dir)
    after = target.evaluate()
    now = branches.changed_files(target.project_dir)
    touched = sorted(p for p in {*dirty, *now} if dirty.get(p) != now.get(p))
    if touched:
        branches.restore(target.project_dir, [p for p in touched if p not in dirty])
        more = f" and {len(touched) - 3} more" if len(touched) > 3 else ""
        return after, f"changed files while its tests ran: {', '.join(touched[:3])}{more}"
    return after, _regressions(before, after)


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
