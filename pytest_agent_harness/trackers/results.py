"""``junit`` and ``pytest`` trackers: every test in the evidence is an item.

The first time there are results, their ids and statuses become the baseline. Afterwards a
baseline test that is gone (deleted, renamed) or that is newly skipped or xfailed is tampering:
a warning naming the test, and the tracker is not complete.
"""

from __future__ import annotations

from collections.abc import Callable

from ..layout import Layout
from .base import Item, Progress, Status
from .baseline import Baseline
from .evidence import Evidence
from .junit import CaseResult


def case_status(case: CaseResult, allow_skipped: bool) -> Status:
    if case.status == "skipped" and allow_skipped:
        return "passed"
    return case.status


def baseline_status(case: CaseResult) -> str:
    return "xfail" if case.xfail else case.status


class ResultsTracker:
    """Items are the tests the evidence holds, plus any baseline test that went missing."""

    def __init__(
        self,
        name: str,
        evidence: Callable[[], Evidence],
        layout: Layout,
        allow_skipped: bool = False,
    ) -> None:
        self.name = name
        self.evidence = evidence
        self.layout = layout
        self.allow_skipped = allow_skipped

    def evaluate(self, *, readonly: bool = False) -> Progress:
        evidence = self.evidence()
        cases = evidence.report.cases
        items = [
            Item(
                id=case.id,
                status=case_status(case, self.allow_skipped),
                evidence=case.message,
            )
            for case in cases.values()
        ]
        warnings = list(evidence.warnings)
        baseline = Baseline.load(self.layout, readonly=readonly)
        if baseline.tampered:
            warnings.append(baseline.tampered)
        if not baseline.tests:
            if cases and evidence.completable and not readonly:
                baseline.tests = {case.id: baseline_status(case) for case in cases.values()}
                baseline.save(self.layout)
        else:
            warnings.extend(tamper_warnings(baseline.tests, cases, items))
        return Progress(
            items=tuple(items),
            warnings=tuple(warnings),
            source=evidence.source,
            completable=evidence.completable,
        )


def tamper_warnings(
    baseline: dict[str, str], cases: dict[str, CaseResult], items: list[Item]
) -> list[str]:
    """Warnings for baseline tests that vanished or became skipped; adds 'missing' items."""
    warnings = []
    for test_id, before in baseline.items():
        case = cases.get(test_id)
        if case is None:
            items.append(
                Item(id=test_id, status="missing", evidence="in the baseline, not in the results")
            )
            warnings.append(f"test {test_id} is missing from the results (deleted or renamed?)")
        elif case.xfail and before != "xfail":
            warnings.append(f"test {test_id} is newly marked xfail")
        elif case.status == "skipped" and before not in ("skipped", "xfail"):
            warnings.append(f"test {test_id} is newly skipped")
    return warnings
