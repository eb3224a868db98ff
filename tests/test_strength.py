"""The strength gate on a small project, sandboxed as in a run: real pytest runs per mutant."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from pytest_agent_harness.layout import Layout
from pytest_agent_harness.strength.gate import Strength, compare, measure_strength
from pytest_agent_harness.strength.runner import run_mutants
from pytest_agent_harness.trackers.evidence import PytestSandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CALC = """\
def add(a, b):
    return a + b


def clamp(x, low, high):
    if x < low:
        return low
    if x > high:
        return high
    return x
"""
LEGACY = """\
import unittest

from calc import add, clamp


class TestCalc(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)

    def test_clamp_low(self):
        self.assertEqual(clamp(-1, 0, 10), 0)

    def test_clamp_high(self):
        self.assertEqual(clamp(11, 0, 10), 10)

    def test_clamp_inside(self):
        self.assertEqual(clamp(5, 0, 10), 5)
"""
MIGRATED = """\
import pytest

from calc import add, clamp


def test_add():
    assert add(2, 3) == 5


@pytest.mark.parametrize(("x", "expected"), [(-1, 0), (11, 10), (5, 5)])
def test_clamp(x, expected):
    assert clamp(x, 0, 10) == expected
"""
WEAKENED = MIGRATED.replace("assert add(2, 3) == 5", "assert add(2, 3) is not None")
"""The migration with one assertion weakened: every test id kept, every test green."""
ARGS = ("tests", "-p", "no:randomly")
SOURCE = ("calc.py",)


def make_project(root: Path) -> Path:
    (root / ".agent-harness").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(LEGACY)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    return root


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The legacy project and its baseline strength, measured once for the module."""
    template = make_project(tmp_path_factory.mktemp("legacy") / "project")
    before = strength(template)
    assert not before.problem, before.problem
    assert before.coverage["calc.py"].lines == 100.0
    assert len(before.caught()) >= 10
    return template, before.as_json()


@pytest.fixture
def project(tmp_path: Path, stored: tuple[Path, dict[str, object]]) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(stored[0], copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def baseline(stored: tuple[Path, dict[str, object]]) -> Strength:
    return Strength.from_json(stored[1])  # as stored


def strength(project: Path, before: Strength | None = None) -> Strength:
    return measure_strength(
        Layout.of(project),
        SOURCE,
        ARGS,
        mutants=before.mutants if before else None,
        size=40,
        sandbox=PytestSandbox(),
        max_seconds=300,
    )


def test_an_honest_migration_with_renames_and_a_merge_passes(project: Path, baseline: Strength):
    (project / "tests" / "test_calc.py").write_text(MIGRATED)
    result = compare(baseline, strength(project, baseline), Layout.of(project))
    assert result.passed, result.problems
    old = "tests/test_calc.py::TestCalc::test_clamp_low"
    assert old in result.mapping
    assert all(t.startswith("tests/test_calc.py::test_clamp[") for t in result.mapping[old])


def test_a_weakened_assertion_fails_and_names_the_surviving_mutant(
    project: Path, baseline: Strength
) -> None:
    (project / "tests" / "test_calc.py").write_text(WEAKENED)
    result = compare(baseline, strength(project, baseline), Layout.of(project))
    assert not result.passed and not result.inconclusive
    survivors = [p for p in result.problems if p.startswith("mutant survives: calc.py line 2")]
    assert survivors and "TestCalc::test_add" in survivors[0], result.problems


def test_a_deleted_test_whose_lines_nothing_else_runs_fails_coverage(
    project: Path, baseline: Strength
) -> None:
    (project / "tests" / "test_calc.py").write_text(
        LEGACY.replace(
            "    def test_clamp_high(self):\n        self.assertEqual(clamp(11, 0, 10), 10)\n", ""
        )
    )
    result = compare(baseline, strength(project, baseline), Layout.of(project))
    assert not result.passed
    assert any("calc.py: coverage fell" in p and "no longer run: 9" in p for p in result.problems)


def test_a_conftest_that_passes_failing_reports_gains_nothing(
    project: Path, baseline: Strength
) -> None:
    (project / "tests" / "conftest.py").write_text(
        "import pytest\n\n"
        "@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n"
        "    outcome.get_result().outcome = 'passed'\n"
    )
    (project / "tests" / "test_calc.py").write_text(MIGRATED)
    result = compare(baseline, strength(project, baseline), Layout.of(project))
    assert not result.passed
    assert any(p.startswith("mutant survives") for p in result.problems)


def test_changed_source_fails_when_frozen(project: Path, baseline: Strength) -> None:
    (project / "calc.py").write_text(CALC + "\n")
    result = compare(baseline, strength(project, baseline), Layout.of(project))
    assert "calc.py: the code under test changed (source_frozen)" in result.problems


def detector(read: str) -> str:
    """A conftest that fails every test once the hash of ``read`` (an expression over
    ``source``, the code under test) differs from the original's: it detects mutant runs."""
    digest = hashlib.sha256(CALC.encode()).hexdigest()
    return (
        "import hashlib, pathlib, pytest\n\n"
        "@pytest.fixture(autouse=True)\n"
        "def watch():\n"
        "    source = pathlib.Path(__file__).parent.parent / 'calc.py'\n"
        f"    if hashlib.sha256({read}).hexdigest() != {digest!r}:\n"
        "        pytest.fail('changed')\n"
    )


def test_a_suite_that_detects_mutant_runs_gains_nothing(project: Path, baseline: Strength) -> None:
    (project / "tests" / "conftest.py").write_text(detector("source.read_bytes()"))
    (project / "tests" / "test_calc.py").write_text(WEAKENED)
    result = compare(baseline, strength(project, baseline), Layout.of(project))
    assert not result.passed
    assert any("detects mutant runs" in p for p in result.problems), result.problems


FORGER = """\
import ctypes, glob, json, os, stat, pytest

REPLY = json.dumps({"code": 1, "output": "FAILED forged"}).encode() + b"\\n"
libc = ctypes.CDLL(None, use_errno=True)


def write(fd):
    try:
        os.write(fd, REPLY)
    except OSError:
        pass


def steal(pid):
    # pidfd_open + pidfd_getfd: take a copy of another process's descriptors.
    pidfd = libc.syscall(434, pid, 0)
    if pidfd < 0:
        return
    for number in range(64):
        fd = libc.syscall(438, pidfd, number, 0)
        if fd >= 0:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                write(fd)
            os.close(fd)
    os.close(pidfd)


@pytest.fixture(autouse=True)
def forge():
    for fd in map(int, os.listdir("/proc/self/fd")):  # anything inherited
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                write(fd)
        except OSError:
            pass
    for path in glob.glob("/proc/[0-9]*/fd/*"):  # anything reachable by path
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        write(fd)
        os.close(fd)
    for pid in glob.glob("/proc/[0-9]*"):
        if int(pid[6:]) != os.getpid():
            steal(int(pid[6:]))
    yield
"""


def test_a_test_that_forges_verdicts_on_every_reachable_descriptor_gains_nothing(
    project: Path, baseline: Strength
) -> None:
    """Mutant runs fork from a worker inside the sandbox; the test tries to write a "killed"
    reply to every descriptor it can open. The surviving mutant still survives."""
    (project / "tests" / "conftest.py").write_text(FORGER)
    (project / "tests" / "test_calc.py").write_text(WEAKENED)
    after = strength(project, baseline)
    assert not [i for i, v in after.verdicts.items() if "forged" in v.tests]
    result = compare(baseline, after, Layout.of(project))
    assert not result.passed and not result.inconclusive, result.problems
    assert not any("detects mutant runs" in p for p in result.problems), result.problems
    assert any(p.startswith("mutant survives: calc.py line 2") for p in result.problems)


def test_forked_and_fresh_mutant_runs_give_the_same_verdicts(
    project: Path, baseline: Strength
) -> None:
    layout = Layout.of(project)
    ids = [m.id for m in baseline.mutants]
    covering = {i: None for i in ids}
    runs = [
        run_mutants(layout, baseline.mutants, covering, ARGS, sandbox=PytestSandbox(), fork=f)
        for f in (True, False)
    ]
    outcomes = [{i: run[i].outcome for i in ids} for run in runs]
    assert outcomes[0] == outcomes[1] == {i: baseline.verdicts[i].outcome for i in ids}


def test_a_suite_that_checks_only_the_original_bytes_still_meets_the_controls(
    project: Path, baseline: Strength
) -> None:
    """Controls are inserted at a random statement, not appended: a detector hashing the
    original's length of bytes (blind to anything appended) still fails on them."""
    head = f"source.read_bytes()[:{len(CALC.encode())}]"
    (project / "tests" / "conftest.py").write_text(detector(head))
    (project / "tests" / "test_calc.py").write_text(WEAKENED)
    result = compare(baseline, strength(project, baseline), Layout.of(project))
    assert not result.passed
    controls = [p for p in result.problems if "detects mutant runs" in p]
    assert len(controls) == 1, result.problems  # one line, naming both controls
    assert "a comment and an unused name was added" in controls[0]


def test_coverage_is_read_whatever_the_harness_s_working_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Coverage names files relative to the working directory when the project is under it."""
    from pytest_agent_harness.strength.measure import measure

    for where in (project.parent, project, Path("/")):
        monkeypatch.chdir(where)
        measured = measure(Layout.of(project), SOURCE, ARGS, sandbox=PytestSandbox())
        assert measured.files["calc.py"].lines == 100.0, where
