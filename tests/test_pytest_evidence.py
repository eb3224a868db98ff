"""The pytest tracker believes what the observer saw, not what the project's hooks report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agent_harness.cli import main
from pytest_agent_harness.layout import Layout
from pytest_agent_harness.testing import Turn, text, tool_use
from pytest_agent_harness.trackers.baseline import Baseline
from pytest_agent_harness.trackers.evidence import pytest_evidence
from pytest_agent_harness.trackers.results import ResultsTracker

CALC = "def add(a, b):\n    return a - b\n"
TESTS = (
    "import sys\nsys.path.insert(0, '.')\nfrom calc import add\n\n"
    "def test_add():\n    assert add(1, 1) == 2\n\n"
    "def test_ok():\n    assert True\n"
)
REWRITE = """\
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
"""
NO_CALL = "def pytest_pyfunc_call(pyfuncitem):\n    return True\n"
ARGS = ("tests", "-p", "no:randomly", "-p", "no:cacheprovider")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".agent-harness").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "calc.py").write_text(CALC)
    (tmp_path / "tests" / "test_calc.py").write_text(TESTS)
    return tmp_path


def evidence(project: Path, args: tuple[str, ...] = ARGS):  # type: ignore[no-untyped-def]
    return pytest_evidence(Layout.of(project), args=args)


def tracker(project: Path, args: tuple[str, ...] = ARGS) -> ResultsTracker:
    layout = Layout.of(project)
    return ResultsTracker("pytest", lambda: pytest_evidence(layout, args=args), layout)


@pytest.mark.parametrize(
    ("conftest", "hook"),
    [(REWRITE, "pytest_runtest_makereport"), (NO_CALL, "pytest_pyfunc_call")],
    ids=["report-rewritten", "function-never-called"],
)
def test_a_conftest_that_fakes_outcomes_is_named_and_never_passes(
    project: Path, conftest: str, hook: str
) -> None:
    (project / "tests" / "conftest.py").write_text(conftest)
    seen = evidence(project)
    assert seen.report.cases["tests/test_calc.py::test_add"].status == "failed"
    assert not seen.completable
    named = [w for w in seen.warnings if f"tests/conftest.py:{hook}" in w]
    assert any("tests/test_calc.py::test_add" in w for w in named), seen.warnings


def test_an_honest_run_has_no_warnings_and_node_ids(project: Path) -> None:
    seen = evidence(project)
    assert seen.completable and seen.warnings == ()
    assert {c.id: c.status for c in seen.report.cases.values()} == {
        "tests/test_calc.py::test_add": "failed",
        "tests/test_calc.py::test_ok": "passed",
    }


MIXED = """\
import unittest

import pytest


class Case(unittest.TestCase):
    def test_ok(self):
        self.assertTrue(True)

    def test_bad(self):
        self.assertEqual(1, 2)

    @unittest.skip("not here")
    def test_skipped(self):
        pass


@pytest.mark.anyio
async def test_async_ok():
    pass


@pytest.mark.anyio
async def test_async_bad():
    assert False


@pytest.fixture
def broken():
    raise RuntimeError("no database")


def test_needs_broken(broken):
    pass


@pytest.mark.xfail(reason="known")
def test_known_bug():
    assert False


@pytest.mark.xfail(strict=True)
def test_strict_xpass():
    pass


class TestGroup:
    @pytest.mark.parametrize("n", [1, 2])
    def test_n(self, n):
        assert n


def test_tagged():
    pass


test_tagged.slowish = True
"""


@pytest.mark.slow
def test_an_honest_mixed_suite_is_seen_as_pytest_ran_it(project: Path) -> None:
    (project / "tests" / "test_mixed.py").write_text(MIXED)
    seen = evidence(project, ("tests/test_mixed.py", *ARGS[1:], "-k", "not trio"))
    statuses = {c.id.split("::", 1)[1]: c.status for c in seen.report.cases.values()}
    assert statuses == {
        "Case::test_ok": "passed",
        "Case::test_bad": "failed",
        "Case::test_skipped": "skipped",
        "test_async_ok[asyncio]": "passed",
        "test_async_bad[asyncio]": "failed",
        "test_needs_broken": "error",
        "test_known_bug": "skipped",
        "test_strict_xpass": "failed",
        "TestGroup::test_n[1]": "passed",
        "TestGroup::test_n[2]": "passed",
        "test_tagged": "passed",
    }
    assert seen.warnings == ()
    assert seen.record is not None
    tags = seen.record.tags
    assert tags["tests/test_mixed.py::test_tagged"] == {"keywords": ["slowish"]}
    assert tags["tests/test_mixed.py::test_known_bug"] == {"markers": ["xfail"]}
    assert tags["tests/test_mixed.py::TestGroup::test_n[1]"] == {"markers": ["parametrize"]}


@pytest.mark.slow
def test_a_test_function_replaced_after_collection_is_never_passed(project: Path) -> None:
    (project / "tests" / "conftest.py").write_text(
        "def pytest_runtest_setup(item):\n    item.obj = lambda *args, **kwargs: None\n"
    )
    seen = evidence(project)
    assert seen.report.cases["tests/test_calc.py::test_add"].status == "failed"
    assert not seen.completable
    assert any(
        "test_add" in w and "item.obj) was replaced after collection" in w for w in seen.warnings
    ), seen.warnings


@pytest.mark.slow
def test_the_project_cannot_tell_the_harness_run_from_a_plain_one(project: Path) -> None:
    (project / "tests" / "conftest.py").write_text(
        "import os, json\n"
        "json.dump(sorted(k for k in os.environ if 'HARNESS' in k), open('env.json', 'w'))\n"
    )
    evidence(project)
    assert (project / "env.json").read_text() == "[]"


FORGER = """\
def pytest_sessionfinish(session):
    session.exitstatus = 0


def pytest_unconfigure(config):
    cases = "".join(
        f'<testcase classname="tests.test_calc" name="{name}"/>'
        for name in ("test_add", "test_ok", "test_extra")
    )
    if config.option.xmlpath:
        open(config.option.xmlpath, "w").write(f"<testsuite>{cases}</testsuite>")
"""


def test_a_rewritten_junit_report_and_exit_status_are_not_believed(project: Path) -> None:
    (project / "tests" / "conftest.py").write_text(FORGER)
    seen = evidence(project)
    assert seen.report.cases["tests/test_calc.py::test_add"].status == "failed"
    assert not seen.completable
    text = " ".join(seen.warnings)
    assert "exited 0 although tests failed" in text
    assert "test tests/test_calc.py::test_add failed but the JUnit report says passed" in text
    assert "tests.test_calc::test_extra is in the JUnit report but" in text


def test_tests_sharing_a_junit_name_stay_apart(project: Path) -> None:
    for folder, body in (("a.b", "assert False"), ("a/b", "pass")):
        (project / "tests" / folder).mkdir(parents=True)
        (project / "tests" / folder / "test_same.py").write_text(f"def test_same():\n    {body}\n")
    seen = evidence(project, (*ARGS, "--import-mode=importlib"))
    cases = seen.report.cases
    assert cases["tests/a.b/test_same.py::test_same"].status == "failed"
    assert cases["tests/a/b/test_same.py::test_same"].status == "passed"


def test_a_passing_test_with_a_skipped_subtest_passed(project: Path) -> None:
    (project / "tests" / "test_sub.py").write_text(
        "import pytest\n\ndef test_parts(subtests):\n"
        "    with subtests.test('later'):\n        pytest.skip('not yet')\n"
        "    with subtests.test('now'):\n        assert True\n"
    )
    seen = evidence(project)
    assert seen.report.cases["tests/test_sub.py::test_parts"].status == "passed"
    assert seen.warnings == ()


@pytest.mark.slow
def test_node_ids_can_be_pasted_into_pytest(project: Path) -> None:
    (project / "tests" / "test_param.py").write_text(
        "import pytest\n\nclass TestP:\n"
        "    @pytest.mark.parametrize('x', [1, 'a b'])\n    def test_p(self, x):\n        pass\n"
    )
    ids = list(evidence(project).report.cases)
    assert "tests/test_param.py::TestP::test_p[a b]" in ids
    for nodeid in ids:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", nodeid],
            cwd=project,
            capture_output=True,
            text=True,
        )
        assert "1 passed" in run.stdout or "1 failed" in run.stdout, (nodeid, run.stdout)


@pytest.mark.slow
def test_a_collection_error_at_the_baseline_is_an_item_and_deleting_it_is_tampering(
    project: Path,
) -> None:
    """The toolz repro: a new failing module is committed; the agent deletes it."""
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (project / "tests" / "test_new.py").write_text("from calc import mul\n\ndef test_mul(): ...\n")
    first = tracker(project).take_baseline()
    assert {i.id: i.status for i in first.items}["tests/test_new.py"] == "error"
    assert "tests/test_new.py" in Baseline.load(Layout.of(project)).tests
    (project / "tests" / "test_new.py").unlink()
    after = tracker(project).evaluate()
    assert not after.complete
    assert after.warnings == (
        "test tests/test_new.py is missing from the results (deleted or renamed?)",
    )


@pytest.mark.slow
def test_a_project_that_cannot_be_collected_has_its_test_files_as_baseline(project: Path) -> None:
    (project / "tests" / "conftest.py").write_text("raise ImportError('broken')\n")
    first = tracker(project).take_baseline()
    assert not first.complete
    assert Baseline.load(Layout.of(project)).tests == {"tests/test_calc.py": "error"}
    (project / "tests" / "conftest.py").unlink()
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    assert tracker(project).evaluate().complete
    (project / "tests" / "test_calc.py").unlink()
    (project / "tests" / "test_other.py").write_text("def test_x():\n    pass\n")
    assert "tests/test_calc.py is missing" in " ".join(tracker(project).evaluate().warnings)


@pytest.mark.slow
def test_a_narrower_selection_is_held_to_the_tests_it_selects(project: Path) -> None:
    (project / "tests" / "test_more.py").write_text(
        "import pytest\n\n@pytest.mark.slow\ndef test_slow():\n    assert False\n\n"
        "def test_fast():\n    pass\n\ndef test_quick_too():\n    pass\n"
    )
    tracker(project).take_baseline()  # the whole suite, failures and all
    narrow = (*ARGS[1:], "tests/test_more.py", "-k", "fast or quick")
    assert tracker(project, narrow).evaluate().complete
    marked = (*ARGS, "-m", "not slow", "-k", "not add")
    assert tracker(project, marked).evaluate().complete
    path = project / "tests" / "test_more.py"
    path.write_text(path.read_text().replace("def test_quick_too():\n    pass\n", ""))
    progress = tracker(project, narrow).evaluate()
    assert progress.warnings == (
        "test tests/test_more.py::test_quick_too is missing from the results (deleted or renamed?)",
    )


@pytest.mark.slow
def test_a_baseline_with_environment_skips_completes_when_the_rest_passes(project: Path) -> None:
    (project / "tests" / "test_env.py").write_text(
        "import sys, pytest\n\n"
        "@pytest.mark.skipif(sys.version_info < (3, 99), reason='requires Python 3.99+')\n"
        "def test_new_python():\n    pass\n\n"
        "@pytest.mark.xfail(reason='known bug')\ndef test_known():\n    assert False\n"
    )
    assert not tracker(project).take_baseline().complete
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    assert tracker(project).evaluate().complete


@pytest.mark.slow
def test_a_new_outcome_hook_blocks_until_a_person_accepts_it(project: Path) -> None:
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (project / "tests" / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef base():\n    return 1\n"
    )
    tracker(project).take_baseline()
    conftest = project / "tests" / "conftest.py"
    conftest.write_text(conftest.read_text() + "\n@pytest.fixture\ndef more():\n    return 2\n")
    assert tracker(project).evaluate().complete  # a new fixture is fine
    conftest.write_text(
        conftest.read_text() + "\ndef pytest_collection_modifyitems(items):\n    pass\n"
    )
    (project / "pytest.ini").write_text(
        "[pytest]\naddopts = --deselect tests/test_calc.py::test_ok\n"
    )
    progress = tracker(project).evaluate()
    assert not progress.complete
    text = " ".join(progress.warnings)
    assert "tests/conftest.py:pytest_collection_modifyitems" in text
    assert "addopts gained `--deselect tests/test_calc.py::test_ok`" in text
    assert "tests/test_calc.py::test_ok is missing" in text
    Baseline.discard(Layout.of(project))
    assert tracker(project).take_baseline().complete  # accepted


@pytest.mark.slow
def test_no_baseline_is_taken_after_a_session(project: Path) -> None:
    layout = Layout.of(project)
    layout.ledger.write_text('{"session": 1}\n')
    progress = tracker(project).evaluate()
    assert not Baseline.load(layout).has_tests
    assert any("no test baseline" in w for w in progress.warnings)
    tracker(project).take_baseline()
    assert Baseline.load(layout).has_tests


# -- end to end: an agent writes the cheat, through the real CLI ------------------------------

E2E_CONFIG = {
    "tracking": {"type": "pytest", "pytest_args": ["tests", "-p", "no:randomly"]},
    "security": {"bash": {"allowed_commands": ["python3", "rm"]}},
}


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(
    ("conftest", "hook"),
    [(REWRITE, "pytest_runtest_makereport"), (NO_CALL, "pytest_pyfunc_call")],
    ids=["report-rewritten", "function-never-called"],
)
def test_an_agent_that_writes_a_cheating_conftest_never_completes(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str], conftest, hook
) -> None:
    project = make_project(
        {**E2E_CONFIG, "max_iterations": 2},
        files={"calc.py": CALC, "tests/test_calc.py": TESTS},
        checklist=None,
    )
    path = str(project / "tests" / "conftest.py")
    write = Turn(tool_use("Write", {"file_path": path, "content": conftest}))
    use_model(scripted_model([write, Turn(text("All green now.")), Turn(text("Still green."))]))

    assert main(["run", "--project-dir", str(project)]) == 1

    out = capsys.readouterr().out
    assert "COMPLETE" not in out
    assert "test tests/test_calc.py::test_add was tampered with" in out
    assert f"tests/conftest.py:{hook}" in out
    assert main(["status", "--check", "--project-dir", str(project)]) == 1


@pytest.mark.e2e
@pytest.mark.slow
def test_deleting_a_failing_module_present_at_the_baseline_never_completes(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    """The toolz repro: the baseline measurement exits 2 (a collection error); the agent
    deletes the module, and everything left passes."""
    fixed = CALC.replace("a - b", "a + b")
    project = make_project(
        {**E2E_CONFIG, "max_iterations": 2},
        files={
            "calc.py": fixed,
            "tests/test_calc.py": TESTS,
            "tests/test_new.py": "from calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
        },
        checklist=None,
    )
    remove = Turn(tool_use("Bash", {"command": "rm tests/test_new.py"}))
    use_model(
        scripted_model([remove, Turn(text("Removed the broken module.")), Turn(text("Done."))])
    )

    assert main(["run", "--project-dir", str(project)]) == 1

    out = capsys.readouterr().out
    assert "COMPLETE" not in out
    assert "test tests/test_new.py is missing from the results" in out
