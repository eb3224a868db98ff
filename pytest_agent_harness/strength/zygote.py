"""A pre-imported pytest that forks once per mutant: run inside the sandbox as a script.

Starting Python, importing pytest and loading its plugins costs most of a mutant run on a fast
suite, and none of it depends on the mutant. This process pays for it once, imports nothing of
the project, and then forks a child per request that runs pytest like ``python -m pytest``
would, so the child imports the (mutated) project afresh.

The verdict is the child's exit status, read with ``waitpid`` by code that ran before any of
the project's. It travels on a socket only this process holds: the child closes its copy
before running anything, and this process is not dumpable, so a child cannot reach the socket
through ``/proc``. The harness passes the socket's descriptor as the only argument.

Stdlib only: this file is run with ``python -c``, not imported.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import json
import os
import random
import select
import signal
import socket
import sys
import tempfile
import time

OUTPUT_LIMIT = 1 << 20
"""Bytes of a child's output kept (the tail): enough for pytest's short summary."""
GRACE = 0.5
"""Seconds to keep reading a child's output after it exited (a grandchild may hold the pipe)."""
PR_SET_DUMPABLE = 4


def main() -> None:
    channel = socket.socket(fileno=int(sys.argv[1]))
    _dumpable(False)
    if _exposed(channel.fileno()):
        _send(channel, {"refused": "the channel is open in another process"})
        return
    preloaded = _preload()
    gc.freeze()  # the children share the preloaded heap instead of copying it page by page
    _send(channel, {"ready": preloaded})
    for line in channel.makefile("rb"):
        request = json.loads(line)
        _send(channel, _serve(channel, [str(a) for a in request["args"]], request["timeout"]))


def _send(channel: socket.socket, message: dict[str, object]) -> None:
    channel.sendall(json.dumps(message).encode() + b"\n")


def _dumpable(value: bool) -> None:
    """A non-dumpable process's ``/proc/PID/fd`` and memory are closed to processes without
    CAP_SYS_PTRACE, which nothing in the sandbox has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, int(value), 0, 0, 0) != 0 and not value:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def _exposed(fd: int) -> bool:
    """Whether another process in this PID namespace holds the channel (bwrap's init might)."""
    mine = os.fstat(fd)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            for entry in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    other = os.stat(f"/proc/{pid}/fd/{entry}")
                    if (other.st_dev, other.st_ino) == (mine.st_dev, mine.st_ino):
                        return True
    return False


def _preload() -> int:
    """Import pytest and its installed plugins, and let one empty session import what they
    import lazily; nothing under the project is imported."""
    before = len(sys.modules)
    import pytest

    with contextlib.suppress(Exception):
        from importlib.metadata import entry_points

        for plugin in entry_points(group="pytest11"):
            with contextlib.suppress(Exception):
                plugin.load()
    here = os.getcwd()
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        with tempfile.TemporaryDirectory() as empty:
            os.chdir(empty)
            os.dup2(null, 1)
            os.dup2(null, 2)
            with contextlib.suppress(BaseException):
                pytest.main(["-q", "-p", "no:cacheprovider", "--collect-only", empty])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)
        os.chdir(here)
    return len(sys.modules) - before


def _serve(channel: socket.socket, args: list[str], timeout: float) -> dict[str, object]:
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            _child(channel, args, write)
        finally:
            os._exit(70)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # also done by the child: whichever runs first
    os.close(write)
    status, output = _watch(pid, read, time.monotonic() + timeout)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)  # whatever the tests left running
    if status is None:
        os.waitpid(pid, 0)
        return {"code": None, "output": output}
    return {"code": os.waitstatus_to_exitcode(status), "output": output}


def _child(channel: socket.socket, args: list[str], write: int) -> None:
    os.setpgid(0, 0)
    os.close(channel.detach())  # before anything of the project runs
    os.dup2(write, 1)
    os.dup2(write, 2)
    os.close(write)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _dumpable(True)
    random.seed()  # a fresh process would not share its parent's random state
    import pytest

    sys.argv = [os.path.join(os.path.dirname(pytest.__file__), "__main__.py"), *args]
    try:
        code = pytest.main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(int(code))


def _watch(pid: int, read: int, deadline: float) -> tuple[int | None, str]:
    """The child's wait status (None: it ran past ``deadline``) and the tail of its output."""
    output = bytearray()
    status: int | None = None
    ended = 0.0
    open_ = True
    while True:
        now = time.monotonic()
        if status is None and now >= deadline:
            break
        if status is not None and (not open_ or now - ended > GRACE):
            break
        if open_ and select.select([read], [], [], 0.02)[0]:
            chunk = os.read(read, 65536)
            if chunk:
                output += chunk
                del output[:-OUTPUT_LIMIT]
            else:
                open_ = False
        elif not open_:
            time.sleep(0.005)
        if status is None:
            done, found = os.waitpid(pid, os.WNOHANG)
            if done:
                status, ended = found, time.monotonic()
    os.close(read)
    return status, output.decode("utf-8", "replace")


if __name__ == "__main__":
    main()
