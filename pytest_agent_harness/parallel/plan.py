"""The coordinator's schedule: which unit the next free worker takes, what a finished session
means for its unit, and when the run stops.

A unit is ``pending`` (no attempt open), ``active`` (an attempt's worktree and branch exist;
it gets sessions until its worker says it passes), ``done`` (merged, and its items pass on the
merged tree) or ``failed`` (given up: ``parallel.max_attempts`` attempts in this invocation, or
a branch that changed files the agent may not). A resumed run takes its units where the last
one left them (``books.py``).
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExitCode
from ..gitops import branches
from ..layout import Layout
from ..run.books import LedgerEntry, RunState, StateStore, lock_holder
from ..run.recovery import OutcomeClass, backoff_seconds
from ..run.report import RunResult
from ..trackers.base import Progress
from . import books as unit_books
from . import slots
from .books import UnitState
from .intake import bring_over
from .merging import Outcome, Target, merge_units
from .units import Unit, of_unit
from .worker import WorkerSpec, seed_baseline

if TYPE_CHECKING:
    from ..config import Config
    from .coordinator import Coordinator

POLL_SECONDS = 0.25
SPACING_SECONDS = 2.0
"""The least time between two session starts: each starts a Claude Code CLI, whose start-up
is the heaviest work of a session; started at the same instant, N of them share the cores and
each takes N times as long (`bench/workers.py`)."""


class Plan:
    def __init__(
        self,
        coordinator: Coordinator,
        books: Config,
        store: StateStore,
        state: RunState,
        target: Target,
        units: list[Unit],
        tree_root: Path,
    ) -> None:
        self.c = coordinator
        self.config = coordinator.config
        self.books = books
        self.store = store
        self.state = state
        self.target = target
        self.keys = [unit.key for unit in units]
        self.tree_root = tree_root
        self.record = unit_books.load(books.layout, repair=True)
        if self.record.warning:
            coordinator.display.warn(self.record.warning)
        self.record.adopt(units)
        self.attempts: dict[str, int] = {}
        self.hold: dict[str, float] = {}
        self.sessions = 0
        self.last_start = 0.0
        self.to_merge: list[UnitState] = []
        self.merging: threading.Thread | None = None
        self.merge_batch: list[UnitState] = []
        self.merge_result: tuple[list[Outcome], Progress] | None = None
        self.merge_error: list[str] = []
        self.final: RunResult | None = None

    @property
    def units(self) -> list[UnitState]:
        return [self.record.units[key] for key in self.keys]

    def save(self) -> None:
        unit_books.save(self.books.layout, self.record)
        self.store.save(self.state)

    # -- the loop ------------------------------------------------------------------------

    def execute(self) -> RunResult:
        from .resume import reconcile

        reconcile(self)
        self.c.display.line(
            f"{len(self.keys)} unit(s), {sum(u.status == 'done' for u in self.units)} done; "
            f"{self.c.workers} worker(s)"
        )
        while True:
            self._collect()
            self._merged()
            if self.final is None:
                self.final = self._must_stop()
            if self.final is None:
                self._fill()  # before merging: a merge need not keep a worker waiting
            if self.to_merge and self.merging is None:
                self._merge()
            if not self.busy() and self.merging is None:
                if self.final is not None:
                    break
                if not any(u.status in ("pending", "active") for u in self.units):
                    self.final = self._nothing_left()
                    break
            self._wait()
        slots.stop_all(list(self.c.running.values()), signal.SIGTERM)  # idle: they just exit
        self.c.running.clear()
        if self.final.exit_code == ExitCode.COMPLETE:
            branches.prune(self.config.project_dir)
        return self.final

    def busy(self) -> list[slots.Worker]:
        return [w for w in self.c.running.values() if w.session is not None]

    def _wait(self) -> None:
        try:
            label, event = self.c.events.get(timeout=POLL_SECONDS)
        except queue.Empty:
            self.c.show_rows()
            return
        self.c.on_event(label, event)
        while True:
            try:
                label, event = self.c.events.get_nowait()
            except queue.Empty:
                break
            self.c.on_event(label, event)
        self.c.show_rows()

    # -- starting sessions ---------------------------------------------------------------

    def _fill(self) -> None:
        busy = {w.session.unit for w in self.busy() if w.session is not None}
        busy |= {unit.key for unit in [*self.to_merge, *self.merge_batch]}
        now = time.monotonic()
        ready = [
            u for u in self.units
            if u.status in ("pending", "active") and u.key not in busy
            and self.hold.get(u.key, 0) <= now
        ]  # fmt: skip
        ready.sort(key=lambda u: (u.sessions, u.status != "active", u.key))  # fair: fewest first
        for unit in ready:
            labels = [f"w{i}" for i in range(1, self.c.workers + 1)]
            free = [label for label in labels if self._idle(label)]
            if not free or self._must_stop() is not None:
                return
            if time.monotonic() - self.last_start < SPACING_SECONDS:
                return
            free.sort(key=self._sessions_run)  # the least used first: every worker gets work
            self._start(unit, self.c.worker(free[0]))
            self.last_start = time.monotonic()

    def _sessions_run(self, label: str) -> int:
        worker = self.c.running.get(label)
        return worker.sessions if worker is not None else 0

    def _idle(self, label: str) -> bool:
        worker = self.c.running.get(label)
        return worker is None or worker.session is None

    def _open(self, unit: UnitState) -> tuple[Path, bool]:
        """The unit's worktree (made for a new attempt, reused for an open one), and whether
        the attempt is new: its tree is the run's tree as last measured."""
        fresh = unit.status != "active"
        if fresh:
            unit.attempt += 1
            while branches.tip(self.target.project_dir, unit.branch) is not None:
                unit.attempt += 1
            unit.status = "active"
            unit.base = branches.head(self.target.project_dir)
            self.attempts[unit.key] = self.attempts.get(unit.key, 0) + 1
            self.save()
        path = self.tree_root / unit.attempt_name
        tree = branches.add_worktree(self.config.project_dir, path, unit.branch, unit.base)
        return tree.resolve(), fresh

    def books_of(self, unit: UnitState) -> Layout:
        return Layout(
            project_dir=(self.tree_root / unit.attempt_name).resolve(),
            harness_dir=self.books.layout.units_dir / unit.attempt_name,
        )

    def _start(self, unit: UnitState, worker: slots.Worker) -> None:
        tree, fresh = self._open(unit)
        books = Layout(project_dir=tree, harness_dir=self.books_of(unit).harness_dir)
        books.harness_dir.mkdir(parents=True, exist_ok=True)
        if not books.baseline_copy.exists():
            seed_baseline(self.books.layout, books)
        self.state.session += 1
        unit.inflight, unit.worker = self.state.session, worker.label
        self.save()
        _number(books, self.state.session)
        known = of_unit(self.c.progress, unit.unit) if fresh else None
        spec = WorkerSpec.of(self.config, unit, worker.label, (tree, books.harness_dir), known)
        path = self.books.layout.logs_dir / "workers" / f"{unit.attempt_name}.json"
        spec.save(path)  # outside the unit's books, which the session audit watches
        worker.assign(unit.key, self.state.session, path)
        self.sessions += 1
        self.c.display.line(
            f"[{worker.label}] session {self.state.session}: unit {unit.key} "
            f"(attempt {unit.attempt})"
        )

    # -- finished sessions ---------------------------------------------------------------

    def _collect(self) -> None:
        for label, worker in list(self.c.running.items()):
            session = worker.session
            if session is not None and session.done is not None and self._still_running(session):
                session.done = None  # not the worker's word: its session still holds its books
            if session is not None and session.done is not None:
                worker.session = None
                self._finished(worker.label, session, session.done)
            elif worker.ended():
                del self.c.running[label]
                if session is not None:
                    self._finished(label, session, {"exit_code": worker.exit_code})

    def _still_running(self, session: slots.Session) -> bool:
        """Whether a session said to be over still holds its books' lock (an event forged by
        a process that reached the worker's output); such an event is ignored."""
        books = self.books_of(self.record.units[session.unit])
        if lock_holder(books) is None:
            return False
        self.c.display.warn(f"ignored an end-of-session event for {session.unit}: it still runs")
        return True

    def _finished(self, label: str, session: slots.Session, done: dict[str, Any]) -> None:
        unit = self.record.units[session.unit]
        books = self.books_of(unit)
        memory = {key: float(done.get(key, 0.0)) for key in ("rss_mb", "cli_rss_mb")}
        entries = bring_over(unit, books, self.store, self.state, memory)
        code = int(done.get("exit_code", 1))
        if not entries and code != ExitCode.COMPLETE:
            unit.inflight = None
            self.state.consecutive_errors += 1
            self.state.last_error = (
                f"worker {label} ended (exit {code}) without recording a session; its log: "
                f"{self.books.layout.logs_dir / 'workers' / (label + '.log')}"
            )
            self.c.display.warn(self.state.last_error)
        self.save()
        entry = entries[-1] if entries else None
        if entry is not None:
            self.c.display.line(
                f"[{label}] session {entry['session']} done: {entry.get('outcome')}, "
                f"unit {entry.get('progress_after')}, ${float(entry.get('cost_usd', 0)):.4f}"
                f"{self.c.display.cost_note}"
            )
        self._then(unit, code, entry, books)

    def _then(self, unit: UnitState, code: int, entry: LedgerEntry | None, books: Layout) -> None:
        """What the session's end means for its unit, and for the run."""
        if code == ExitCode.COMPLETE:
            self.to_merge.append(unit)
        elif code == ExitCode.BUDGET_EXHAUSTED:
            reason = StateStore(books).peek().last_reason
            self.final = self._result(ExitCode.BUDGET_EXHAUSTED, reason)
        elif code == ExitCode.AGENT_FAILURE and entry is not None and self._fatal(entry):
            reason = StateStore(books).peek().last_reason or str(entry.get("detail"))
            self.final = self._result(ExitCode.AGENT_FAILURE, reason)
        elif entry is None or entry.get("outcome") not in ("ok", "max_turns"):
            self._back_off(unit)

    def _fatal(self, entry: LedgerEntry) -> bool:
        try:
            return OutcomeClass(str(entry.get("outcome"))).fatal
        except ValueError:
            return False

    def _back_off(self, unit: UnitState) -> None:
        recovery = self.config.error_recovery
        errors = max(self.state.consecutive_errors, self.state.consecutive_rate_limits, 1)
        seconds = backoff_seconds(
            errors,
            recovery.initial_backoff_seconds,
            recovery.backoff_multiplier,
            recovery.max_backoff_seconds,
        )
        self.hold[unit.key] = time.monotonic() + seconds

    def _merge(self) -> None:
        """Merge the finished units in the background: the workers go on meanwhile."""
        batch, self.to_merge = self.to_merge, []
        self.merge_batch = batch
        before = self.c.progress

        def merge() -> None:
            try:
                self.merge_result = merge_units(self.target, batch, before)
            except Exception as exc:
                self.merge_error = str(exc).strip().splitlines()[-1:] or [type(exc).__name__]

        self.merging = threading.Thread(target=merge, name="merge", daemon=True)
        self.merging.start()

    def wait_for_merge(self) -> None:
        """A merge under way is finished, never cut (the tree is never left half merged)."""
        if self.merging is not None:
            self.merging.join()
            self._merged()

    def _merged(self) -> None:
        """Take in a finished background merge."""
        if self.merging is None or self.merging.is_alive():
            return
        self.merging, batch, self.merge_batch = None, self.merge_batch, []
        result, self.merge_result = self.merge_result, None
        if result is None:  # the merge raised: say so, and stop before merging more
            why = f"merging failed: {self.merge_error[0]}" if self.merge_error else "merging failed"
            self.final = self.final or self._result(ExitCode.AGENT_FAILURE, why)
            return
        outcomes, self.c.progress = result
        for outcome in outcomes:
            self._merge_outcome(outcome)
        for unit in batch:  # a batch cut short by a fatal merge: the rest go back
            if unit.status == "active" and not any(o.unit is unit for o in outcomes):
                self.to_merge.append(unit)
        self.save()

    def _merge_outcome(self, outcome: Outcome) -> None:
        unit, record = outcome.unit, outcome.record
        self.record.merges.append(record)
        if outcome.done:
            self.c.display.line(
                f"Merged unit {unit.key} ({unit.worker}) as {str(record.commit)[:10]}: "
                f"{self.c.progress.summary()}"
            )
        else:
            self.c.display.warn(f"unit {unit.key}: {record.result}: {record.detail}")
        branches.remove_worktree(self.config.project_dir, self.tree_root / unit.attempt_name)
        if outcome.fatal:
            self.final = self._result(ExitCode.AGENT_FAILURE, outcome.fatal)
        if outcome.done:
            unit.status, unit.note = "done", ""
        elif record.result == "refused":
            unit.status = "failed"
        else:
            self._requeue(unit, outcome.requeue)

    def _requeue(self, unit: UnitState, why: str) -> None:
        unit.status = "pending"
        unit.note = f"Note: {why}."
        if self.attempts.get(unit.key, 0) >= self.config.parallel.max_attempts:
            unit.status = "failed"
            self.c.display.warn(
                f"unit {unit.key} given up after {self.attempts[unit.key]} attempt(s) "
                "(parallel.max_attempts)"
            )

    # -- stopping ------------------------------------------------------------------------

    def _result(self, code: ExitCode, reason: str) -> RunResult:
        return RunResult(exit_code=code, reason=reason, progress=self.c.progress)

    def complete(self) -> bool:
        if self.c.shard_of is None:
            return self.c.progress.complete
        return not self.c.progress.warnings and all(u.status == "done" for u in self.units)

    def _must_stop(self) -> RunResult | None:
        """Why no session may start now, if none may."""
        if self.final is not None:
            return self.final
        if self.complete():
            return self._result(ExitCode.COMPLETE, "complete")
        return self.c.over_budget(self.state, self.sessions)

    def _nothing_left(self) -> RunResult:
        failed = [u.key for u in self.units if u.status == "failed"]
        if failed:
            more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
            return self._result(
                ExitCode.INCOMPLETE,
                f"{len(failed)} unit(s) given up: {', '.join(failed[:5])}{more}; see the merge "
                "history (agent-harness report) and run again to retry them",
            )
        return self._result(
            ExitCode.INCOMPLETE,
            f"every unit is done but the merged tree is not complete: {self.c.progress.summary()}",
        )


def _number(books: Layout, number: int) -> None:
    """Have the unit's next session numbered ``number``, as the run numbers it (its commit,
    transcript and ledger line then say so), unless its last session was cut off: the worker
    recovers that one first, under its own number."""
    store = StateStore(books)
    state = store.peek()
    ledger = store.ledger()
    if state.session == (ledger[-1]["session"] if ledger else 0):
        state.session = number - 1
        store.save(state)
