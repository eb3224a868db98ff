"""Console output: plain lines that read the same in a terminal and in a CI log.

No cursor tricks here: a run left overnight is read from a log file in the morning. On a
terminal, ``live.LiveDisplay`` adds one status line that updates in place, and colour (which
``NO_COLOR`` and ``--color never`` turn off); ``make_display`` picks.
"""

from __future__ import annotations

import os
import re
import sys
import time
from typing import TextIO

from .session import SessionEvent, SessionOutcome

RULE = "=" * 72
COLOURS = {"red": "31", "green": "32", "yellow": "33"}
VERBOSE_RESULT_LINES = 8


class Display:
    """Prints what the run does, one line per event."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        verbose: bool = False,
        quiet: bool = False,
        colour: bool = False,
        cost_note: str = "",
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.verbose = verbose
        self.quiet = quiet
        """Only session headers and summaries, warnings and the final summary."""
        self.colour = colour
        self.cost_note = cost_note
        """Said after every cost shown, such as " (simulated)" under a scripted model."""
        self.closed = False

    def paint(self, text: str, colour: str) -> str:
        """``text`` in ``colour`` (red, green, yellow) when colour is on."""
        if not self.colour:
            return text
        return f"\x1b[{COLOURS[colour]}m{text}\x1b[0m"

    def close(self) -> None:
        """The run is over (a live display takes its status line away)."""

    def worker_rows(self, rows: list[str]) -> None:
        """A parallel run's workers, one line each, kept under the status line of a live
        display; plain output shows each worker's sessions as lines instead."""

    def line(self, text: str = "") -> None:
        """One line; once the reader has gone (a closed pipe, a closed terminal), nothing
        more is shown and the run goes on: its record is the ledger, not this output."""
        if self.closed:
            return
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.closed = True
            if self.stream is sys.stdout:
                quiet_stdout()

    def warn(self, text: str) -> None:
        self.line(self.paint(f"WARNING: {text}", "yellow"))

    def session_header(self, session: int, phase: str, model: str | None) -> None:
        self.line(RULE)
        self.line(f"Session {session}  phase: {phase}  model: {model or 'CLI default'}")
        self.line(RULE)

    def event(self, event: SessionEvent) -> None:
        """Render one session event; long texts are cut so a log stays skimmable."""
        if self.quiet:
            return
        if event.kind == "init":
            self.line(f"  model in use: {event.text or 'unknown'}")
        elif event.kind == "text":
            text = " ".join(event.text.split())
            self.line(f"  agent: {_cut(text, 300 if not self.verbose else 4000)}")
        elif event.kind == "tool_call":
            self.line(f"  > {event.tool}: {_cut(event.text, 160)}")
        elif event.kind == "tool_result" and event.is_error:
            first = event.text.strip().splitlines()[0] if event.text.strip() else "(no message)"
            self.line(f"    ! {event.tool or 'tool'} error: {_cut(first, 240)}")
        elif event.kind == "tool_result" and self.verbose:  # -v: what each tool gave back
            for result in event.text.strip().splitlines()[:VERBOSE_RESULT_LINES]:
                self.line(f"    | {_cut(result, 240)}")
        elif event.kind == "denial":
            self.line(self.paint(f"    x denied {event.tool}: {_cut(event.text, 240)}", "red"))
        elif event.kind == "retry":
            data = event.data
            if data.get("resets_at"):
                reset = time.strftime("%H:%M:%S", time.localtime(float(data["resets_at"])))
                self.line(f"  rate limited: the limit resets at {reset}")
                return
            delay = (data.get("retry_delay_ms") or 0) / 1000
            status = data.get("error_status")
            what = f"API error {status}" if status else "API not reached (connection error)"
            self.line(f"  {what}; CLI retry {data.get('attempt')} in {delay:.1f}s")

    def session_summary(
        self, outcome: SessionOutcome, outcome_class: str, progress: str, seconds: float = 0.0
    ) -> None:
        """``seconds``: the session's wall time as the harness measured it (else the CLI's)."""
        seconds = seconds or outcome.duration_ms / 1000
        self.line(
            f"Session done: {outcome_class}  {seconds:.1f}s  {outcome.num_turns} turn"
            f"{'' if outcome.num_turns == 1 else 's'}  "
            f"${outcome.cost_usd:.4f}{self.cost_note}  progress: {progress}"
        )

    def cost_so_far(self, cost_usd: float) -> None:
        self.line(f"Cost so far: ${cost_usd:.4f}{self.cost_note}")

    def countdown(self, seconds: float, reason: str) -> None:
        if seconds > 0:
            shown = f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"
            self.line(f"{reason} in {shown}s (Ctrl+C to stop)")

    def stopped(self, exit_code: int, reason: str, progress: str, report: str) -> None:
        """The run has stopped (its summary lines are already shown)."""


def quiet_stdout() -> None:
    """Point standard output at the null device: what is still buffered, and any later
    print, goes nowhere instead of raising at every write and once more at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with its control characters shown as ``?``: what the agent says or a tool prints
    reaches a terminal, where an escape sequence could rewrite what the person sees."""
    return CONTROL.sub("?", text)


def _cut(text: str, limit: int) -> str:
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
