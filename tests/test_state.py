"""session.json, the ledger and the run lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agent_harness.errors import ExitCode, LockError
from pytest_agent_harness.files import remove_stale_temp_files, write_atomic
from pytest_agent_harness.layout import TEMP_MARK, Layout
from pytest_agent_harness.run.books import RunState, StateStore, run_lock


def test_state_round_trips(tmp_path: Path) -> None:
    store = StateStore(Layout.of(tmp_path, tmp_path))
    state = RunState(session=3, completed_phases=["initializer"], consecutive_errors=1)
    state.totals.cost_usd = 1.25
    store.save(state)
    loaded = StateStore(Layout.of(tmp_path, tmp_path)).load()
    assert loaded == state
    assert json.loads((tmp_path / "session.json").read_text())["version"] == 1


def test_missing_state_is_a_fresh_run(tmp_path: Path) -> None:
    assert StateStore(Layout.of(tmp_path, tmp_path)).load() == RunState()


@pytest.mark.parametrize(
    "content",
    ["{not json", "[]", '{"version": 99}', '{"version": 1, "session": "three"}', ""],
)
def test_corrupt_state_is_moved_aside_and_rebuilt_from_ledger(tmp_path: Path, content: str) -> None:
    store = StateStore(Layout.of(tmp_path, tmp_path))
    for session, phase, run_once in [(1, "initializer", True), (2, "coding", False)]:
        store.append_ledger(
            {
                "session": session,
                "phase": phase,
                "outcome": "ok",
                "cost_usd": 0.5,
                "passing": session,
                "run_once": run_once,
            }
        )
    (tmp_path / "session.json").write_text(content)

    state = store.load()

    assert state.session == 2
    assert state.completed_phases == ["initializer"]
    assert state.totals.cost_usd == pytest.approx(1.0)
    aside = list(tmp_path.glob("session.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == content  # kept, never silently dropped
    assert store.warnings and "rebuilt" in store.warnings[0]
    assert StateStore(Layout.of(tmp_path, tmp_path)).load() == state  # the rebuilt state was saved


def test_ledger_skips_a_torn_last_line_and_appends_after_it(tmp_path: Path) -> None:
    store = StateStore(Layout.of(tmp_path, tmp_path))
    store.append_ledger({"session": 1, "phase": "a", "outcome": "ok"})
    with open(tmp_path / "ledger.jsonl", "a") as handle:
        handle.write('{"session": 2, "pha')  # a kill in the middle of a write
    store.append_ledger({"session": 3, "phase": "a", "outcome": "ok"})
    assert [e["session"] for e in store.ledger()] == [1, 3]


def test_write_atomic_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_atomic(target, "one")
    write_atomic(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_second_run_lock_names_the_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "run.lock").write_text(f"{holder.pid}\n")
        with pytest.raises(LockError) as info, run_lock(Layout.of(tmp_path, tmp_path)):
            pass
        assert str(holder.pid) in str(info.value)
        assert info.value.exit_code == ExitCode.USAGE_ERROR
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_from_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "run.lock").write_text(f"{dead.pid}\n")
    with run_lock(Layout.of(tmp_path, tmp_path)):
        assert (tmp_path / "run.lock").read_text().strip() == str(os.getpid())
    assert not (tmp_path / "run.lock").exists()


def test_temp_files_a_killed_write_left_are_removed_and_nothing_else(tmp_path: Path) -> None:
    write_atomic(tmp_path / "session.json", "{}\n")
    left = tmp_path / f".session.json{TEMP_MARK}x1y2.tmp"
    left.write_text('{"sess')  # what a kill between write and rename leaves
    users = tmp_path / ".notes.tmp"
    users.write_text("the user's own\n")
    assert remove_stale_temp_files(tmp_path, tmp_path) == [left]
    assert not left.exists() and users.exists()
    assert (tmp_path / "session.json").read_text() == "{}\n"


def test_peek_reads_without_repairing(tmp_path: Path) -> None:
    store = StateStore(Layout.of(tmp_path))
    assert store.peek() == RunState()  # no file yet
    store.save(RunState(session=4, last_exit_code=3, last_reason="budget"))
    assert (store.peek().session, store.peek().last_exit_code) == (4, 3)
    store.state_path.write_text("{not json")
    assert store.peek() == RunState()
    assert store.state_path.read_text() == "{not json"  # left as it was: load repairs
    assert list(tmp_path.glob(".agent-harness/*corrupt*")) == []
