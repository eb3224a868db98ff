"""`agent-harness run --dry-run`: what a run would use, shown; no model asked, nothing written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pytest_agent_harness.cli import main
from pytest_agent_harness.layout import Layout
from pytest_agent_harness.testing import Turn, text

TESTS = "def test_one():\n    assert True\n\n\ndef test_two():\n    assert False\n"


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``, with a hash of each file's content."""
    return {
        path.relative_to(root).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        )
        for path in sorted(root.rglob("*"))
        if "__pycache__" not in path.parts and ".pytest_cache" not in path.parts
    }


@pytest.mark.e2e
@pytest.mark.slow
def test_a_dry_run_asks_no_model_and_writes_nothing(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        {"tracking": {"type": "pytest", "pytest_args": ["tests"]}, "budget": {"max_cost_usd": 2}},
        files={"tests/test_x.py": TESTS},
        checklist=None,
    )
    layout = Layout.of(project)
    layout.gitignore.write_text(layout.gitignore_text())  # as init leaves it: evidence kept
    layout.evidence_dir.mkdir()
    (layout.evidence_dir / "earlier.xml").write_text("<testsuite/>")
    model = use_model(scripted_model([Turn(text("never asked"))]))
    before = tree(project)

    assert main(["run", "--dry-run", "--project-dir", str(project), "--max-iterations", "4"]) == 0

    out = capsys.readouterr().out
    assert model.requests == []
    assert tree(project) == before  # the tree and the harness dir, byte for byte
    assert "Tracker: pytest, 1/2 passing" in out
    assert "Sandbox: off ([security.sandbox] enabled = false)" in out
    assert "Tools: Read, Write, Edit, Glob, Grep, Bash" in out
    assert "Budget: $2 in all, 4 sessions" in out
    assert "Git: no repository yet: a run initialises one; the agent may only read" in out
    assert "Next: session 1, phase coding; its prompt:" in out
    assert "Work on the next failing item." in out and "This is session 1." in out
    assert "test_two" in out  # the progress the prompt carries: the failing test
