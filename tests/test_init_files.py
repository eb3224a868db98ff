"""Init files (the app spec) follow their source while the project's copy is the harness's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import read_ledger

from pytest_agent_harness.cli import main
from pytest_agent_harness.config import InitFile
from pytest_agent_harness.layout import Layout
from pytest_agent_harness.run.init_files import sync_init_files
from pytest_agent_harness.testing import HttpError, Turn, text, tool_use


class Said:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.warnings: list[str] = []


def sync(layout: Layout, source: Path, written: dict[str, str]) -> Said:
    said = Said()
    files = [InitFile(source=source, dest="app_spec.txt")]
    sync_init_files(files, layout, written, said.lines.append, said.warnings.append)
    return said


@pytest.fixture
def project(tmp_path: Path) -> tuple[Layout, Path]:
    layout = Layout.of(tmp_path / "project")
    source = layout.harness_dir / "prompts" / "app_spec.txt"
    source.parent.mkdir(parents=True)
    source.write_text("v1\n")
    return layout, source


def test_the_copy_follows_its_source_until_the_project_changes_it(
    project: tuple[Layout, Path],
) -> None:
    layout, source = project
    dest, written = layout.project_dir / "app_spec.txt", {}
    assert sync(layout, source, written).lines == [
        "Copied .agent-harness/prompts/app_spec.txt to app_spec.txt"
    ]
    assert sync(layout, source, written).lines == []  # nothing changed: nothing said
    source.write_text("v2\n")
    said = sync(layout, source, written)
    assert dest.read_text() == "v2\n"
    assert said.lines == [
        "Updated (its source changed) .agent-harness/prompts/app_spec.txt to app_spec.txt"
    ]

    dest.write_text("the agent's notes\n")  # both change: the project's copy is kept
    source.write_text("v3\n")
    said = sync(layout, source, written)
    assert dest.read_text() == "the agent's notes\n"
    assert said.warnings == [
        f"{source} changed, and so did the project's app_spec.txt: keeping the project's; "
        "delete app_spec.txt to take the new app_spec.txt"
    ]
    assert sync(layout, source, written).warnings == []  # said once per change of the source
    dest.unlink()
    sync(layout, source, written)
    assert dest.read_text() == "v3\n"


def test_a_copy_the_harness_did_not_write_is_never_replaced(
    project: tuple[Layout, Path],
) -> None:
    layout, source = project
    dest = layout.project_dir / "app_spec.txt"
    dest.write_text("the project's own spec\n")
    said = sync(layout, source, {})
    assert dest.read_text() == "the project's own spec\n" and said.lines == said.warnings == []


def test_a_link_planted_at_the_destination_is_not_written_through(
    project: tuple[Layout, Path], tmp_path: Path
) -> None:
    layout, source = project
    outside = tmp_path / "outside.txt"
    outside.write_text("v1\n")  # same content as the source: a copy that looks in step
    written: dict[str, str] = {}
    sync(layout, source, written)
    dest = layout.project_dir / "app_spec.txt"
    dest.unlink()
    dest.symlink_to(outside)
    source.write_text("v2\n")
    said = sync(layout, source, written)
    assert outside.read_text() == "v1\n"  # a link is a changed copy: kept, and never followed
    assert "keeping the project's" in said.warnings[0]
    outside.unlink()  # dangling now: still kept, and nothing is created through it
    sync(layout, source, written)
    assert not outside.exists() and dest.is_symlink()


@pytest.mark.e2e
@pytest.mark.slow
def test_an_edited_spec_reaches_the_next_session(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"init_files": [{"source": "prompts/app_spec.txt", "dest": "spec.txt"}]})
    source = project / ".agent-harness" / "prompts" / "app_spec.txt"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("Describe the application to build here.\n")
    use_model(scripted_model([HttpError(401)]))  # the first run stops at once
    assert main(["run", "--project-dir", str(project)]) == 2
    assert (project / "spec.txt").read_text().startswith("Describe")

    source.write_text("Build a word counter.\n")  # as the Quick start says, after that run
    spec = str(project / "spec.txt")
    model = use_model(
        scripted_model([Turn(tool_use("Read", {"file_path": spec})), Turn(text("Read it."))])
    )
    main(["run", "--project-dir", str(project), "--max-iterations", "1"])
    assert (
        "Updated (its source changed) .agent-harness/prompts/app_spec.txt to spec.txt"
        in capsys.readouterr().out
    )
    results = model.requests[1].tool_results
    assert "Build a word counter." in str(results[0]["content"])
    assert [e["outcome"] for e in read_ledger(project)] == ["auth", "ok"]
