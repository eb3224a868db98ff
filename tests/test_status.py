"""`agent-harness status`: the CI gate measures the evidence itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_agent_harness.cli import main
from pytest_agent_harness.trackers.junit import read_junit

TESTS = "import sys\nsys.path.insert(0, '.')\nfrom calc import add\n\n\ndef test_add():\n    assert add(1, 1) == 2\n\n\ndef test_keep():\n    assert True\n"


@pytest.fixture
def project(make_project) -> Path:
    return make_project(
        {"tracking": {"type": "pytest", "pytest_args": ["tests"]}},
        files={"calc.py": "def add(a, b):\n    return a + b\n", "tests/test_calc.py": TESTS},
        checklist=None,
    )


def status(project: Path, *args: str) -> int:
    return main(["status", "--project-dir", str(project), *args])


@pytest.mark.slow
def test_complete_project_passes_the_gate(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["baseline", "--accept", "--project-dir", str(project)]) == 0
    capsys.readouterr()
    assert status(project, "--check") == 0
    assert "Tracker: 2/2 passing (complete)" in capsys.readouterr().out


@pytest.mark.slow
def test_without_a_baseline_the_gate_says_so_and_fails_unless_allowed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert status(project, "--check") == 1
    out = capsys.readouterr().out
    assert "WARNING: no tamper baseline" in out and "(complete)" not in out
    assert status(project, "--check", "--allow-no-baseline") == 0
    captured = capsys.readouterr()
    assert "Tracker: 2/2 passing (complete)" in captured.out
    assert "no tamper baseline" in captured.err


@pytest.mark.slow
def test_status_before_any_run_leaves_nothing_untracked(project: Path) -> None:
    harness = project / ".agent-harness"
    before = sorted(
        p.relative_to(project) for p in project.rglob("*") if "__pycache__" not in str(p)
    )
    assert status(project, "--allow-no-baseline") == 0
    after = sorted(
        p.relative_to(project) for p in project.rglob("*") if "__pycache__" not in str(p)
    )
    new = [p for p in after if p not in before and not str(p).startswith(".pytest_cache")]
    assert new == [], new
    assert not (harness / "evidence").exists()


@pytest.mark.slow
def test_incomplete_project_fails_the_gate(project: Path) -> None:
    (project / "calc.py").write_text("def add(a, b):\n    return 0\n")
    assert status(project, "--check") == 1
    assert status(project) == 0  # without --check it only reports


@pytest.mark.slow
def test_tampered_project_fails_the_gate(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert status(project, "--check", "--allow-no-baseline") == 0  # the gate does not write one
    assert not (project / ".agent-harness" / "baseline.json").exists()
    (project / ".agent-harness" / "baseline.json").write_text(
        json.dumps({"items": None, "tests": {"tests/test_calc.py::test_add": "passed",
                                             "tests/test_calc.py::test_keep": "passed",
                                             "tests/test_calc.py::test_gone": "failed"}})
    )  # fmt: skip
    capsys.readouterr()
    assert status(project, "--check") == 1
    assert "test tests/test_calc.py::test_gone is missing" in capsys.readouterr().out


def test_bad_config_exits_4(project: Path) -> None:
    config = project / ".agent-harness" / "config.toml"
    config.write_text("max_turn = 3\n" + config.read_text())
    assert status(project, "--check") == 4


@pytest.mark.slow  # >= 1.4 s
def test_json_summary_and_junit_outputs(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (project / "calc.py").write_text("def add(a, b):\n    return 0\n")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = tmp_path / "gate.xml"

    assert status(project, "--json", "--junit-xml", str(report), "--allow-no-baseline") == 0

    data = json.loads(capsys.readouterr().out)
    assert (data["complete"], data["passing"], data["total"]) == (False, 1, 2)
    statuses = {item["id"]: item["status"] for item in data["items"]}
    assert statuses == {
        "tests/test_calc.py::test_add": "failed",
        "tests/test_calc.py::test_keep": "passed",
    }
    assert data["warnings"] == []
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "## agent-harness: not complete" in text
    cases = read_junit([report]).cases
    assert sorted(c.status for c in cases.values()) == ["failed", "passed"]


def test_status_says_what_the_next_run_restores_and_changes_nothing(
    make_project, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()  # a checklist tracker
    assert main(["baseline", "--accept", "--project-dir", str(project)]) == 0
    checklist = project / "feature_list.json"
    items = json.loads(checklist.read_text())
    items[0]["description"] = "something easier"
    checklist.write_text(json.dumps(items))
    edited = checklist.read_text()
    capsys.readouterr()
    assert status(project) == 0
    out = capsys.readouterr().out
    assert "was removed or edited; the next run restores it from the baseline" in out, out
    assert "restored from the baseline" not in out and "Never remove" not in out
    assert checklist.read_text() == edited  # status restores nothing
