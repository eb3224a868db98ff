"""Worker processes as the coordinator sees them: started, given sessions, read, stopped.

A worker process lives as long as the run and runs one session at a time, each given as a line
on its standard input (a spec file); the Python start-up and the SDK's imports are paid once,
not per session. Each runs in a process group of its own, so a Ctrl+C on the terminal reaches
the coordinator alone, which then stops every worker once, the same way, and waits for their
sessions to be recorded. Events arrive as JSON lines on a pipe, read by a thread into one
queue; a worker's human lines go to its log file.
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
DONE = "worker_done"
"""The event a worker sends when its session is over: ``exit_code``, ``rss_mb``, ``cli_rss_mb``."""


@dataclass
class Session:
    unit: str
    number: int
    started: float = field(default_factory=time.monotonic)
    tool: str = ""
    done: dict[str, Any] | None = None
    """The worker's ``worker_done`` event, once the session is over."""


@dataclass
class Worker:
    """One worker process, and the session it runs, if any."""

    label: str
    process: subprocess.Popen[bytes]
    log: Path
    reader: threading.Thread | None = None
    session: Session | None = None
    exit_code: int | None = None
    sessions: int = 0
    """Sessions it was given."""

    def assign(self, unit: str, number: int, spec: Path) -> None:
        self.session = Session(unit, number)
        self.sessions += 1
        assert self.process.stdin is not None
        self.process.stdin.write(f"{spec}\n".encode())
        self.process.stdin.flush()

    def ended(self) -> bool:
        """Whether the process has ended (its exit code recorded)."""
        if self.exit_code is None and self.process.poll() is not None:
            code = self.process.returncode
            self.exit_code = 128 - code if code < 0 else code
            if self.reader is not None:
                self.reader.join(timeout=5)
        return self.exit_code is not None

    def signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.process.pid, sig)

    def close(self) -> None:
        """No more sessions: the worker exits once its input ends."""
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdin is not None:
                self.process.stdin.close()

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


Events = queue.Queue[tuple[str, dict[str, Any]]]


def start(label: str, log: Path, events: Events) -> Worker:
    """Start worker ``label``; its events go to ``events`` tagged with the label."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest_agent_harness.parallel.worker", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            start_new_session=True,
        )
    worker = Worker(label, process, log)
    assert process.stdout is not None
    worker.reader = threading.Thread(
        target=_read, args=(worker, process.stdout, events), daemon=True, name=f"worker-{label}"
    )
    worker.reader.start()
    return worker


def _read(worker: Worker, stream: IO[bytes], events: Events) -> None:
    with stream:
        for line in stream:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if not isinstance(event, dict):
                    continue
                if event.get("kind") == DONE and worker.session is not None:
                    worker.session.done = event
                events.put((worker.label, event))


def stop_all(workers: list[Worker], sig: signal.Signals, grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop every worker with ``sig`` (one in a session records it as interrupted), then wait;
    one still there after ``grace`` seconds is killed with its process group."""
    for worker in workers:
        worker.close()
        worker.signal(sig)
    deadline = time.monotonic() + grace
    while any(not worker.ended() for worker in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    for worker in workers:
        if not worker.ended():
            worker.kill_group()
            worker.process.wait()
            worker.ended()
