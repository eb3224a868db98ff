"""Trackers on real files and real pytest runs: evidence, baselines, tamper guards."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pytest_agent_harness.envvars import INNER_RUN
from pytest_agent_harness.layout import Layout
from pytest_agent_harness.trackers.checklist import ChecklistTracker
from pytest_agent_harness.trackers.evidence import (
    clean_environment,
    junit_evidence,
    pytest_evidence,
)
from pytest_agent_harness.trackers.results import ResultsTracker

ITEMS = [
    {
        "description": "adds numbers",
        "steps": ["1+1"],
        "passes": False,
        "tests": ["tests/test_calc.py::test_add"],
    },
    {
        "description": "subtracts",
        "steps": ["2-1"],
        "passes": False,
        "tests": ["tests/test_calc.py::test_sub"],
    },
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".agent-harness").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "calc.py").write_text(
        "def add(a, b):\n    return a - b\n\ndef sub(a, b):\n    return a - b\n"
    )
    (tmp_path / "tests" / "test_calc.py").write_text(
        textwrap.dedent(
            """
            import sys
            sys.path.insert(0, ".")
            from calc import add, sub

            def test_add():
                assert add(1, 1) == 2

            def test_sub():
                assert sub(2, 1) == 1
            """
        )
    )
    return tmp_path


def pytest_tracker(project: Path, args: tuple[str, ...] = ("tests",)) -> ResultsTracker:
    return ResultsTracker(
        "pytest",
        lambda: pytest_evidence(Layout.of(project), args=args),
        Layout.of(project),
    )


@pytest.mark.slow
def test_pytest_tracker_sees_the_truth_and_completes_when_fixed(project: Path) -> None:
    tracker = pytest_tracker(project)
    first = tracker.evaluate()
    assert {i.id: i.status for i in first.items} == {
        "tests/test_calc.py::test_add": "failed",
        "tests/test_calc.py::test_sub": "passed",
    }
    assert not first.complete and first.warnings == ()
    (project / "calc.py").write_text(
        "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n"
    )
    assert tracker.evaluate().complete


@pytest.mark.slow
def test_deleting_a_failing_test_is_tampering(project: Path) -> None:
    tracker = pytest_tracker(project)
    tracker.evaluate()
    text = (project / "tests" / "test_calc.py").read_text()
    (project / "tests" / "test_calc.py").write_text(
        text.split("def test_add")[0] + "def test_sub" + text.split("def test_sub")[1]
    )
    progress = tracker.evaluate()
    assert progress.passing == 1 and progress.total == 2
    assert progress.warnings == (
        "test tests/test_calc.py::test_add is missing from the results (deleted or renamed?)",
    )
    assert not progress.complete


@pytest.mark.slow
@pytest.mark.parametrize(
    ("marker", "warning"),
    [("@pytest.mark.skip", "newly skipped"), ("@pytest.mark.xfail", "newly marked xfail")],
)
def test_skipping_or_xfailing_a_test_is_tampering(project: Path, marker: str, warning: str) -> None:
    tracker = pytest_tracker(project)
    tracker.evaluate()
    path = project / "tests" / "test_calc.py"
    path.write_text(
        "import pytest\n" + path.read_text().replace("def test_add", f"{marker}\ndef test_add")
    )
    progress = tracker.evaluate()
    assert any("tests/test_calc.py::test_add" in w and warning in w for w in progress.warnings)
    assert not progress.complete


@pytest.mark.slow
def test_skips_at_the_baseline_count_as_done_and_others_only_when_allowed(project: Path) -> None:
    path = project / "tests" / "test_calc.py"
    original = path.read_text()
    path.write_text(
        "import pytest\n" + original.replace("def test_add", "@pytest.mark.skip\ndef test_add")
    )
    # Skipped when the baseline was taken (a test for another Python, say): done while it stays so.
    strict = pytest_tracker(project).evaluate()
    assert strict.complete
    assert strict.items[0].evidence.startswith("skipped at the baseline too")
    Layout.of(project).baseline.unlink()
    Layout.of(project).baseline_copy.unlink()
    path.write_text(original)
    pytest_tracker(project).evaluate()  # the baseline: nothing skipped
    path.write_text(
        "import pytest\n" + original.replace("def test_add", "@pytest.mark.skip\ndef test_add")
    )
    lenient = ResultsTracker(
        "pytest",
        lambda: pytest_evidence(Layout.of(project), args=("tests",)),
        Layout.of(project),
        allow_skipped=True,
    ).evaluate()
    assert lenient.passing == 2
    assert lenient.warnings == ("test tests/test_calc.py::test_add is newly skipped",)


@pytest.mark.slow  # >= 1.4 s
@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("none", "exited 5: no tests were collected"),
        ("syntax", "exited 2: interrupted"),
    ],
)
def test_pytest_exit_codes_2_to_5_are_not_passing(project: Path, setup: str, fragment: str) -> None:
    if setup == "none":
        (project / "tests" / "test_calc.py").write_text("")
    else:
        (project / "tests" / "test_calc.py").write_text("def test_x(:\n")
    evidence = pytest_evidence(Layout.of(project), args=("tests",))
    assert not evidence.completable
    assert any(fragment in w for w in evidence.warnings), evidence.warnings


@pytest.mark.slow
def test_a_hanging_pytest_is_stopped_at_the_timeout(project: Path) -> None:
    (project / "tests" / "test_calc.py").write_text(
        "import time\n\ndef test_hang():\n    time.sleep(60)\n"
    )
    evidence = pytest_evidence(Layout.of(project), args=("tests",), timeout=2)
    assert not evidence.completable
    assert any("did not finish within 2s" in w for w in evidence.warnings)


def test_the_inner_run_sees_no_credentials_and_no_mark_of_the_harness() -> None:
    env = clean_environment(
        {
            "ANTHROPIC_API_KEY": "k",
            "CLAUDE_CODE_OAUTH_TOKEN": "t",
            "GITHUB_TOKEN": "g",
            "PATH": "/bin",
            INNER_RUN: "1",  # even when the harness itself runs inside a harness's pytest run
        }
    )
    assert env == {"PATH": "/bin"}


def checklist(
    project: Path, items: list[dict[str, object]], evidence: bool = False
) -> ChecklistTracker:
    path = project / "feature_list.json"
    path.write_text(json.dumps(items))
    source = (lambda: pytest_evidence(Layout.of(project), args=("tests",))) if evidence else None
    return ChecklistTracker(path, layout=Layout.of(project), evidence=source)


def test_only_json_true_counts(project: Path) -> None:
    items = [
        {"description": d, "passes": p}
        for d, p in [("a", True), ("b", "true"), ("c", 1), ("d", "yes")]
    ]
    assert checklist(project, items).evaluate().passing == 1


def test_removed_and_edited_items_are_restored_keeping_flags(project: Path) -> None:
    items = [{"description": f"item {n}", "steps": [], "passes": False} for n in range(3)]
    tracker = checklist(project, items)
    tracker.evaluate()  # the baseline
    path = project / "feature_list.json"
    path.write_text(
        json.dumps(
            [
                {"description": "item 0", "steps": [], "passes": True},
                {"description": "item 2, but easier", "steps": [], "passes": True},
                {"description": "a new idea", "steps": [], "passes": False},
            ]
        )
    )
    progress = tracker.evaluate()
    restored = json.loads(path.read_text())
    assert [(i["description"], i["passes"]) for i in restored] == [
        ("item 0", True),
        ("item 1", False),
        ("item 2", False),
    ]
    assert len(progress.warnings) == 3
    assert "item 2 (item 1) was removed or edited" in progress.warnings[0]
    assert "item 3 (item 2) was removed or edited" in progress.warnings[1]
    assert "2 item(s) not in the baseline were dropped" in progress.warnings[2]
    assert not progress.complete
    assert tracker.evaluate().warnings == ()  # restored: clean again


@pytest.mark.slow
def test_with_evidence_the_agents_flag_is_ignored_and_corrected(project: Path) -> None:
    claimed = [{**ITEMS[0], "passes": True}, ITEMS[1]]
    tracker = checklist(project, claimed, evidence=True)
    progress = tracker.evaluate()
    assert [i.status for i in progress.items] == ["failed", "passed"]
    assert "tests/test_calc.py::test_add: failed" in progress.items[0].evidence
    assert any("tests/test_calc.py::test_add" in w for w in progress.warnings)
    written = json.loads((project / "feature_list.json").read_text())
    assert [i["passes"] for i in written] == [False, True]  # the truth, for the agent to read


@pytest.mark.slow
def test_with_evidence_a_missing_test_does_not_pass(project: Path) -> None:
    items = [
        {
            "description": "x",
            "steps": [],
            "passes": True,
            "tests": ["tests/test_calc.py::test_gone"],
        }
    ]
    progress = checklist(project, items, evidence=True).evaluate()
    assert progress.items[0].status == "missing"


def test_junit_evidence_without_reports_is_not_complete(project: Path) -> None:
    evidence = junit_evidence(project, ["reports/*.xml"])
    assert not evidence.completable
    assert "no JUnit report matches reports/*.xml" in evidence.warnings[0]
