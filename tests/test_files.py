"""The harness never reads or writes its own files through a link the agent planted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_agent_harness.agent.session import SessionEvent
from pytest_agent_harness.agent.transcript import Transcript
from pytest_agent_harness.errors import PlantedLinkError
from pytest_agent_harness.files import open_append, read_text, write_atomic
from pytest_agent_harness.layout import Layout
from pytest_agent_harness.run.books import RunState, StateStore


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout.of(tmp_path / "project")
    layout.logs_dir.mkdir(parents=True)
    return layout


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the project the agent would like the harness to write into."""
    path = tmp_path / "home" / ".bashrc"
    path.parent.mkdir()
    path.write_text("# the user's shell start-up\n")
    return path


def test_a_symlinked_transcript_is_refused(layout: Layout, victim: Path) -> None:
    os.symlink(victim, layout.session_log(2))
    with pytest.raises(PlantedLinkError, match="is a symbolic link"):
        Transcript(layout.session_log(2)).write(SessionEvent(kind="text", text="$(rm -rf ~)"))
    assert victim.read_text() == "# the user's shell start-up\n"


def test_a_hard_linked_ledger_is_refused(layout: Layout, victim: Path) -> None:
    os.link(victim, layout.ledger)
    with pytest.raises(PlantedLinkError, match="is a hard link"):
        open_append(layout.ledger)
    assert victim.read_text() == "# the user's shell start-up\n"


def test_a_linked_folder_on_the_path_is_refused(layout: Layout, victim: Path) -> None:
    layout.logs_dir.rmdir()
    os.symlink(victim.parent, layout.logs_dir)
    with pytest.raises(PlantedLinkError, match="a folder on its path is a link"):
        open_append(layout.session_log(1))
    assert sorted(p.name for p in victim.parent.iterdir()) == [".bashrc"]


def test_reading_through_a_link_is_refused(layout: Layout, victim: Path) -> None:
    os.symlink(victim, layout.baseline)
    with pytest.raises(PlantedLinkError):
        read_text(layout.baseline)


def test_an_atomic_write_replaces_a_planted_link_instead_of_following_it(
    layout: Layout, victim: Path
) -> None:
    os.symlink(victim, layout.state)
    StateStore(layout).save(RunState(session=3))
    assert not layout.state.is_symlink()
    assert victim.read_text() == "# the user's shell start-up\n"
    assert StateStore(layout).load().session == 3


def test_ordinary_files_work(layout: Layout) -> None:
    write_atomic(layout.baseline, "{}\n")
    with open_append(layout.ledger) as handle:
        handle.write(b"one\n")
    assert read_text(layout.baseline) == "{}\n"
    assert read_text(layout.ledger) == "one\n"
