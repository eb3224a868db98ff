"""Worker processes as the coordinator sees them: started, read, waited for, stopped.

Each worker runs in a process group of its own, so a Ctrl+C on the terminal reaches the
coordinator alone, which then stops every worker once, the same way, and waits for their
sessions to be recorded. Its events arrive as JSON lines on a pipe, read by a thread into one
queue; its human lines go to a log file. Its peak memory (the worker and the CLI it ran) is
read from the kernel when it is reaped.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

STOP_GRACE_SECONDS = 60.0


@dataclass
class Slot:
    """One worker session in flight."""

    label: str
    unit: str
    session: int
    process: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)
    exit_code: int | None = None
    rss_mb: float = 0.0
    tool: str = ""
    reader: threading.Thread | None = None

    def reap(self) -> bool:
        """Whether the process has ended (its exit code and peak memory recorded)."""
        if self.exit_code is not None:
            return True
        try:
            pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
        except ChildProcessError:
            self.exit_code = self.process.returncode if self.process.returncode is not None else 1
            return True
        if pid == 0:
            return False
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.process.returncode = self.exit_code
        self.rss_mb = round(usage.ru_maxrss / 1024, 1)
        if self.exit_code < 0:  # killed by a signal: the shell's way of saying it
            self.exit_code = 128 - self.exit_code
        return True

    def signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.process.pid, sig)

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


Events = queue.Queue[tuple[str, dict[str, Any]]]


def start(label: str, unit: str, session: int, spec: Path, log: Path, events: Events) -> Slot:
    """Start the worker for ``spec``; its events go to ``events`` tagged with ``label``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest_agent_harness.parallel.worker", str(spec)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            start_new_session=True,
        )
    slot = Slot(label, unit, session, process, log)
    assert process.stdout is not None
    slot.reader = threading.Thread(
        target=_read, args=(label, process.stdout, events), daemon=True, name=f"worker-{label}"
    )
    slot.reader.start()
    return slot


def _read(label: str, stream: IO[bytes], events: Events) -> None:
    with stream:
        for line in stream:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict):
                    events.put((label, event))


def stop_all(slots: list[Slot], sig: signal.Signals, grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop every worker with ``sig`` (each records its session as interrupted), then wait;
    one that is still there after ``grace`` seconds is killed with its process group."""
    for slot in slots:
        slot.signal(sig)
    deadline = time.monotonic() + grace
    while any(not slot.reap() for slot in slots) and time.monotonic() < deadline:
        time.sleep(0.1)
    for slot in slots:
        if not slot.reap():
            slot.kill_group()
            while not slot.reap():
                time.sleep(0.05)
    for slot in slots:
        if slot.reader is not None:
            slot.reader.join(timeout=5)
