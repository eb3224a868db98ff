"""The harness SIGKILLed at seeded random moments, again and again, loses nothing.

One project is run over and over through the real CLI; each run is killed, with everything it
started (the session's CLI, a git command), at a moment drawn from a seeded generator: some
while the process starts, most at an offset after a session's first or last request, where the
harness writes files, evaluates the tracker, commits and snapshots. After every kill the state
files parse, every checkpoint commit and safety ref recorded before it is intact, and the next
run resumes at the session after the one that was cut off. A last run finishes the work.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import harness_env, passing_checklist, wait_for_group_exit

from pytest_agent_harness.testing import Request, ScriptedModel, Turn, text, tool_use

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SEED = 20261125
KILLS = 24
SESSION_NUMBER = re.compile(r"This is session (\d+)\.")


@dataclass
class KillPlan:
    """Kill the run ``delay`` seconds after ``anchor``: its start, or a request of one session."""

    anchor: str  # "start", "first" or "last"
    session_in_run: int
    delay: float


@dataclass
class CrashModel:
    """Each session writes one file and ends; the run in progress is killed as planned."""

    project: Path
    plan: KillPlan | None = None
    pgid: int | None = None
    finish: bool = False
    sessions_by_run: list[list[int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_run(self, pgid: int, plan: KillPlan | None) -> None:
        with self.lock:
            self.pgid, self.plan = pgid, plan
            self.sessions_by_run.append([])
        if plan is not None and plan.anchor == "start":
            self._kill_later(plan.delay)

    def _kill_later(self, delay: float) -> None:
        pgid = self.pgid
        assert pgid is not None
        timer = threading.Timer(delay, kill_group, args=(pgid,))
        timer.daemon = True
        timer.start()

    def __call__(self, request: Request) -> Turn:
        conversation = json.dumps(request.messages)
        match = SESSION_NUMBER.search(conversation)
        assert match, "the harness's prompt names the session"
        session = int(match.group(1))
        first = '"tool_result"' not in conversation
        with self.lock:
            seen = self.sessions_by_run[-1]
            if first:
                seen.append(session)
            plan = self.plan
            if (
                plan is not None
                and plan.anchor == ("first" if first else "last")
                and len(seen) == plan.session_in_run
            ):
                self.plan = None
                self._kill_later(plan.delay)
        if not first:
            return Turn(text("Done for this session."))
        if self.finish:
            path, content = self.project / "feature_list.json", passing_checklist(self.project)
        else:
            path = self.project / "work" / f"session-{session}.txt"
            content = f"written in session {session}\n"
        return Turn(tool_use("Write", {"file_path": str(path), "content": content}))


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, check=True, capture_output=True, text=True
    ).stdout


@dataclass(frozen=True)
class Record:
    """What the project holds after a run: the facts that must survive the next kill."""

    session: int
    commits: frozenset[str]
    refs: dict[str, str]


def check_state(project: Path) -> Record:
    """The state files parse; git is consistent; return what was recorded so far."""
    harness = project / ".agent-harness"
    state = json.loads((harness / "session.json").read_text())
    lines = (harness / "ledger.jsonl").read_text() if (harness / "ledger.jsonl").exists() else ""
    ledger = [json.loads(line) for line in lines.splitlines()]
    if (harness / "baseline.json").exists():
        json.loads((harness / "baseline.json").read_text())
    assert [e["session"] for e in ledger] == sorted({e["session"] for e in ledger})
    git(project, "fsck", "--no-dangling", "--no-progress")
    # Every commit on the branch, so one made just before a kill (not in the ledger yet) counts.
    commits = frozenset(e["commit"] for e in ledger if e["commit"]) | branch_commits(project)
    refs = dict(
        line.split(" ", 1)
        for line in git(
            project, "for-each-ref", "--format=%(refname) %(objectname)", "refs/agent-harness"
        ).splitlines()
    )
    return Record(session=state["session"], commits=commits, refs=refs)


def branch_commits(project: Path) -> frozenset[str]:
    head = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=project, capture_output=True
    )
    return (
        frozenset(git(project, "rev-list", "HEAD").split()) if head.returncode == 0 else frozenset()
    )


def assert_kept(before: Record, after: Record, project: Path) -> None:
    assert before.commits <= after.commits
    for commit in before.commits:
        git(project, "merge-base", "--is-ancestor", commit, "HEAD")  # still on the branch
    assert {k: v for k, v in after.refs.items() if k in before.refs} == before.refs
    assert after.session >= before.session


def start(project: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pytest_agent_harness", "run", "--project-dir", str(project)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def plan_kill(rng: random.Random) -> KillPlan:
    roll = rng.random()
    if roll < 0.2:
        return KillPlan(anchor="start", session_in_run=0, delay=rng.uniform(0.2, 2.0))
    anchor = "first" if roll < 0.5 else "last"
    return KillPlan(anchor=anchor, session_in_run=rng.choice([1, 1, 2]), delay=rng.uniform(0, 0.9))


def test_random_kills_lose_no_state_commit_or_ref(
    make_project, scripted_model, tmp_path: Path
) -> None:
    project = make_project(config={"max_iterations": 1000})
    git(project, "init", "-q", "-b", "main")
    # A slow pre-commit hook, as many projects have, holds each checkpoint inside `git commit`
    # long enough for kills to land there too.
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nsleep 0.3\n")
    hook.chmod(0o755)
    crash = CrashModel(project)
    model: ScriptedModel = scripted_model(handler=crash)
    env = harness_env(model, tmp_path)
    rng = random.Random(SEED)
    logs = tmp_path / "logs"
    logs.mkdir()

    record: Record | None = None
    expected_first: int | None = None
    kills = 0
    for attempt in range(KILLS * 2):
        if kills == KILLS:
            break
        plan = plan_kill(rng)
        log = logs / f"run-{attempt}.log"
        harness = start(project, env, log)
        crash.new_run(harness.pid, plan)
        try:
            code = harness.wait(timeout=90)
        finally:
            kill_group(harness.pid)  # whatever the run started dies with it
        output = log.read_text(errors="replace")
        assert code == -signal.SIGKILL, f"run {attempt} ended by itself ({code}):\n{output}"
        assert wait_for_group_exit(harness.pid, 10), (
            f"process group {harness.pid} outlived its kill"
        )
        if not (project / ".agent-harness" / "session.json").exists():
            continue  # killed before its first state write: nothing to keep yet
        kills += 1
        now = check_state(project)
        if record is not None:
            assert_kept(record, now, project)
        seen = crash.sessions_by_run[-1]
        if seen and expected_first is not None:
            assert seen[0] == expected_first, f"run {attempt} did not resume:\n{output}"
        assert seen == list(range(seen[0], seen[0] + len(seen))) if seen else True
        record, expected_first = now, now.session + 1
    assert kills == KILLS
    sessions = [s for run in crash.sessions_by_run for s in run]
    assert len(sessions) == len(set(sessions)), "a session number was used twice"
    assert len(sessions) >= KILLS // 2, "the kills should cut through several sessions"

    crash.finish = True
    harness = start(project, env, logs / "final.log")
    crash.new_run(harness.pid, None)
    code = harness.wait(timeout=120)
    output = (logs / "final.log").read_text()
    assert code == 0, output
    assert record is not None
    final = check_state(project)
    assert_kept(record, final, project)
    assert crash.sessions_by_run[-1][0] == expected_first
    # Every file a session wrote, even one whose run was killed, is committed by now.
    written = sorted(p.name for p in (project / "work").iterdir())
    committed = git(project, "ls-tree", "--name-only", "HEAD", "work/").split()
    assert [Path(p).name for p in committed] == written
    assert not list(project.rglob("*.agent-harness-*.tmp")), "a half-written file was left"
    # Only the user's own untracked file is left as it was.
    assert git(project, "status", "--porcelain") == "?? .agent-harness/config.toml\n"
