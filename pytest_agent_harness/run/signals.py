"""SIGTERM and SIGHUP end a run the way Ctrl+C does: what CI cancellation, ``docker stop``,
``timeout`` and a closed terminal send must not lose the session's record.

While a run lasts, both are turned into SIGINT, so the one interrupt path runs: the CLI's
session ends, is recorded as interrupted, the state is saved, the summary printed. The exit
status is the shell's convention for the signal received (130, 143, 129). SIGINT is honoured
even when the run inherited it as ignored, as a job started in the background by a script
does.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

from ..errors import ExitCode

EXIT_CODES = {
    signal.SIGINT: ExitCode.INTERRUPTED,
    signal.SIGTERM: ExitCode.TERMINATED,
    signal.SIGHUP: ExitCode.HUNG_UP,
}
FORWARDED = (signal.SIGTERM, signal.SIGHUP)


@dataclass
class Stop:
    received: signal.Signals | None = None
    """The first of SIGTERM or SIGHUP that arrived (None: Ctrl+C, or nothing)."""

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.received or signal.SIGINT]


@contextlib.contextmanager
def as_interrupts() -> Iterator[Stop]:
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set from the main thread
        return

    def forward(signum: int, frame: FrameType | None) -> None:
        if stop.received is None:
            stop.received = signal.Signals(signum)
        signal.raise_signal(signal.SIGINT)

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, *FORWARDED)}
    if before[signal.SIGINT] == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in FORWARDED:
        signal.signal(name, forward)
    try:
        yield stop
    finally:
        for name, handler in before.items():
            signal.signal(name, handler)
