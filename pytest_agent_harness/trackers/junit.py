"""Reading JUnit XML from any runner (and writing a tracker's verdict as JUnit): the only module
that imports junitparser.

junitparser parses each file (through a parser of ours that refuses entity declarations, so a
report cannot expand itself into gigabytes or read local files); the normalisation on top reads
the element tree directly, which keeps a 100,000-case report well under a second.

Rules, which read the reports of pytest, node, jest, go, rspec and Maven alike:

- every ``<testcase>`` anywhere counts, whatever the root and however deep suites nest;
  aggregate count attributes are never trusted;
- status, most severe first: error > failure > skipped > passed; ``<flakyFailure>`` and
  ``<flakyError>`` alone mean passed after a rerun (flaky); ``<rerunFailure>`` beside a final
  ``<failure>`` is still a failure; pytest's xfail is ``<skipped type="pytest.xfail">``;
- the same (file, classname, name) twice: a failure followed by a pass is a flaky pass,
  otherwise the worst status wins (pytest's call failure plus teardown error).

Test ids are ``classname::name`` (just ``name`` when there is no classname). A checklist may name
a test by that id, by a pytest node id (``tests/test_x.py::TestY::test_z[1]``, which pytest
reports as classname ``tests.test_x.TestY`` and name ``test_z[1]``), or by a bare name when only
one test has it.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree

from junitparser import Error, Failure, JUnitXml, JUnitXmlError, Skipped, TestCase, TestSuite

from .base import Progress, Status

MESSAGE_LIMIT = 300
_SEVERITY = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
_TAG_STATUS: dict[str, Status] = {"error": "error", "failure": "failed", "skipped": "skipped"}


class CaseResult(NamedTuple):
    """One unique test, after normalisation (a tuple: 100,000 of them are made per big report)."""

    id: str
    classname: str
    name: str
    file: str | None
    status: Status
    flaky: bool = False
    xfail: bool = False
    message: str = ""
    time: float | None = None
    report: str = ""


@dataclass(frozen=True, kw_only=True)
class JUnitReport:
    cases: dict[str, CaseResult]
    files: tuple[str, ...]
    problems: tuple[str, ...]


class _EntityRefused(ValueError):
    pass


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
PROLOG_CHUNK = 65536


def _safe_parse(source: str) -> Any:
    """Parse, refusing any DOCTYPE: no JUnit report needs one, and entities live there.

    A DOCTYPE can only come before the root element, so only the prolog is scanned.
    """
    with open(source, "rb") as handle:
        prolog = b""
        while True:
            chunk = handle.read(PROLOG_CHUNK)
            prolog += chunk
            start = _ROOT_START.search(prolog)
            head = prolog if start is None else prolog[: start.start()]
            if _DOCTYPE.search(head):
                raise _EntityRefused("the report has a DOCTYPE; refusing to expand entities")
            if start is not None or not chunk:
                break
            prolog = prolog[-16:]  # keep a tail so a split "<!DOCTYPE" is still seen
    return ElementTree.parse(source)


def read_junit(paths: Iterable[Path]) -> JUnitReport:
    """Every test in the given reports; a file that cannot be read is a problem, never a crash."""
    cases: dict[str, CaseResult] = {}
    files: list[str] = []
    problems: list[str] = []
    for path in paths:
        try:
            xml = JUnitXml.fromfile(str(path), parse_func=_safe_parse)
        except (OSError, ElementTree.ParseError, _EntityRefused, JUnitXmlError, ValueError) as exc:
            problems.append(f"{path}: not a readable JUnit XML report ({_first_line(str(exc))})")
            continue
        report = str(path)
        files.append(report)
        for element in xml._elem.iter("testcase"):
            case = _case(element, report)
            earlier = cases.get(case.id)
            if earlier is None:
                cases[case.id] = case
            else:  # a rerun of the same test, or two tests that share an id: keep the worse
                cases[case.id] = _merge(earlier, case, rerun=earlier.file == case.file)
    return JUnitReport(cases=cases, files=tuple(files), problems=tuple(problems))


def _case(element: Any, report: str) -> CaseResult:
    attrs = element.attrib
    classname = attrs.get("classname", "") or ""
    name = attrs.get("name", "") or ""
    status: Status = "passed"
    message = ""
    flaky = False
    xfail = False
    for child in element if len(element) else ():
        tag = child.tag
        if tag in ("error", "failure", "skipped"):
            found = _TAG_STATUS[tag]
            if _SEVERITY[found] > _SEVERITY[status]:
                status = found
                message = child.get("message") or (child.text or "")
                xfail = tag == "skipped" and child.get("type") == "pytest.xfail"
        elif tag in ("flakyFailure", "flakyError"):
            flaky = True
    try:
        duration: float | None = float(attrs["time"]) if "time" in attrs else None
    except ValueError:
        duration = None
    return CaseResult(
        f"{classname}::{name}" if classname else name,
        classname,
        name,
        attrs.get("file"),
        status,
        flaky and status == "passed",
        xfail,
        _first_line(message) if message else "",
        duration,
        report,
    )


def _merge(earlier: CaseResult, later: CaseResult, *, rerun: bool) -> CaseResult:
    if rerun and earlier.status in ("failed", "error") and later.status == "passed":
        return later._replace(flaky=True)
    return later if _SEVERITY[later.status] > _SEVERITY[earlier.status] else earlier


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 3] + "..."


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


def node_id_parts(ref: str) -> tuple[str, str] | None:
    """(classname, name) pytest reports for a node id such as ``tests/t.py::C::test[1]``."""
    parts = ref.split("::")
    if len(parts) < 2 or not parts[0].endswith(".py"):
        return None
    module = parts[0][:-3].replace("\\", "/").strip("/").replace("/", ".")
    return ".".join([module, *parts[1:-1]]), parts[-1]


def matches(case: CaseResult, ref: str) -> bool:
    """Whether a checklist's test reference names this case."""
    if ref == case.id:
        return True
    parts = node_id_parts(ref)
    if parts is not None:
        return (case.classname, case.name) == parts
    return "::" not in ref and ref == case.name


def lookup(report: JUnitReport, ref: str) -> list[CaseResult]:
    """The cases a reference names (for a bare name, only when it is unique)."""
    direct = report.cases.get(ref)
    if direct is not None:
        return [direct]
    parts = node_id_parts(ref)
    if parts is not None:
        classname, name = parts
        found = report.cases.get(f"{classname}::{name}")
        if found is not None:
            return [found]
        # A parametrized reference without its id names every parameter set.
        return [
            c for c in report.cases.values()
            if c.classname == classname and c.name.split("[", 1)[0] == name
        ]  # fmt: skip
    named = [c for c in report.cases.values() if c.name == ref]
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
