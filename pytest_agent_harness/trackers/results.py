"""``junit`` and ``pytest`` trackers: every test in the evidence is an item.

The ``pytest`` tracker's baseline is taken from the first measurement, before any session,
whatever pytest's exit status: the tests it ran, the tests it collected but could not run, its
collection errors (each an item), or when it could not even collect, the test files. It is
taken only by ``take_baseline()`` (the loop's measurement before the first session, and
``agent-harness baseline --accept``), or by ``evaluate()`` while no session has run; never
after a session. Afterwards:

- a baseline test that is gone (deleted, renamed) is tampering, unless the run's selection (its
  paths, ``-k``, ``-m``) is narrower than the baseline's and leaves the test out;
- a test newly skipped or xfailed is tampering; one skipped or xfailed at the baseline counts
  as done while it stays so (a test that needs another Python is not the agent's to fix);
- a change to the test infrastructure that can decide outcomes is tampering (``infra.py``).

The ``junit`` tracker reads reports the project wrote, so its baseline is the first report seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import PlantedLinkError
from ..files import read_text
from ..layout import Layout
from . import infra
from .base import Item, Progress, Status
from .baseline import Baseline
from .evidence import Evidence
from .junit import CaseResult
from .selection import Selection, test_files

if TYPE_CHECKING:
    from ..strength.check import StrengthGate

NO_STRENGTH = (
    "strength gate: the baseline has no strength measurement (the gate was turned on later); "
    "a person takes one with `agent-harness baseline --accept`"
)
NO_BASELINE = (
    "no test baseline: none was taken before the first session, so deleted or newly skipped "
    "tests cannot be noticed; a person takes one with `agent-harness baseline --accept`"
)


def case_status(case: CaseResult, allow_skipped: bool) -> Status:
    if case.status == "skipped" and allow_skipped:
        return "passed"
    return case.status


def baseline_status(case: CaseResult) -> str:
    return "xfail" if case.xfail else case.status


def sessions_ran(layout: Layout) -> bool:
    """Whether a session has started in this project (its state or ledger says so)."""
    try:
        state = json.loads(read_text(layout.state))
    except (OSError, ValueError, PlantedLinkError):
        state = None
    if isinstance(state, dict) and isinstance(state.get("session"), int) and state["session"] > 0:
        return True
    try:
        return bool(read_text(layout.ledger).strip())
    except (OSError, ValueError, PlantedLinkError):
        return False


class ResultsTracker:
    """Items are the tests the evidence holds, plus any baseline test that went missing."""

    def __init__(
        self,
        name: str,
        evidence: Callable[[], Evidence],
        layout: Layout,
        allow_skipped: bool = False,
        strength: StrengthGate | None = None,
    ) -> None:
        self.strength = strength
        self.name = name
        self.evidence = evidence
        self.layout = layout
        self.allow_skipped = allow_skipped
        self._may_baseline = False

    def take_baseline(self) -> Progress:
        """Measure, and take the baseline now if there is none: call it before the first
        session only (and after a person discarded the baseline)."""
        self._may_baseline = True
        try:
            return self.evaluate()
        finally:
            self._may_baseline = False

    def evaluate(self, *, readonly: bool = False) -> Progress:
        evidence = self.evidence()
        cases = evidence.report.cases
        warnings = list(evidence.warnings)
        baseline = Baseline.load(self.layout, readonly=readonly)
        if baseline.tampered:
            warnings.append(baseline.tampered)
        if self.name == "junit":
            if not baseline.tests and cases and evidence.completable and not readonly:
                baseline.tests = {case.id: baseline_status(case) for case in cases.values()}
                baseline.save(self.layout)
        elif not baseline.has_tests and not readonly:
            if self._may_baseline or not sessions_ran(self.layout):
                self._take(baseline, evidence)
            else:
                warnings.append(NO_BASELINE)
        items = [self._item(case, baseline.tests.get(case.id)) for case in cases.values()]
        if baseline.has_tests:
            warnings.extend(self._guard(baseline, evidence, items))
        gate = None
        if self.strength is not None and baseline.has_tests and evidence.completable:
            warnings, gate = self._gate(baseline, items, warnings)
        return Progress(
            items=tuple(items),
            warnings=tuple(warnings),
            source=evidence.source,
            completable=evidence.completable,
            strength=gate,
        )

    def _take(self, baseline: Baseline, evidence: Evidence) -> None:
        project = self.layout.project_dir
        cases = evidence.report.cases
        tests = {case.id: baseline_status(case) for case in cases.values()}
        if not tests:  # pytest could not even collect: the test files are the baseline
            paths = Selection.parse(evidence.args, project).paths
            tests = dict.fromkeys(test_files(project, paths), "error")
        record = evidence.record
        if record is not None:
            for nodeid in record.collected:
                if nodeid not in record.tests:
                    tests[nodeid] = "notrun"  # its outcome, skipped or not, is unknown
        baseline.tests = tests
        baseline.selection = list(evidence.args)
        baseline.tags = {k: v for k, v in record.tags.items() if v} if record else {}
        baseline.infra = record.infra if record else None
        if self.strength is not None:
            failing = [c.id for c in cases.values() if c.status != "passed"]
            baseline.strength = self.strength.measure(failing=failing).as_json()
        baseline.save(self.layout)

    def _gate(
        self, baseline: Baseline, items: list[Item], warnings: list[str]
    ) -> tuple[list[str], dict[str, Any] | None]:
        """With the strength gate on, a suite is judged by what it catches, not by its test
        ids: a renamed or merged test is fine once the gate passes, never before. Also the
        gate's before/after summary, when it ran."""
        assert self.strength is not None
        if baseline.strength is None:
            return [*warnings, NO_STRENGTH], None
        missing = {f"test {i.id} is missing" for i in items if i.status == "missing"}
        blocking = [w for w in warnings if not any(w.startswith(m) for m in missing)]
        done = all(i.status in ("passed", "missing") for i in items)
        if self.strength.when == "complete" and (blocking or not done):
            return warnings, None  # the gate runs once nothing else stands in the way
        table = self.strength.summary(baseline.strength)
        if not table["passed"]:
            return [*warnings, *(f"strength gate: {p}" for p in table["problems"])], table
        items[:] = [i for i in items if i.status != "missing"]
        return blocking, table

    def _item(self, case: CaseResult, before: str | None) -> Item:
        status = case_status(case, self.allow_skipped)
        note = case.message
        if status == "skipped" and before is not None and before == baseline_status(case):
            what = "xfailed" if case.xfail else "skipped"
            note = f"{what} at the baseline too" + (f": {note}" if note else "")
            status = "passed"
        return Item(id=case.id, status=status, evidence=note)

    def _guard(self, baseline: Baseline, evidence: Evidence, items: list[Item]) -> list[str]:
        project = self.layout.project_dir
        selection = None
        if baseline.selection is not None:
            now = Selection.parse(evidence.args, project)
            if now != Selection.parse(baseline.selection, project):
                selection = now
        record = evidence.record
        files = set(record.files) if record else set()
        files.update(case_id.split("::")[0] for case_id in evidence.report.cases)
        warnings = tamper_warnings(
            baseline.tests,
            evidence.report.cases,
            items,
            present=lambda test_id: "::" not in test_id and test_id in files,
            selected=(
                (lambda test_id: selection.selects(test_id, baseline.tags.get(test_id)))
                if selection is not None
                else None
            ),
        )
        if record is not None and baseline.selection is not None:
            warnings += infra.changes(baseline.infra, record.infra)
        return warnings


def tamper_warnings(
    baseline: dict[str, str],
    cases: dict[str, CaseResult],
    items: list[Item],
    *,
    present: Callable[[str], bool] | None = None,
    selected: Callable[[str], bool] | None = None,
) -> list[str]:
    """Warnings for baseline tests that vanished or became skipped; adds 'missing' items.

    ``present`` says whether a baseline entry that is not a test (a file that could not be
    collected) is still there; ``selected`` whether a missing test is one this run selects.
    """
    warnings = []
    for test_id, before in baseline.items():
        case = cases.get(test_id)
        if case is None:
            if (present is not None and present(test_id)) or (
                selected is not None and not selected(test_id)
            ):
                continue
            items.append(
                Item(id=test_id, status="missing", evidence="in the baseline, not in the results")
            )
            warnings.append(f"test {test_id} is missing from the results (deleted or renamed?)")
        elif case.xfail and before != "xfail":
            warnings.append(f"test {test_id} is newly marked xfail")
        elif case.status == "skipped" and before not in ("skipped", "xfail", "notrun"):
            warnings.append(f"test {test_id} is newly skipped")
    return warnings
