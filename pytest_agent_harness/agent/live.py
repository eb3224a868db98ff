"""The terminal's display: the plain lines, with one status line kept at the bottom and updated
in place (elapsed time, session, phase, the tool running, passing/total, cost so far, the time
to the next session while waiting). Only when standard output is a terminal: a log or a pipe
gets the plain lines alone."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from .display import Display
from .session import SessionEvent, SessionOutcome

CLEAR = "\r\x1b[2K"
CLEAR_BELOW = "\r\x1b[J"
TICK_SECONDS = 1.0


class LiveDisplay(Display):
    def __init__(
        self,
        stream: TextIO,
        *,
        verbose: bool = False,
        quiet: bool = False,
        colour: bool = False,
        cost_note: str = "",
    ) -> None:
        super().__init__(stream, verbose=verbose, quiet=quiet, colour=colour, cost_note=cost_note)
        self.started = time.monotonic()
        self.fields: dict[str, str] = {}
        self.wait_until = 0.0
        self.rows: list[str] = []
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.ticker = threading.Thread(target=self._tick, daemon=True, name="status-line")
        self.ticker.start()

    def _status(self) -> str:
        elapsed = int(time.monotonic() - self.started)
        parts = [f"{elapsed // 3600:d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"]
        parts += [value for value in self.fields.values() if value]
        if (left := self.wait_until - time.monotonic()) > 0:
            parts.append(f"next session in {left:.0f}s")
        return " | ".join(parts)

    def _draw(self) -> None:
        if self.closed:
            return
        text = CLEAR + self.paint(self._status(), "green")[:400]
        if self.rows:  # the workers' lines, then back up to the status line
            text = CLEAR_BELOW + text[len(CLEAR) :]
            text += "".join(f"\n  {row[:200]}" for row in self.rows)
            text += f"\x1b[{len(self.rows)}A\r"
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.closed = True

    def worker_rows(self, rows: list[str]) -> None:
        with self.lock:
            if rows != self.rows and self.rows and not self.closed:
                try:
                    self.stream.write(CLEAR_BELOW)
                except (BrokenPipeError, OSError, ValueError):
                    self.closed = True
            self.rows = rows

    def _tick(self) -> None:
        while not self.stop.wait(TICK_SECONDS):
            with self.lock:
                self._draw()

    def line(self, text: str = "") -> None:
        with self.lock:
            if not self.closed:
                try:
                    self.stream.write(CLEAR_BELOW if self.rows else CLEAR)
                except (BrokenPipeError, OSError, ValueError):
                    self.closed = True
            super().line(text)
            self._draw()

    def close(self) -> None:
        self.stop.set()
        with self.lock:
            if not self.closed:
                try:
                    self.stream.write(CLEAR_BELOW if self.rows else CLEAR)
                    self.stream.flush()
                except (BrokenPipeError, OSError, ValueError):
                    self.closed = True

    def session_header(self, session: int, phase: str, model: str | None) -> None:
        self.fields.update(session=f"session {session}", phase=phase, tool="")
        self.wait_until = 0.0
        super().session_header(session, phase, model)

    def event(self, event: SessionEvent) -> None:
        if event.kind == "tool_call":
            self.fields["tool"] = f"running {event.tool}"
        elif event.kind == "tool_result":
            self.fields["tool"] = ""
        super().event(event)
        if self.quiet:
            with self.lock:
                self._draw()

    def session_summary(
        self, outcome: SessionOutcome, outcome_class: str, progress: str, seconds: float = 0.0
    ) -> None:
        self.fields.update(tool="", progress=progress)
        super().session_summary(outcome, outcome_class, progress, seconds)

    def cost_so_far(self, cost_usd: float) -> None:
        self.fields["cost"] = f"${cost_usd:.4f}{self.cost_note}"
        super().cost_so_far(cost_usd)

    def countdown(self, seconds: float, reason: str) -> None:
        self.wait_until = time.monotonic() + seconds
        super().countdown(seconds, reason)


def make_display(
    *, verbose: bool = False, quiet: bool = False, colour: str = "auto", cost_note: str = ""
) -> Display:
    """The display for a run on standard output: live on a terminal, plain lines otherwise.
    ``colour``: auto (a terminal without ``NO_COLOR``), always or never."""
    stream = sys.stdout
    terminal = stream.isatty()
    painted = colour == "always" or (colour == "auto" and terminal and "NO_COLOR" not in os.environ)
    if terminal:
        return LiveDisplay(
            stream, verbose=verbose, quiet=quiet, colour=painted, cost_note=cost_note
        )
    return Display(stream, verbose=verbose, quiet=quiet, colour=painted, cost_note=cost_note)
