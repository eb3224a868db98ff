"""Run state on disk: ``session.json``, the per-session ledger, and the run lock.

Every write is atomic (temp file, fsync, rename), so a harness killed at any instant leaves
either the old or the new file, never half of one. A corrupt ``session.json`` is moved aside,
never silently reset, and rebuilt from the ledger.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from ..errors import LockError, PlantedLinkError, StateError
from ..files import open_append, read_bytes, read_text, write_atomic
from ..layout import Layout
from .recovery import OutcomeClass, describe_error

if TYPE_CHECKING:
    from ..agent.session import SessionOutcome
    from ..trackers.base import Progress

SCHEMA_VERSION = 1


class LedgerEntry(TypedDict, total=False):
    """One line of ``ledger.jsonl``: what one session did and cost."""

    session: int
    phase: str
    run_once: bool
    started: str
    ended: str
    outcome: str
    detail: str
    cost_usd: float
    input_tokens: int
    output_tokens: int
    turns: int
    duration_s: float
    model: str | None
    progress_before: str
    progress_after: str
    passing: int
    total: int
    warnings: list[str]
    wall_s: float
    api_retries: list[dict[str, Any]]
    commit: str | None
    denials: list[str]
    tampered: list[str]
    """Protected files the session changed (restored by the harness)."""
    sandbox: str
    """How Bash ran: "on", "off" (the config says so) or "unavailable" (bwrap missing)."""


@dataclass(kw_only=True)
class Totals:
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    turns: int = 0
    wall_seconds: float = 0.0


@dataclass(kw_only=True)
class RunState:
    """What a resumed run needs to carry on where the last one stopped."""

    session: int = 0
    completed_phases: list[str] = field(default_factory=list)
    consecutive_errors: int = 0
    consecutive_rate_limits: int = 0
    last_error: str = ""
    init_files: dict[str, str] = field(default_factory=dict)
    """Each init file's destination and the hash of what the harness last wrote there."""
    sessions_without_progress: int = 0
    best_passing: int = 0
    last_exit_code: int | None = None
    """How the last run ended (None before any), for a report asked for later."""
    last_reason: str = ""
    uncommitted: list[str] = field(default_factory=list)
    """Paths a failed checkpoint left in the tree, for the next checkpoint to commit."""
    totals: Totals = field(default_factory=Totals)

    def to_json(self) -> dict[str, Any]:
        return {"version": SCHEMA_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> RunState:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("version") != SCHEMA_VERSION:
            raise ValueError(f"unknown schema version {data.get('version')!r}")
        totals = data.get("totals", {})
        state = cls(
            session=_typed(data, "session", int),
            completed_phases=[str(p) for p in _typed(data, "completed_phases", list)],
            consecutive_errors=_typed(data, "consecutive_errors", int),
            last_error=_typed(data, "last_error", str),
            init_files={str(k): str(v) for k, v in _optional(data, "init_files", dict).items()},
            consecutive_rate_limits=int(data.get("consecutive_rate_limits", 0)),
            sessions_without_progress=int(data.get("sessions_without_progress", 0)),
            best_passing=int(data.get("best_passing", 0)),
            uncommitted=[str(p) for p in _optional(data, "uncommitted", list)],
            last_exit_code=_last_code(data.get("last_exit_code")),
            last_reason=str(data.get("last_reason") or ""),
            totals=Totals(
                cost_usd=float(totals.get("cost_usd", 0.0)),
                input_tokens=int(totals.get("input_tokens", 0)),
                output_tokens=int(totals.get("output_tokens", 0)),
                turns=int(totals.get("turns", 0)),
                wall_seconds=float(totals.get("wall_seconds", 0.0)),
            ),
        )
        return state


def _typed(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"'{key}' should be {kind.__name__}, found {value!r}")
    return value


def _last_code(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional(data: dict[str, Any], key: str, kind: type) -> Any:
    """A key older state files lack: its kind's empty value when absent."""
    return _typed({key: kind(), **data}, key, kind)


class StateStore:
    """Reads and writes the state files under the harness dir."""

    def __init__(self, layout: Layout) -> None:
        self.state_path = layout.state
        self.ledger_path = layout.ledger
        self._layout = layout
        self.warnings: list[str] = []

    def peek(self) -> RunState:
        """The saved state, read only: a missing or corrupt file reads as a fresh start and is
        left as it is (``load`` is what repairs it, under the run lock)."""
        try:
            return RunState.from_json(json.loads(read_bytes(self.state_path)))
        except (OSError, ValueError, TypeError, AttributeError, PlantedLinkError):
            return RunState()

    def load(self) -> RunState:
        """The saved state; a corrupt file is moved aside and rebuilt from the ledger."""
        try:
            raw = read_bytes(self.state_path)
        except FileNotFoundError:
            return self.rebuild_from_ledger() if self.ledger_path.exists() else RunState()
        except OSError as exc:
            raise StateError(self.state_path, f"cannot be read ({exc.strerror})") from exc
        try:
            return RunState.from_json(json.loads(raw.decode("utf-8")))
        except (ValueError, TypeError, AttributeError) as exc:
            aside = self._layout.corrupt_state(int(time.time()))
            os.replace(self.state_path, aside)
            state = self.rebuild_from_ledger()
            self.warnings.append(
                f"{self.state_path} was unreadable ({exc}); moved to {aside.name} and rebuilt "
                f"from {self.ledger_path.name} (session {state.session})"
            )
            self.save(state)
            return state

    def record(self, state: RunState, done: SessionRecord) -> None:
        """Count one finished session into the state and append its ledger line."""
        _count(state, done)
        self.append_ledger(_ledger_entry(state, done))
        self.save(state)

    def save(self, state: RunState) -> None:
        write_atomic(self.state_path, json.dumps(state.to_json(), indent=2) + "\n")

    def ledger(self) -> list[LedgerEntry]:
        """Every complete ledger line; a line torn by a kill is skipped."""
        try:
            lines = read_text(self.ledger_path).splitlines()
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(self.ledger_path, f"cannot be read ({exc})") from exc
        entries: list[LedgerEntry] = []
        for line in lines:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and isinstance(entry.get("session"), int):
                    entries.append(entry)  # type: ignore[arg-type]
        return entries

    def append_ledger(self, entry: LedgerEntry) -> None:
        """Append one line and fsync it: the ledger is the record a broken state is rebuilt from."""
        line = json.dumps(entry, sort_keys=True) + "\n"
        with open_append(self.ledger_path) as handle:
            # A kill mid-append can leave a torn last line: start ours on a fresh one.
            handle.seek(0, os.SEEK_END)
            if handle.tell() > 0:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
            handle.write(line.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())

    def rebuild_from_ledger(self) -> RunState:
        state = RunState()
        for entry in self.ledger():
            state.session = max(state.session, entry.get("session", 0))
            add_totals(state.totals, entry)
            state.best_passing = max(state.best_passing, int(entry.get("passing", 0)))
            if entry.get("outcome") in ("ok", "max_turns") and entry.get("run_once"):
                phase = entry.get("phase", "")
                if phase and phase not in state.completed_phases:
                    state.completed_phases.append(phase)
        return state


def add_totals(totals: Totals, entry: LedgerEntry) -> None:
    """Count one ledger line's cost, tokens, turns and time into ``totals``."""
    totals.cost_usd += float(entry.get("cost_usd", 0.0))
    totals.input_tokens += int(entry.get("input_tokens", 0))
    totals.output_tokens += int(entry.get("output_tokens", 0))
    totals.turns += int(entry.get("turns", 0))
    totals.wall_seconds += float(entry.get("duration_s", 0.0))


@dataclass(frozen=True, kw_only=True)
class SessionRecord:
    """What the loop learnt from one session, for the books."""

    phase: str
    run_once: bool
    outcome: SessionOutcome
    cls: OutcomeClass
    before: Progress
    after: Progress
    commit: str | None = None
    sandbox: str = "on"
    tampered: tuple[str, ...] = ()
    wall_seconds: float = 0.0
    """The session's wall time as the harness measured it (the CLI's own start-up included)."""


def _count(state: RunState, done: SessionRecord) -> None:
    """The counters the breaker, the budgets and a resume read."""
    cls, outcome = done.cls, done.outcome
    if cls.succeeded:
        state.consecutive_errors = 0
        state.consecutive_rate_limits = 0
        state.last_error = ""
        if done.run_once and done.phase not in state.completed_phases:
            state.completed_phases.append(done.phase)
    elif cls is OutcomeClass.RATE_LIMIT:
        # Waiting out a rate limit is not the agent failing: it does not trip the breaker.
        state.consecutive_rate_limits += 1
        state.last_error = describe_error(outcome, cls)
    elif cls is not OutcomeClass.INTERRUPTED:
        state.consecutive_errors += 1
        state.last_error = describe_error(outcome, cls)
    if cls not in (OutcomeClass.RATE_LIMIT, OutcomeClass.INTERRUPTED, OutcomeClass.NETWORK):
        if done.after.passing > state.best_passing:
            state.sessions_without_progress = 0
        else:
            state.sessions_without_progress += 1
    totals = state.totals
    totals.cost_usd += outcome.cost_usd
    totals.input_tokens += outcome.input_tokens
    totals.output_tokens += outcome.output_tokens
    totals.turns += outcome.num_turns
    totals.wall_seconds += outcome.duration_ms / 1000
    state.best_passing = max(state.best_passing, done.after.passing)


def _ledger_entry(state: RunState, done: SessionRecord) -> LedgerEntry:
    outcome, after = done.outcome, done.after
    now = datetime.now(timezone.utc)
    started = now - timedelta(milliseconds=outcome.duration_ms)
    return {
        "session": state.session,
        "phase": done.phase,
        "run_once": done.run_once,
        "started": started.isoformat(timespec="seconds"),
        "ended": now.isoformat(timespec="seconds"),
        "outcome": done.cls.value,
        "detail": "" if done.cls.succeeded else state.last_error,
        "cost_usd": outcome.cost_usd,
        "input_tokens": outcome.input_tokens,
        "output_tokens": outcome.output_tokens,
        "turns": outcome.num_turns,
        "duration_s": round(outcome.duration_ms / 1000, 3),
        "wall_s": round(done.wall_seconds, 3),
        "model": outcome.model,
        "progress_before": done.before.summary(),
        "progress_after": after.summary(),
        "passing": after.passing,
        "total": after.total,
        "warnings": list(after.warnings),
        "api_retries": [dict(retry) for retry in outcome.retries],
        "commit": done.commit,
        "denials": list(outcome.denials),
        "sandbox": done.sandbox,
        "tampered": list(done.tampered),
    }


@contextlib.contextmanager
def run_lock(layout: Layout, wait: float = 0.0) -> Iterator[None]:
    """Hold the project's run lock; a lock left by a dead process is taken over, one held by
    this process is held on (and kept when the inner holder is done). ``wait``: seconds to
    wait for another live holder before giving up."""
    path = layout.lock
    path.parent.mkdir(parents=True, exist_ok=True)
    if _lock_holder(path) == os.getpid():
        yield
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(path)
            if holder is not None and _alive(holder) and holder != os.getpid():
                if time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                raise LockError(path, holder) from None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        break
    try:
        yield
    finally:
        if _lock_holder(path) == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def lock_holder(layout: Layout) -> int | None:
    """The live process holding ``layout``'s run lock, if one does."""
    holder = _lock_holder(layout.lock)
    return holder if holder is not None and _alive(holder) else None


def _lock_holder(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
