"""Normalising parsed JUnit reports into unique tests (the rules are in ``junit.py``).

A test is one (report file, ``<testsuite>`` element, ``file`` attribute, classname, name):
only repeats inside one suite element are the same test run again. Its id is ``classname::name``
while that is unique, and is qualified with where it ran only when it is not, so that two
tests that share a name can never hide each other's failure.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple
from xml.etree.ElementTree import Element

from .base import Status

MESSAGE_LIMIT = 300
QUALIFIER = " @ "
NESTING = " > "
_SEVERITY = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
_TAG_STATUS: dict[str, Status] = {"error": "error", "failure": "failed", "skipped": "skipped"}
# ``status``/``result`` values of tests that never ran: cppfw/tst's disabled, GoogleTest's
# notrun/suppressed (DISABLED_) and skipped (GTEST_SKIP in 1.10, with no <skipped/> child).
NOT_RUN = frozenset({"notrun", "disabled", "suppressed", "skipped", "skip", "ignored"})


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
    suite: str = ""  # enclosing <testsuite> names, outermost first, joined by " > "

    @property
    def base_id(self) -> str:
        """``classname::name`` (or ``name``): the id when no other test shares it."""
        return f"{self.classname}::{self.name}" if self.classname else self.name


@dataclass(frozen=True, kw_only=True)
class JUnitReport:
    cases: dict[str, CaseResult]
    files: tuple[str, ...]
    problems: tuple[str, ...]


_new_case = tuple.__new__  # a CaseResult without NamedTuple's Python-level __new__


class Suite(NamedTuple):
    """The tests of one ``<testsuite>`` element (or of the root, outside any)."""

    report: int  # index of the report file among those read
    cases: dict[tuple[object, ...], CaseResult]  # by (classname, name, file attribute)


def collect(root: Element, index: int, report: str, into: list[Suite]) -> None:
    """Add one report's tests to ``into``, merging repeats inside one suite element.

    An explicit stack, not recursion: a hostile report may nest thousands of levels deep.
    Same-named sibling suites get ``#2``, ``#3`` (they are different suites); an unnamed suite
    adds nothing to the path.
    """
    paths = [""]
    found: list[dict[tuple[object, ...], CaseResult]] = [{}]
    stack: list[tuple[Iterable[Element], int]] = [((root,), 0)]
    while stack:
        element, suite = stack.pop()
        cases, path = found[suite], paths[suite]
        siblings: Counter[str] = Counter()
        for child in element:
            tag = child.tag
            if tag == "testcase":
                case = _case(child, report, path)
                key = case[1:4]  # (classname, name, file attribute)
                earlier = cases.get(key)
                cases[key] = case if earlier is None else _merge(earlier, case)
                if len(child):  # a testcase inside a testcase still counts
                    stack.append((child, suite))
            elif tag == "testsuite":
                name = child.get("name") or ""
                siblings[name] += 1
                label = name if siblings[name] == 1 else f"{name} #{siblings[name]}".lstrip()
                paths.append(NESTING.join(part for part in (path, label) if part))
                found.append({})
                stack.append((child, len(paths) - 1))
            elif len(child):
                stack.append((child, suite))
    into.extend(Suite(index, cases) for cases in found if cases)


def _case(element: Element, report: str, suite: str) -> CaseResult:
    attrs = element.attrib
    classname = attrs.get("classname") or ""
    name = attrs.get("name") or ""
    seconds = attrs.get("time")
    try:
        duration = None if seconds is None else float(seconds)
    except ValueError:
        duration = None
    test_id = f"{classname}::{name}" if classname else name
    file = attrs.get("file")
    if not len(element) and "status" not in attrs and "result" not in attrs:
        # A plain pass, most of any report: built without CaseResult's Python-level __new__.
        return _new_case(
            CaseResult,
            (test_id, classname, name, file, "passed", False, False, "", duration, report, suite),
        )
    status: Status = "passed"
    message = ""
    flaky = False
    xfail = False
    for child in element:
        tag = child.tag
        if tag in ("error", "failure", "skipped"):
            found = _TAG_STATUS[tag]
            if _SEVERITY[found] > _SEVERITY[status]:
                status = found
                message = child.get("message") or (child.text or "")
                xfail = tag == "skipped" and child.get("type") == "pytest.xfail"
        elif tag in ("flakyFailure", "flakyError"):
            flaky = True
    if status == "passed" and ("status" in attrs or "result" in attrs):
        message = _not_run(attrs)
        status = "skipped" if message else status
    message = first_line(message) if message else ""
    flaky = flaky and status == "passed"
    return CaseResult(
        test_id, classname, name, file, status, flaky, xfail, message, duration, report, suite
    )


def _not_run(attrs: dict[str, str]) -> str:
    """Why a case with no result child never ran, from its ``status``/``result`` attribute."""
    for attr in ("status", "result"):
        value = attrs.get(attr, "")
        if "".join(c for c in value.lower() if c.isalpha()) in NOT_RUN:
            return f"not run ({attr}={value})"
    return ""


def _merge(earlier: CaseResult, later: CaseResult) -> CaseResult:
    """The same test twice in one suite: a rerun plugin's retry, or pytest's teardown error."""
    if earlier.status in ("failed", "error") and later.status == "passed":
        return later._replace(flaky=True)
    return later if _SEVERITY[later.status] > _SEVERITY[earlier.status] else earlier


def first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 3] + "..."


def assign_ids(suites: list[Suite], reports: list[str]) -> dict[str, CaseResult]:
    """Cases by id: ``classname::name`` where unique, else qualified with where each ran.

    The qualifier is the report file (only when the id comes from several files, relative to
    their common folder), the suite path, then the ``file`` attribute only if still needed:
    ``test::adds @ int``, ``Metadata Test @ test_11.xml > suite``; ``#2`` ends any tie left.
    """
    plain = {case.id: case for suite in suites for case in suite.cases.values()}
    if len(plain) == sum(len(suite.cases) for suite in suites):
        return plain  # every id unique: the usual case, and one pass over the cases
    shared = Counter(case.id for suite in suites for case in suite.cases.values())
    several = _ids_from_several_reports(suites, shared)
    labels = _report_labels(reports) if several else []
    where = {
        case: [labels[suite.report] if case.id in several else "", case.suite]
        for suite in suites
        for case in suite.cases.values()
        if shared[case.id] > 1
    }
    again = Counter(_qualify(case.id, parts) for case, parts in where.items())
    cases: dict[str, CaseResult] = {}
    for case in (case for suite in suites for case in suite.cases.values()):
        test_id = case.id
        if case in where:
            test_id = _qualify(test_id, where[case])
            if again[test_id] > 1:
                test_id = _qualify(case.id, [*where[case], case.file or ""])
        unique, tie = test_id, 1
        while unique in cases:
            tie += 1
            unique = f"{test_id} #{tie}"
        cases[unique] = case if unique == case.id else case._replace(id=unique)
    return cases


def _qualify(base: str, parts: list[str]) -> str:
    where = NESTING.join(part for part in parts if part)
    return f"{base}{QUALIFIER}{where}".strip() if where else base


def _ids_from_several_reports(suites: list[Suite], shared: Counter[str]) -> set[str]:
    found: dict[str, set[int]] = {}
    for suite in suites:
        for case in suite.cases.values():
            if shared[case.id] > 1:
                found.setdefault(case.id, set()).add(suite.report)
    return {test_id for test_id, reports in found.items() if len(reports) > 1}


def _report_labels(reports: list[str]) -> list[str]:
    """Each report's path relative to the folder all of them share (stable across machines)."""
    folders = [os.path.dirname(os.path.abspath(r)) for r in reports]
    common = os.path.commonpath(folders) if folders else ""
    return [os.path.relpath(os.path.abspath(r), common).replace(os.sep, "/") for r in reports]
