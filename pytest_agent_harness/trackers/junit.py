"""Reading JUnit XML from any runner (and writing a tracker's verdict as JUnit): the only module
that imports junitparser, used only for writing. Reading is ``junit_safe`` (parsing) and
``junit_cases`` (normalisation) on the stdlib's C parser, so a 100,000-case report reads in well
under a second.

Rules, which read the reports of pytest, node, jest, go, rspec, Maven, GoogleTest and more:

- a report is refused (a problem, never a pass) when it is not well-formed XML, its root is not
  ``<testsuites>``/``<testsuite>``, or it has a DOCTYPE, in any encoding and behind anything:
  an expat parser stops at ``<!DOCTYPE`` before the tree sees it, so no entity is declared or
  expanded (an entity could forge a passing ``<testcase>``);
- every ``<testcase>`` anywhere counts, whatever the root and however deep suites nest;
  aggregate count attributes are never trusted;
- status, most severe first: error > failure > skipped > passed; ``<flakyFailure>`` and
  ``<flakyError>`` alone mean passed after a rerun (flaky); ``<rerunFailure>`` beside a final
  ``<failure>`` is still a failure; pytest's xfail is ``<skipped type="pytest.xfail">``; a case
  with no result child whose ``status``/``result`` says it never ran (``disabled``, ``notrun``,
  ``suppressed``, ``skipped``: cppfw/tst, GoogleTest's ``DISABLED_`` and ``GTEST_SKIP``) is
  skipped, never passed;
- a test is (report file, ``<testsuite>`` element, ``file`` attribute, classname, name). Only a
  repeat inside one suite element is the same test again (rerun plugins, pytest's teardown
  error): a failure followed by a pass is a flaky pass, otherwise the worst status wins. The same
  classname and name in two suites or two files are two tests, so neither hides the other.

Test ids are ``classname::name`` (just ``name`` without a classname) while unique, identical for
pytest's xunit1 and xunit2. Tests that share one get `` @ `` and where they ran: the report
file when they come from several (relative to the reports' common folder), the suite path
(``outer > inner``), the ``file`` attribute if still needed, then ``#2`` (``test::adds @ int``).
A checklist may name a test by its id; by ``classname::name``, which names every test sharing it
(the worst decides); by a pytest node id (``tests/test_x.py::TestY::test_z[1]``, reported as
classname ``tests.test_x.TestY`` and name ``test_z[1]``, or through xunit1's ``file``); or by a
bare name when only one test has it.
"""

from __future__ import annotations

import contextlib
import gc
import glob
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from .base import Progress
from .junit_cases import CaseResult, JUnitReport, Suite, assign_ids, collect, first_line
from .junit_safe import parse_report

__all__ = [
    "CaseResult",
    "JUnitReport",
    "find_reports",
    "lookup",
    "matches",
    "node_id_parts",
    "read_junit",
    "write_progress",
]


def read_junit(paths: Iterable[Path]) -> JUnitReport:
    """Every test in the given reports; a file that cannot be read is a problem, never a crash."""
    suites: list[Suite] = []
    files: list[str] = []
    problems: list[str] = []
    with _no_cycle_collection():
        for path in paths:
            try:
                root = parse_report(path)
            except (OSError, ElementTree.ParseError, ValueError) as exc:
                problems.append(f"{path}: not a readable JUnit XML report ({first_line(str(exc))})")
                continue
            collect(root, len(files), str(path), suites)
            files.append(str(path))
        cases = assign_ids(suites, files)
    return JUnitReport(cases=cases, files=tuple(files), problems=tuple(problems))


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector: a big report makes hundreds of thousands of tuples, none in
    a cycle, and the collector rescanning them took a fifth of the read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def find_reports(project_dir: Path, patterns: Sequence[str]) -> list[Path]:
    """Report files matching the globs (relative to the project); nothing outside it."""
    root = project_dir.resolve()
    found: set[Path] = set()
    for pattern in patterns:
        for name in glob.glob(str(root / pattern), recursive=True):
            path = Path(name).resolve()
            if path.is_file() and (root in path.parents):
                found.add(path)
    return sorted(found, key=os.fspath)


class _NodeRef(NamedTuple):
    path: str  # tests/test_x.py
    classes: list[str]  # ["TestY"]
    name: str  # test_z[1]

    @property
    def classname(self) -> str:
        """What pytest writes as classname: the node id's path as a module, then the classes."""
        module = self.path[:-3].strip("/").replace("/", ".")
        return ".".join([module, *self.classes])


def _node_ref(ref: str) -> _NodeRef | None:
    parts = ref.split("::")
    if len(parts) < 2 or not parts[0].endswith(".py"):
        return None
    return _NodeRef(_slashes(parts[0]), parts[1:-1], parts[-1])


def _slashes(path: str) -> str:
    path = path.replace("\\", "/")
    return path[2:] if path.startswith("./") else path


def node_id_parts(ref: str) -> tuple[str, str] | None:
    """(classname, name) pytest reports for a node id such as ``tests/t.py::C::test[1]``."""
    node = _node_ref(ref)
    return None if node is None else (node.classname, node.name)


def _is_node(case: CaseResult, node: _NodeRef, *, any_params: bool = False) -> bool:
    """Whether ``case`` is the pytest node (any parameter set of it with ``any_params``).

    By classname (both junit families), or by xunit1's ``file`` when pytest ran from another
    rootdir: the file paths agree (one may be inside the other) and the classname ends with
    the module's name and the classes.
    """
    name = case.name.split("[", 1)[0] if any_params else case.name
    if name != node.name:
        return False
    if case.classname == node.classname:
        return True
    if not case.file:
        return False
    file = _slashes(case.file)
    if not (file == node.path or file.endswith("/" + node.path) or node.path.endswith("/" + file)):
        return False
    tail = [Path(node.path).stem, *node.classes]
    return case.classname.split(".")[-len(tail) :] == tail


def matches(case: CaseResult, ref: str) -> bool:
    """Whether a checklist's test reference names this case."""
    if ref in (case.id, case.base_id):
        return True
    node = _node_ref(ref)
    if node is not None:
        return _is_node(case, node)
    return "::" not in ref and ref == case.name


def lookup(report: JUnitReport, ref: str) -> list[CaseResult]:
    """The cases a reference names (for a bare name, only when it is unique)."""
    direct = report.cases.get(ref)
    if direct is not None:
        return [direct]
    cases = report.cases.values()
    shared = [c for c in cases if c.base_id == ref]  # one id, several tests: all of them
    if shared:
        return shared
    node = _node_ref(ref)
    if node is not None:
        found = report.cases.get(f"{node.classname}::{node.name}")
        if found is not None:
            return [found]
        exact = [c for c in cases if _is_node(c, node)]
        # A parametrized reference without its id names every parameter set.
        return exact or [c for c in cases if _is_node(c, node, any_params=True)]
    named = [c for c in cases if c.name == ref]
    return named if len(named) == 1 else []


def write_progress(progress: Progress, path: Path) -> None:
    """A tracker's items (and tamper warnings) as JUnit test cases, so CI test views show them."""
    suite = TestSuite("agent-harness")
    for item in progress.items:
        case = TestCase(item.id if not item.description else f"{item.id} {item.description}")
        case.classname = "agent-harness"
        if item.status in ("failed", "missing"):
            case.result = [Failure(item.evidence or item.status)]
        elif item.status == "error":
            case.result = [Error(item.evidence or "error")]
        elif item.status == "skipped":
            case.result = [Skipped(item.evidence or "skipped")]
        suite.add_testcase(case)
    for warning in progress.warnings:
        case = TestCase(f"tamper guard: {warning[:80]}")
        case.classname = "agent-harness.warnings"
        case.result = [Failure(warning)]
        suite.add_testcase(case)
    xml = JUnitXml()
    xml.add_testsuite(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    xml.write(str(path))
