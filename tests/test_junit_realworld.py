"""The JUnit reader on 106 real reports that public report readers collected.

``expected.json`` (beside the reports, in the shared folder) holds, per file and per multi-file
glob, what a correct reader gives (``should``); every one of those checks runs here. The reports
are not vendored, so without the folder the tests skip, saying where they looked.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pytest_agent_harness.trackers.junit import JUnitReport, find_reports, read_junit

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "junit-realworld"
EXPECTED = REALWORLD / "expected.json"
FAILING = ("failed", "error")


def _load() -> dict[str, Any]:
    if not EXPECTED.is_file():
        return {"files": [], "globs": []}
    data: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data


DATA = _load()
needs_data = pytest.mark.skipif(
    not EXPECTED.is_file(), reason=f"the real-world JUnit reports are not at {REALWORLD}"
)


def check(report: JUnitReport, should: dict[str, Any]) -> list[str]:
    """Every way ``report`` falls short of ``should``, as readable lines (empty: all hold)."""
    wrong: list[str] = []
    statuses: Counter[str] = Counter(case.status for case in report.cases.values())
    if should.get("refused"):
        if report.cases or report.files or not report.problems:
            wrong.append(f"not refused: {len(report.cases)} cases, problems {report.problems}")
        return wrong
    if report.problems:
        wrong.append(f"problems: {report.problems}")
    if "counts" in should:
        got = {"total": len(report.cases), **{k: statuses[k] for k in _STATUSES}}
        if got != should["counts"]:
            wrong.append(f"counts {got} != {should['counts']}")
    if "passed" in should and statuses["passed"] != should["passed"]:
        wrong.append(f"passed {statuses['passed']} != {should['passed']}")
    for test_id, status in should.get("status", {}).items():
        case = report.cases.get(test_id)
        if case is None or case.status != status:
            wrong.append(f"{test_id}: {case.status if case else 'absent'} != {status}")
    for name in should.get("nonpassing_name", []):
        named = [c for c in report.cases.values() if c.name == name]
        if not any(c.status in FAILING for c in named):
            wrong.append(f"no failing test named {name!r}: {[c.status for c in named]}")
    least = should.get("min_failed_or_error", 0)
    if sum(statuses[s] for s in FAILING) < least:
        wrong.append(f"fewer than {least} failed or erroring tests")
    return wrong


_STATUSES = ("passed", "failed", "error", "skipped")
_KNOWN = {"counts", "refused", "passed", "status", "nonpassing_name", "min_failed_or_error"}


@needs_data
def test_the_collection_is_complete() -> None:
    """A renamed or added file, or a new kind of check, must not pass by being skipped."""
    on_disk = {str(p.relative_to(REALWORLD)) for p in REALWORLD.rglob("*.xml") if p.is_file()}
    assert {entry["file"] for entry in DATA["files"]} == on_disk
    assert len(on_disk) == 106
    for entry in [*DATA["files"], *DATA["globs"]]:
        assert set(entry["should"]) <= _KNOWN, entry["should"]


@needs_data
@pytest.mark.parametrize("entry", DATA["files"], ids=[e["file"] for e in DATA["files"]])
def test_each_report_reads_as_it_should(entry: dict[str, Any]) -> None:
    report = read_junit([REALWORLD / entry["file"]])
    assert check(report, entry["should"]) == [], entry["note"]


@needs_data
@pytest.mark.parametrize("entry", DATA["globs"], ids=[e["name"] for e in DATA["globs"]])
def test_each_glob_reads_as_it_should(entry: dict[str, Any]) -> None:
    files = find_reports(REALWORLD / entry["root"], entry["patterns"])
    assert files, entry["patterns"]
    report = read_junit(files)
    assert len(report.files) == len(files) == len(set(files))
    assert check(report, entry["should"]) == [], entry["note"]


@needs_data
def test_every_check_runs() -> None:
    """The count of ``should`` checks, so a silently emptied expected.json cannot pass."""
    checks = sum(len(e["should"]) for e in [*DATA["files"], *DATA["globs"]])
    assert checks >= 110
