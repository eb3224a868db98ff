"""A long run on the scripted model: does the harness process leak memory, files or processes?

Starts `agent-harness run` as a child process for N one-turn sessions (default 200) whose
checklist never completes. As each session's first request reaches the scripted model, this
script reads the harness process from /proc: resident memory, open file descriptors and child
processes (at that moment exactly one: the session's CLI). This script is the child subreaper
for the run, so any process the harness leaves behind is re-parented here and counted after
the harness exits. Targets: RSS growth from session 10 to N under 20 MiB; descriptors and
children the same at every session from 10 on; no orphaned CLI or git process.

    python bench/soak.py [--sessions N]
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from _common import Row, parser, report
from session_overhead import make_project

from pytest_agent_harness.testing import Request, ScriptedModel, Turn, text

RSS_GROWTH_TARGET_MIB = 20.0
FIRST_COUNTED = 10
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Sample:
    session: int
    rss_kib: int
    fds: int
    children: tuple[str, ...]


def children_of(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of the live processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append((int(entry), name))
    return found


def sample(pid: int, session: int) -> Sample:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    children = tuple(sorted(name for _, name in children_of(pid)))
    return Sample(session=session, rss_kib=rss, fds=fds, children=children)


class Sampler:
    """The scripted model's handler: one-turn replies, and a reading of the harness per session."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.samples: list[Sample] = []
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Turn:
        first = not any(m.get("role") == "assistant" for m in request.messages)
        if first and self.pid is not None:  # the first request of a session
            with self.lock:
                self.samples.append(sample(self.pid, len(self.samples) + 1))
        return Turn(text("Nothing to do this time."))


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--sessions", type=int, default=200)
    args = options.parse_args()
    if args.sessions <= FIRST_COUNTED:
        options.error(f"--sessions must be more than {FIRST_COUNTED}")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit("cannot become the child subreaper; orphans would go uncounted")
    sampler = Sampler()
    with tempfile.TemporaryDirectory() as tmp, ScriptedModel(handler=sampler) as model:
        root = Path(tmp)
        project = make_project(root, args.sessions)
        env = {**os.environ, **model.env(root / "claude-config", root / "home")}
        env.pop("CLAUDE_CODE_OAUTH_TOKEN", None)
        start = time.perf_counter()
        harness = subprocess.Popen(
            [sys.executable, "-m", "pytest_agent_harness", "run", "--project-dir", str(project)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler.pid = harness.pid
        _, stderr = harness.communicate()
        elapsed = time.perf_counter() - start
        time.sleep(0.5)  # let anything the harness left behind be re-parented here
        orphans = children_of(os.getpid())
        ledger = (project / ".agent-harness" / "ledger.jsonl").read_text().splitlines()
        sessions = len(ledger)
        outcomes = {json.loads(line)["outcome"] for line in ledger}
    if harness.returncode != 1 or sessions != args.sessions:
        raise SystemExit(
            f"the soak run ended early: exit {harness.returncode}, {sessions} sessions\n{stderr}"
        )
    counted = [s for s in sampler.samples if s.session >= FIRST_COUNTED]
    first, last = counted[0], counted[-1]
    growth = (last.rss_kib - first.rss_kib) / 1024
    fds = {s.fds for s in counted}
    kids = {s.children for s in counted}
    print(
        f"soak: {sessions} sessions in {elapsed:.0f} s ({elapsed / sessions * 1000:.0f} ms each), "
        f"outcomes {sorted(outcomes)}"
    )
    print(
        f"  harness RSS at session {first.session}: {first.rss_kib / 1024:.1f} MiB, "
        f"at session {last.session}: {last.rss_kib / 1024:.1f} MiB"
    )
    rows = [
        Row(
            what=f"RSS growth, session {first.session} to {last.session}",
            measured=f"{growth:+.1f} MiB",
            target=f"< {RSS_GROWTH_TARGET_MIB:g} MiB",
            holds=growth < RSS_GROWTH_TARGET_MIB,
        ),
        Row(
            what="open file descriptors per session",
            measured=f"{min(fds)}..{max(fds)}",
            target="constant",
            holds=len(fds) == 1,
        ),
        Row(
            what="child processes per session",
            measured=" / ".join(",".join(k) or "none" for k in sorted(kids)),
            target="constant (the session's CLI)",
            holds=len(kids) == 1 and len(first.children) == 1,
        ),
        Row(
            what="orphaned processes after the run",
            measured=str(len(orphans)) + (f" {sorted(n for _, n in orphans)}" if orphans else ""),
            target="0",
            holds=not orphans,
        ),
    ]
    return report(rows, args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
