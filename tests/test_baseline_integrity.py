"""A baseline never changes by itself: an emptied or edited baseline.json is tampering."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w

from pytest_agent_harness.cli import main
from pytest_agent_harness.layout import Layout
from pytest_agent_harness.trackers.baseline import Baseline
from pytest_agent_harness.trackers.evidence import pytest_evidence
from pytest_agent_harness.trackers.results import ResultsTracker

TESTS = (
    "import sys\nsys.path.insert(0, '.')\nfrom calc import add\n\n"
    "def test_add():\n    assert add(1, 1) == 2\n\n"
    "def test_ok():\n    assert True\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".agent-harness").mkdir()
    (tmp_path / ".agent-harness" / "config.toml").write_text(
        tomli_w.dumps(
            {
                "security": {"sandbox": {"enabled": False}},
                "tracking": {"type": "pytest", "pytest_args": ["tests"]},
                "phases": [{"name": "fix", "prompt": "Fix it."}],
            }
        )
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (tmp_path / "tests" / "test_calc.py").write_text(TESTS)
    return tmp_path


def tracker(project: Path) -> ResultsTracker:
    layout = Layout.of(project)
    return ResultsTracker("pytest", lambda: pytest_evidence(layout, args=("tests",)), layout)


def cheat(project: Path) -> None:
    """Delete the failing test, then empty the baseline so a new one is taken from the rest."""
    (project / "tests" / "test_calc.py").write_text("def test_ok():\n    assert True\n")
    (project / ".agent-harness" / "baseline.json").write_text("")


@pytest.mark.slow
def test_an_emptied_baseline_is_tampering_and_is_restored(project: Path) -> None:
    assert not tracker(project).evaluate().complete  # takes the baseline: 1 of 2 passing
    saved = (project / ".agent-harness" / "baseline.json").read_text()
    cheat(project)
    progress = tracker(project).evaluate()
    assert not progress.complete
    assert any("baseline.json was emptied outside the harness" in w for w in progress.warnings)
    assert any("test_add is missing" in w for w in progress.warnings)
    assert (project / ".agent-harness" / "baseline.json").read_text() == saved


@pytest.mark.slow
def test_the_gate_fails_on_an_edited_baseline_without_repairing_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracker(project).evaluate()
    cheat(project)
    assert main(["status", "--check", "--project-dir", str(project)]) == 1
    assert "emptied outside the harness" in capsys.readouterr().out
    assert (project / ".agent-harness" / "baseline.json").read_text() == ""  # gates never repair


@pytest.mark.slow
def test_a_person_accepts_a_new_baseline(project: Path) -> None:
    tracker(project).evaluate()
    cheat(project)
    assert main(["baseline", "--accept", "--project-dir", str(project)]) == 0
    assert tracker(project).evaluate().complete


def test_a_fresh_clone_adopts_the_committed_baseline(project: Path) -> None:
    tracker(project).evaluate()
    Layout.of(project).baseline_copy.unlink()  # another machine: no own copy yet
    assert Baseline.load(Layout.of(project)).tests == {
        "tests/test_calc.py::test_add": "failed",
        "tests/test_calc.py::test_ok": "passed",
    }
    assert Layout.of(project).baseline_copy.is_file()
