"""``run --json``: one JSON object per event on standard output, the human lines on stderr.

Every object has ``"v": 1`` (this format's version), ``"kind"`` and ``"time"`` (Unix seconds).
Kinds and their fields:

- ``session_start``: ``session``, ``phase``, ``model``
- ``tool_call``: ``tool``, ``input`` (the call's brief form)
- ``tool_error``: ``tool``, ``text``
- ``denial``: ``tool``, ``reason``
- ``retry``: ``attempt``, ``delay_s``, ``status`` (None: the API was not reached)
- ``session_end``: ``outcome`` (the outcome class), ``seconds``, ``turns``, ``cost_usd``,
  ``progress``
- ``progress``: ``progress`` (``P/T passing``)
- ``tamper_warning`` and ``warning``: ``text``
- ``wait``: ``seconds``, ``reason``
- ``stop``: ``exit_code``, ``reason``, ``progress``, ``report``
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from .display import Display
from .session import SessionEvent, SessionOutcome

VERSION = 1


class JsonEvents(Display):
    """A display whose lines go to stderr and whose events go to stdout as JSON lines."""

    def __init__(self, out: TextIO | None = None, human: TextIO | None = None) -> None:
        super().__init__(human if human is not None else sys.stderr)
        self.out = out if out is not None else sys.stdout

    def emit(self, kind: str, **fields: Any) -> None:
        record = {"v": VERSION, "kind": kind, "time": round(time.time(), 3), **fields}
        try:
            self.out.write(json.dumps(record, default=str) + "\n")
            self.out.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.closed = True

    def warn(self, text: str) -> None:
        super().warn(text)
        self.emit("tamper_warning" if text.startswith("tampering") else "warning", text=text)

    def session_header(self, session: int, phase: str, model: str | None) -> None:
        super().session_header(session, phase, model)
        self.emit("session_start", session=session, phase=phase, model=model)

    def event(self, event: SessionEvent) -> None:
        super().event(event)
        if event.kind == "tool_call":
            self.emit("tool_call", tool=event.tool, input=event.text)
        elif event.kind == "tool_result" and event.is_error:
            self.emit("tool_error", tool=event.tool, text=event.text[:2000])
        elif event.kind == "denial":
            self.emit("denial", tool=event.tool, reason=event.text)
        elif event.kind == "retry" and not event.data.get("resets_at"):
            delay = (event.data.get("retry_delay_ms") or 0) / 1000
            status = event.data.get("error_status")
            self.emit("retry", attempt=event.data.get("attempt"), delay_s=delay, status=status)

    def session_summary(
        self, outcome: SessionOutcome, outcome_class: str, progress: str, seconds: float = 0.0
    ) -> None:
        super().session_summary(outcome, outcome_class, progress, seconds)
        self.emit(
            "session_end",
            outcome=outcome_class,
            seconds=round(seconds or outcome.duration_ms / 1000, 3),
            turns=outcome.num_turns,
            cost_usd=outcome.cost_usd,
            progress=progress,
        )
        self.emit("progress", progress=progress)

    def countdown(self, seconds: float, reason: str) -> None:
        super().countdown(seconds, reason)
        if seconds > 0:
            self.emit("wait", seconds=seconds, reason=reason)

    def stopped(self, exit_code: int, reason: str, progress: str, report: str) -> None:
        self.emit("stop", exit_code=exit_code, reason=reason, progress=progress, report=report)
