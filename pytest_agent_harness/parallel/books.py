"""``parallel.json``: where each unit of a parallel run stands, and every merge.

Written atomically after every change, before the step it announces (a session is numbered
here before its worker starts), so a coordinator killed at any moment leaves a record the next
run resumes from: an active unit keeps its worktree and branch, a session whose ledger line is
not in the run's ledger yet is brought over once, and a unit whose branch is already in the
run's branch is not merged (or done) twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from ..errors import PlantedLinkError
from ..files import read_text, write_atomic
from ..layout import Layout
from .units import Unit

UnitStatus = Literal["pending", "active", "done", "failed"]
MergeResult = Literal["merged", "conflict", "reverted", "refused"]


@dataclass(kw_only=True)
class UnitState:
    key: str
    items: list[str]
    status: UnitStatus = "pending"
    attempt: int = 0
    """The attempt in progress (1 for the first); each attempt has its own branch and books."""
    sessions: int = 0
    imported: int = 0
    """Ledger lines of this attempt's books already in the run's ledger."""
    inflight: int | None = None
    """The run's session number of the session running (or cut off) for this unit."""
    base: str = ""
    """The commit the attempt's branch started at."""
    worker: str = ""
    note: str = ""
    """What the next session is told (why the unit was queued again)."""

    @property
    def unit(self) -> Unit:
        return Unit(self.key, tuple(self.items))

    @property
    def attempt_name(self) -> str:
        return f"{self.unit.name}-{self.attempt}"

    @property
    def branch(self) -> str:
        return f"agent-harness/units/{self.attempt_name}"


@dataclass(kw_only=True)
class MergeRecord:
    unit: str
    branch: str
    worker: str
    result: MergeResult
    commit: str | None = None
    detail: str = ""
    progress: str = ""
    time: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )


@dataclass(kw_only=True)
class ParallelState:
    units: dict[str, UnitState] = field(default_factory=dict)
    merges: list[MergeRecord] = field(default_factory=list)
    warning: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "units": [asdict(unit) for unit in self.units.values()],
            "merges": [asdict(merge) for merge in self.merges],
        }

    def adopt(self, units: list[Unit]) -> None:
        """Take the run's units; a unit known from an earlier run keeps its record."""
        for unit in units:
            known = self.units.get(unit.key)
            if known is None:
                self.units[unit.key] = UnitState(key=unit.key, items=list(unit.items))
            else:
                known.items = sorted(set(known.items) | set(unit.items))


def load(layout: Layout, *, repair: bool = False) -> ParallelState:
    """The saved record; none is a fresh start. One that cannot be read is a fresh start too
    (the ledger and the branches are the record of the work; this file only says where the
    run was): with ``repair`` it is moved aside and ``warning`` says so."""
    path = layout.parallel_state
    try:
        data = json.loads(read_text(path))
        units = [UnitState(**unit) for unit in data["units"]]
        merges = [MergeRecord(**merge) for merge in data["merges"]]
    except FileNotFoundError:
        return ParallelState()
    except (OSError, ValueError, TypeError, KeyError, PlantedLinkError) as exc:
        state = ParallelState()
        if repair:
            aside = layout.corrupt_parallel_state(int(time.time()))
            with contextlib.suppress(OSError):
                os.replace(path, aside)
            state.warning = (
                f"{path} could not be read ({str(exc)[:120]}); moved to {aside.name}: the units "
                "start afresh (the branches of earlier attempts are kept)"
            )
        return state
    return ParallelState(units={unit.key: unit for unit in units}, merges=merges)


def save(layout: Layout, state: ParallelState) -> None:
    write_atomic(layout.parallel_state, json.dumps(state.to_json(), indent=1) + "\n")
