"""The harness's side of a forking worker (``zygote.py``): start it in the sandbox, send it a
pytest command line per mutant, read back the forked run's exit status.

The socket's other end is handed to the sandbox as an inherited descriptor, not as the
standard streams: bubblewrap's init process keeps those open, where a test could write to them.
Anything unexpected (the worker died, stalled, or refused to serve) raises ``ZygoteFailed``
and the caller falls back to a fresh process per mutant; a verdict is never guessed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from ..layout import Layout
from ..trackers.evidence import PytestSandbox, sandboxed

SOURCE = (Path(__file__).parent / "zygote.py").read_text(encoding="utf-8")
STARTUP_SECONDS = 120.0
SLACK_SECONDS = 30.0
"""How long past a run's own timeout the worker may take to answer before it is given up."""


class ZygoteFailed(Exception):
    pass


class Zygote:
    def __init__(
        self, layout: Layout, copy: Path, sandbox: PytestSandbox, env: Mapping[str, str]
    ) -> None:
        ours, theirs = socket.socketpair()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        argv = [sys.executable, "-c", SOURCE, str(theirs.fileno())]
        argv = sandboxed(argv, layout, sandbox, env, (), bound_from=copy)
        try:
            self.proc = subprocess.Popen(
                argv,
                cwd=layout.project_dir,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=self.log,
                pass_fds=[theirs.fileno()],
                start_new_session=True,
            )
        except OSError as exc:
            ours.close()
            raise ZygoteFailed(f"cannot start: {exc.strerror}") from exc
        finally:
            theirs.close()
        self.socket = ours
        self.replies = ours.makefile("rb")
        hello = self._receive(STARTUP_SECONDS)
        if "ready" not in hello:
            self.close()
            raise ZygoteFailed(str(hello.get("refused") or hello))

    def run(self, args: list[str], timeout: float) -> tuple[int | None, str]:
        """The exit code of one forked pytest run (None: it ran past ``timeout``), and its
        output's tail."""
        request = json.dumps({"args": args, "timeout": timeout}).encode() + b"\n"
        try:
            self.socket.sendall(request)
        except OSError as exc:
            raise ZygoteFailed(f"gone: {exc}") from exc
        reply = self._receive(timeout + SLACK_SECONDS)
        code = reply.get("code")
        if not (code is None or isinstance(code, int)) or "code" not in reply:
            raise ZygoteFailed(f"unexpected reply: {str(reply)[:200]}")
        return code, str(reply.get("output", ""))

    def _receive(self, seconds: float) -> dict[str, Any]:
        self.socket.settimeout(seconds)
        try:
            line = self.replies.readline()
            message = json.loads(line) if line else None
        except (OSError, ValueError) as exc:
            self.close()
            raise ZygoteFailed(f"no reply: {exc}") from exc
        if not isinstance(message, dict):
            self.close()
            raise ZygoteFailed(f"stopped: {self._log_tail()}")
        return message

    def _log_tail(self) -> str:
        with suppress(OSError):
            self.log.seek(0)
            tail = self.log.read().decode("utf-8", "replace").strip().splitlines()
            return tail[-1][:200] if tail else "no output"
        return "no output"

    def close(self) -> None:
        with suppress(OSError):
            self.replies.close()
            self.socket.close()
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()
