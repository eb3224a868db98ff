"""Bringing a worker's session into the run's books: its ledger line (numbered in the run's
sequence, tagged with the worker, the unit and the peak memory of the worker process and of
the largest process it ran, the CLI), its transcript, and the run's
counters (cost, the circuit breaker, sessions without progress).

Idempotent across a crash: a unit's record says how many of its attempt's lines are in the
run's ledger already, and only the rest are brought over.
"""

from __future__ import annotations

import contextlib
import os

from ..layout import Layout
from ..run.books import LedgerEntry, RunState, StateStore, add_totals
from ..run.recovery import OutcomeClass
from .books import UnitState

NOT_COUNTED = (OutcomeClass.RATE_LIMIT, OutcomeClass.INTERRUPTED, OutcomeClass.NETWORK)


def bring_over(
    unit: UnitState,
    books: Layout,
    run: StateStore,
    state: RunState,
    memory: dict[str, float] | None = None,
) -> list[LedgerEntry]:
    """The attempt's ledger lines not yet in the run's ledger, appended there and counted."""
    lines = StateStore(books).ledger()[unit.imported :]
    brought = []
    for line in lines:
        own = int(line.get("session", 0))
        number = unit.inflight if unit.inflight is not None else state.session + 1
        state.session = max(state.session, number)
        entry: LedgerEntry = {
            **line,
            "session": number,
            "worker": unit.worker,
            "unit": unit.key,
            "attempt": unit.attempt,
        }  # type: ignore[typeddict-unknown-key]
        entry.update({k: v for k, v in (memory or {}).items() if v})  # type: ignore[typeddict-item]
        run.append_ledger(entry)
        unit.imported += 1
        unit.sessions += 1
        unit.inflight = None
        count(state, entry)
        with contextlib.suppress(OSError):
            run_log = run._layout.session_log(number)
            run_log.parent.mkdir(parents=True, exist_ok=True)
            os.replace(books.session_log(own), run_log)
        brought.append(entry)
    return brought


def count(state: RunState, entry: LedgerEntry) -> None:
    """The run's counters, as the single-worker loop keeps them (``books._count``)."""
    try:
        cls = OutcomeClass(entry.get("outcome", ""))
    except ValueError:
        cls = OutcomeClass.TRANSIENT
    if cls.succeeded:
        state.consecutive_errors = state.consecutive_rate_limits = 0
        state.last_error = ""
    elif cls is OutcomeClass.RATE_LIMIT:
        state.consecutive_rate_limits += 1
        state.last_error = str(entry.get("detail", ""))
    elif cls is not OutcomeClass.INTERRUPTED:
        state.consecutive_errors += 1
        state.last_error = str(entry.get("detail", ""))
    if cls not in NOT_COUNTED:
        if progressed(entry):
            state.sessions_without_progress = 0
        else:
            state.sessions_without_progress += 1
    add_totals(state.totals, entry)


def progressed(entry: LedgerEntry) -> bool:
    """Whether the session passed more of its unit than it found passing."""
    before = str(entry.get("progress_before", "0/0")).split("/", 1)[0]
    return int(entry.get("passing", 0)) > (int(before) if before.isdigit() else 0)
