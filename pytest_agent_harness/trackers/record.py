"""Reading the observer's record: what the harness's own pytest run saw, by pytest node id.

``observer.py`` writes it from inside the run; this side never imports pytest. A record that
cannot be read, or that ends before pytest's session did, is a problem, never a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import PlantedLinkError
from ..files import read_text
from .base import Status
from .infra import OBSERVER as OBSERVER_MODULE
from .infra import RECORD_OPTION
from .junit import CaseResult, JUnitReport

__all__ = ["OBSERVER_MODULE", "RECORD_OPTION", "RunRecord", "as_report", "read_record"]
_STATUS: dict[str, tuple[Status, bool]] = {
    "passed": ("passed", False),
    "xpassed": ("passed", True),
    "failed": ("failed", False),
    "error": ("error", False),
    "skipped": ("skipped", False),
    "xfailed": ("skipped", True),
}


class Observed(NamedTuple):
    """One test's outcome (a tuple: a record holds thousands)."""

    nodeid: str
    status: Status
    xfail: bool = False
    message: str = ""
    tamper: tuple[str, ...] = ()


@dataclass(kw_only=True)
class RunRecord:
    """One run as the observer saw it."""

    tests: dict[str, Observed] = field(default_factory=dict)
    collected: list[str] = field(default_factory=list)
    tags: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Node id to its ``markers`` and extra ``keywords`` (for ``-m``/``-k`` on a baseline)."""
    files: set[str] = field(default_factory=set)
    collect_errors: dict[str, str] = field(default_factory=dict)
    notrun: dict[str, str] = field(default_factory=dict)
    infra: dict[str, Any] | None = None
    exitstatus: int | None = None
    stopped: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.exitstatus is not None


def read_record(path: Path) -> RunRecord | None:
    """The record at ``path``; None when there is none (pytest never got to write it)."""
    try:
        text = read_text(path)
    except (OSError, ValueError, PlantedLinkError):
        return None
    record = RunRecord()
    lines = text.splitlines()
    try:  # one parse for the whole file; line by line only to tell which line is broken
        entries: list[Any] = json.loads("[" + ",".join(lines) + "]")
    except ValueError:
        entries = []
    if len(entries) != len(lines):
        entries = [_parse(line) for line in lines]
    for number, entry in enumerate(entries, 1):
        try:
            _apply(record, entry)
        except (ValueError, TypeError, KeyError, AttributeError):
            record.problems.append(f"the observer's record has an unreadable line {number}")
    return record


def _parse(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _apply(record: RunRecord, entry: dict[str, Any]) -> None:
    kind = entry["kind"]
    if kind == "test":
        status, xfail = _STATUS[entry["status"]]
        nodeid = str(entry["nodeid"])
        tamper = entry.get("tamper")
        record.tests[nodeid] = Observed(
            nodeid,
            status,
            xfail,
            str(entry.get("message") or ""),
            tuple(str(t) for t in tamper) if tamper else (),
        )
    elif kind == "collected":
        for item in entry["items"]:  # a node id, or a node id with its tags
            if isinstance(item, str):
                record.collected.append(item)
                continue
            nodeid = str(item["nodeid"])
            record.collected.append(nodeid)
            tags = {k: [str(v) for v in item.get(k) or ()] for k in ("markers", "keywords")}
            record.tags[nodeid] = {k: v for k, v in tags.items() if v}
        record.files.update(str(f) for f in entry.get("files") or ())
    elif kind == "collect_error":
        record.collect_errors[str(entry["nodeid"])] = str(entry.get("message") or "")
    elif kind == "notrun":
        record.notrun[str(entry["nodeid"])] = str(entry.get("blame") or "")
    elif kind == "infra":
        record.infra = {k: v for k, v in entry.items() if k != "kind"}
    elif kind == "end":
        record.exitstatus = int(entry["exitstatus"])
        record.stopped = bool(entry.get("stopped"))


def junit_names(nodeid: str) -> tuple[str, str]:
    """(classname, name) pytest's JUnit XML gives the test with this node id."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    module = names[0].replace("/", ".")
    names[0] = module[:-3] if module.endswith(".py") else module
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def as_report(record: RunRecord, junit: JUnitReport) -> tuple[JUnitReport, list[str]]:
    """The observer's outcomes as a report keyed by node id (JUnit only lends messages), and
    the tamper warnings: the observer's own, and a JUnit report that disagrees with it."""
    cases: dict[str, CaseResult] = {}
    warnings: list[str] = []
    for nodeid, message in record.collect_errors.items():
        cases[nodeid] = _case(nodeid, "error", message or "collection error")
    for nodeid in record.collected:
        seen = record.tests.get(nodeid)
        if seen is None:
            why = "collected but never run"
            if not record.stopped and record.finished:
                blame = record.notrun.get(nodeid, "")
                warnings.append(f"test {nodeid} was collected but never run ({blame})")
            cases[nodeid] = _case(nodeid, "error", why)
    for nodeid, seen in record.tests.items():
        cases[nodeid] = _case(nodeid, seen.status, seen.message, xfail=seen.xfail)
        if seen.tamper:
            warnings.append(f"test {nodeid} was tampered with: {'; '.join(seen.tamper)}")
    tampered = {nodeid for nodeid, seen in record.tests.items() if seen.tamper}
    warnings += _cross_check(cases, junit, tampered)
    return JUnitReport(cases=cases, files=junit.files, problems=()), warnings


def _case(nodeid: str, status: Status, message: str, *, xfail: bool = False) -> CaseResult:
    classname, name = junit_names(nodeid)
    return CaseResult(nodeid, classname, name, nodeid.split("::")[0], status, False, xfail, message)


_BETTER = {"passed": 0, "skipped": 1, "failed": 2, "error": 2}


def _cross_check(cases: dict[str, CaseResult], junit: JUnitReport, tampered: set[str]) -> list[str]:
    """The JUnit XML is pytest's writing, reachable by the project's hooks: any test it shows
    that the observer never saw, or shows better than it ran, was written by something else."""
    by_name: dict[tuple[str, str], CaseResult] = {(c.classname, c.name): c for c in cases.values()}
    warnings = []
    for case in junit.cases.values():
        seen = by_name.get((case.classname, case.name))
        if seen is None:
            warnings.append(
                f"test {case.id} is in the JUnit report but the harness's observer never saw it "
                "run (the report was written or rewritten by the project's code)"
            )
        elif _BETTER[case.status] < _BETTER[seen.status] and seen.id not in tampered:
            warnings.append(
                f"test {seen.id} {seen.status} but the JUnit report says {case.status} "
                "(rewritten by a pytest_runtest_logreport hook or the project's code)"
            )
    return warnings
