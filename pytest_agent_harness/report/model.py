"""A run, as the report shows it: built from the ledger, the state and (at the end of a run) the
run's result, so the report, ``status`` and the step summary read the same records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..run.books import LedgerEntry, StateStore

if TYPE_CHECKING:
    from ..layout import Layout
    from ..run.report import RunResult


@dataclass(frozen=True, kw_only=True)
class SessionRow:
    number: int
    phase: str
    outcome: str
    before: str
    after: str
    passing: int
    total: int
    cost_usd: float
    tokens: int
    turns: int
    seconds: float
    commit: str
    detail: str
    denials: tuple[str, ...]
    tampered: tuple[str, ...]
    warnings: tuple[str, ...]
    transcript: Path
    worker: str = ""
    """The parallel worker that ran it ('' in a run of one loop)."""
    unit: str = ""


@dataclass(frozen=True, kw_only=True)
class WorkerRow:
    """One parallel worker's sessions, summed."""

    worker: str
    sessions: int
    units: int
    cost_usd: float
    seconds: float
    rss_mb: float


@dataclass(frozen=True, kw_only=True)
class MergeRow:
    time: str
    unit: str
    worker: str
    result: str
    commit: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class RunReport:
    project: str
    status: str
    """complete, stopped, or not run yet."""
    reason: str
    exit_code: int | None
    sessions: tuple[SessionRow, ...]
    strength: dict[str, Any] | None = None
    workers: tuple[WorkerRow, ...] = ()
    merges: tuple[MergeRow, ...] = ()
    """A parallel run's merge history (``parallel/books.py``)."""
    generated: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )

    @property
    def cost_usd(self) -> float:
        return sum(s.cost_usd for s in self.sessions)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.sessions)

    @property
    def progress(self) -> str:
        return self.sessions[-1].after if self.sessions else "no session yet"


def _row(entry: LedgerEntry, layout: Layout) -> SessionRow:
    number = int(entry.get("session", 0))
    return SessionRow(
        number=number,
        phase=str(entry.get("phase", "")),
        outcome=str(entry.get("outcome", "")),
        before=str(entry.get("progress_before", "")),
        after=str(entry.get("progress_after", "")),
        passing=int(entry.get("passing", 0)),
        total=int(entry.get("total", 0)),
        cost_usd=float(entry.get("cost_usd", 0.0)),
        tokens=int(entry.get("input_tokens", 0)) + int(entry.get("output_tokens", 0)),
        turns=int(entry.get("turns", 0)),
        seconds=float(entry.get("wall_s", entry.get("duration_s", 0.0))),
        commit=str(entry.get("commit") or "")[:10],
        detail=str(entry.get("detail", "")),
        denials=tuple(str(d) for d in entry.get("denials", [])),
        tampered=tuple(str(t) for t in entry.get("tampered", [])),
        warnings=tuple(str(w) for w in entry.get("warnings", [])),
        transcript=layout.session_log(number),
        worker=str(entry.get("worker", "")),
        unit=str(entry.get("unit", "")),
    )


def _workers(entries: list[LedgerEntry]) -> tuple[WorkerRow, ...]:
    found: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        if worker := str(entry.get("worker", "")):
            found.setdefault(worker, []).append(entry)
    return tuple(
        WorkerRow(
            worker=worker,
            sessions=len(rows),
            units=len({str(e.get("unit", "")) for e in rows}),
            cost_usd=sum(float(e.get("cost_usd", 0.0)) for e in rows),
            seconds=sum(float(e.get("wall_s", 0.0)) for e in rows),
            rss_mb=max(_memory(e) for e in rows),
        )
        for worker, rows in sorted(found.items())
    )


def _memory(entry: LedgerEntry) -> float:
    """A parallel session's peak memory: its worker's and the largest process it ran."""
    extra: dict[str, Any] = dict(entry)
    return float(extra.get("rss_mb", 0.0)) + float(extra.get("cli_rss_mb", 0.0))


def _merges(layout: Layout) -> tuple[MergeRow, ...]:
    from ..parallel.books import load

    return tuple(
        MergeRow(
            time=m.time,
            unit=m.unit,
            worker=m.worker,
            result=m.result,
            commit=str(m.commit or "")[:10],
            detail=m.detail,
        )
        for m in load(layout).merges
    )


def build(layout: Layout, result: RunResult | None = None) -> RunReport:
    """The report of the project's run: ``result`` at the end of a run, else the state's
    record of how the last run stopped."""
    store = StateStore(layout)
    entries = store.ledger()
    rows = tuple(_row(entry, layout) for entry in entries)
    state = store.peek()  # read only: a report or a status repairs nothing
    code: int | None
    if result is not None:
        code, reason = int(result.exit_code), result.reason
        strength = result.progress.strength
    else:
        code, reason = state.last_exit_code, state.last_reason
        strength = None
    status = "not run yet" if code is None else ("complete" if code == 0 else "stopped")
    return RunReport(
        project=str(layout.project_dir),
        status=status,
        reason=reason,
        exit_code=code,
        sessions=rows,
        strength=strength,
        workers=_workers(entries),
        merges=_merges(layout),
    )
