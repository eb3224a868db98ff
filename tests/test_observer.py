"""The observer's record, the selection a baseline is restricted to, and infrastructure changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agent_harness.trackers import infra
from pytest_agent_harness.trackers.junit import JUnitReport
from pytest_agent_harness.trackers.record import as_report, junit_names, read_record
from pytest_agent_harness.trackers.selection import Selection, without_paths

PROJECT = Path("/project")


@pytest.mark.parametrize(
    ("args", "nodeid", "tags", "selected"),
    [
        ([], "tests/test_a.py::test_x", None, True),
        (["tests/unit"], "tests/test_a.py::test_x", None, False),
        (["tests/unit"], "tests/unit/test_a.py::T::test_x[1]", None, True),
        (["tests/test_a.py::test_x"], "tests/test_a.py::test_x[2]", None, True),
        (["tests", "-k", "X and not slow"], "tests/test_a.py::test_x", None, True),
        (["-k", "not test_x"], "tests/test_a.py::test_x", None, False),
        (["-kTEST_A"], "tests/test_a.py::test_x", None, True),
        (["-m", "slow"], "tests/test_a.py::test_x", {"markers": ["slow"]}, True),
        (["-m", "not slow"], "tests/test_a.py::test_x", {"markers": ["slow"]}, False),
        (["-k", "extra"], "tests/test_a.py::test_x", {"keywords": ["extra_kw"]}, True),
        (["--deselect", "tests/test_a.py::test_x"], "tests/test_a.py::test_x", None, False),
        (["-k", "(broken"], "tests/test_a.py::test_x", None, True),  # unreadable: selects
        (["--tb", "short", "-q"], "tests/test_a.py::test_x", None, True),
        (["--unknown-option", "value"], "tests/test_a.py::test_x", None, True),
    ],
)
def test_selection(
    args: list[str], nodeid: str, tags: dict[str, list[str]] | None, selected: bool
) -> None:
    assert Selection.parse(args, PROJECT).selects(nodeid, tags) is selected


def test_the_same_selection_however_spelt() -> None:
    assert Selection.parse(["./tests/", "-k", "a"], PROJECT) == Selection.parse(
        ["-k", "a", "/project/tests"], PROJECT
    )


def test_junit_names_are_pytests() -> None:
    assert junit_names("tests/a/test_b.py::TestC::test_d[x::y/z]") == (
        "tests.a.test_b.TestC",
        "test_d[x::y/z]",
    )
    assert junit_names("tests/test_b.py") == ("", "tests.test_b")


def test_a_record_that_ends_early_or_has_garbage_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "record.jsonl"
    path.write_text(
        json.dumps({"kind": "collected", "items": [{"nodeid": "t.py::a"}, {"nodeid": "t.py::b"}]})
        + "\nnot json\n"
        + json.dumps({"kind": "test", "nodeid": "t.py::a", "status": "passed"})
        + "\n"
    )
    record = read_record(path)
    assert record is not None and not record.finished
    assert record.problems == ["the observer's record has an unreadable line 2"]
    report, warnings = as_report(record, JUnitReport(cases={}, files=(), problems=()))
    assert {c.id: c.status for c in report.cases.values()} == {
        "t.py::a": "passed",
        "t.py::b": "error",
    }
    assert warnings == []  # the run did not finish: not run is expected, not tampering
    assert read_record(tmp_path / "missing.jsonl") is None


def _impl(name: str, digest: str = "1") -> dict[str, str]:
    return {"impl": name, "digest": digest}


def test_infrastructure_changes_that_decide_outcomes_are_warnings() -> None:
    before = {
        "hooks": {"pytest_runtest_setup": [_impl("tests/conftest.py:pytest_runtest_setup")]},
        "config": {"addopts": ["-q"], "testpaths": ["tests"]},
        "plugins": ["randomly", "xdist"],
    }
    now = {
        "hooks": {
            "pytest_runtest_setup": [_impl("tests/conftest.py:pytest_runtest_setup", "2")],
            "pytest_report_teststatus": [_impl("tests/conftest.py:pytest_report_teststatus")],
            "pytest_configure": [_impl("tests/conftest.py:pytest_configure")],
        },
        "config": {"addopts": ["-q", "-p", "no:xdist", "-x", "tests/only"], "testpaths": ["t"]},
        "plugins": ["randomly"],
    }
    warnings = infra.changes(before, now)
    text = "\n".join(warnings)
    assert "tests/conftest.py:pytest_runtest_setup (pytest_runtest_setup" in text
    assert "was changed" in text
    assert "pytest_report_teststatus" in text and "was added" in text
    assert "pytest_configure" not in text
    assert "addopts gained `-p no:xdist`" in text and "addopts gained `tests/only`" in text
    assert "`-x`" not in text
    assert "testpaths changed" in text
    assert "plugin xdist is no longer loaded" in text
    assert infra.changes(before, before) == []
    assert infra.changes(before, None) == []


def test_without_an_observed_baseline_only_the_projects_own_hooks_count() -> None:
    now = {
        "hooks": {
            "pytest_runtest_makereport": [
                _impl("anyio.pytest_plugin:pytest_runtest_makereport"),
                _impl("tests/conftest.py:pytest_runtest_makereport"),
            ]
        }
    }
    (warning,) = infra.changes(None, now)
    assert "tests/conftest.py:pytest_runtest_makereport" in warning


def test_the_observer_is_inert_without_its_option(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "pytest_agent_harness.trackers.observer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "1 passed" in run.stdout, run.stdout + run.stderr


def test_the_options_of_a_selection_are_kept_without_its_paths() -> None:
    args = [
        "tests",
        "-p",
        "no:randomly",
        "-o",
        "pythonpath=src",
        "-k",
        "fast",
        "--deselect=a",
        "b.py",
    ]
    assert without_paths(args) == [
        "-p",
        "no:randomly",
        "-o",
        "pythonpath=src",
        "-k",
        "fast",
        "--deselect=a",
    ]
