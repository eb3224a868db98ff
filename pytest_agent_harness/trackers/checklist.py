"""``json_checklist``: a JSON array of items; an item passes only on JSON ``true`` or on evidence.

With ``[tracking] evidence`` set, an item that lists ``"tests"`` passes only when the harness
sees every one of them pass; the agent's own flag is ignored and overwritten with the truth.
The first checklist the harness sees is the baseline: an item removed, or whose description or
steps changed, is put back from it (keeping the passing flags of untouched items) and reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import PlantedLinkError
from ..files import read_text, write_atomic
from ..layout import Layout
from .base import Item, Progress, Status
from .baseline import Baseline, fingerprint
from .evidence import Evidence
from .junit import JUnitReport, lookup
from .results import case_status

_SEVERITY = {"passed": 0, "skipped": 1, "missing": 2, "failed": 3, "error": 4}


class ChecklistTracker:
    """The feature list the initializer wrote, checked against its baseline and the evidence."""

    name = "json_checklist"

    def __init__(
        self,
        path: Path,
        passing_field: str = "passes",
        layout: Layout | None = None,
        evidence: Callable[[], Evidence] | None = None,
        allow_skipped: bool = False,
    ) -> None:
        self.path = path
        self.passing_field = passing_field
        self.layout = layout
        self.evidence = evidence
        self.allow_skipped = allow_skipped

    def evaluate(self, *, readonly: bool = False) -> Progress:
        if not self.path.exists():
            return Progress(source=str(self.path))
        data, problem = self._read()
        if problem:
            return Progress(source=str(self.path), warnings=(problem,))
        warnings = self._guard(data, readonly)
        report, evidence_warnings, completable = self._collect()
        items = [self._item(i, entry, report) for i, entry in enumerate(data)]
        if report is not None:
            warnings += self._write_back(data, items, readonly)
        return Progress(
            items=tuple(items),
            warnings=tuple(warnings + evidence_warnings),
            source=str(self.path),
            completable=completable,
        )

    def _read(self) -> tuple[list[Any], str]:
        name = self.path.name
        try:
            data: Any = json.loads(read_text(self.path))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, PlantedLinkError) as exc:
            return [], f"{name}: cannot be read as JSON ({exc}); fix or restore it"
        if not isinstance(data, list):
            return [], f"{name}: expected a JSON array of items"
        return data, ""

    def _guard(self, data: list[Any], readonly: bool) -> list[str]:
        """Take the baseline, or put back items that were removed or edited since it."""
        if self.layout is None or not data:
            return []
        baseline = Baseline.load(self.layout, readonly=readonly)
        tampered = [baseline.tampered] if baseline.tampered else []
        if baseline.items is None:
            baseline.items = data
            if not readonly:
                baseline.save(self.layout)
            return tampered
        field = self.passing_field
        current = {fingerprint(entry, field): entry for entry in data}
        changed = [
            (index, entry)
            for index, entry in enumerate(baseline.items)
            if fingerprint(entry, field) not in current
        ]
        if not changed:
            return tampered
        known = {fingerprint(entry, field) for entry in baseline.items}
        # Items the baseline does not know are dropped with the restore: in a session that
        # removed or reworded items, a "new" item is most likely a rewording.
        dropped = [entry for entry in data if fingerprint(entry, field) not in known]
        data[:] = [current.get(fingerprint(entry, field), entry) for entry in baseline.items]
        if not readonly:
            write_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        # In a run the words go to the agent, which the restore answers; a read-only look
        # (``status``) restores nothing and tells the person what the next run will do.
        done = "restored from the baseline. Never remove or reword items."
        if readonly:
            done = "the next run restores it from the baseline"
        warnings = tampered + [
            f"{self.path.name}: item {index + 1} ({_describe(entry)}) was removed or edited; {done}"
            for index, entry in changed
        ]
        if dropped:
            verb = "are dropped by that restore" if readonly else "were dropped with the restore"
            warnings.append(f"{self.path.name}: {len(dropped)} item(s) not in the baseline {verb}")
        return warnings

    def _collect(self) -> tuple[JUnitReport | None, list[str], bool]:
        if self.evidence is None:
            return None, [], True
        evidence = self.evidence()
        return evidence.report, list(evidence.warnings), evidence.completable

    def _item(self, index: int, entry: Any, report: JUnitReport | None) -> Item:
        item_id = f"#{index + 1}"
        if not isinstance(entry, dict):
            return Item(id=item_id, status="failed", evidence="not a JSON object")
        description = _describe(entry)
        tests = entry.get("tests")
        if report is not None and isinstance(tests, list) and tests:
            status, evidence = self._from_tests([str(t) for t in tests], report)
            return Item(id=item_id, description=description, status=status, evidence=evidence)
        # Only JSON true counts: "true", 1 and "yes" are an agent's shortcut, not a pass.
        status = "passed" if entry.get(self.passing_field) is True else "failed"
        return Item(id=item_id, description=description, status=status)

    def _from_tests(self, refs: list[str], report: JUnitReport) -> tuple[Status, str]:
        worst: Status = "passed"
        notes = []
        for ref in refs:
            found = lookup(report, ref)
            if not found:
                status: Status = "missing"
                notes.append(f"{ref}: not in the test results")
            else:
                statuses = [case_status(case, self.allow_skipped) for case in found]
                status = max(statuses, key=_SEVERITY.__getitem__)
                if status != "passed":
                    message = next((c.message for c in found if c.message), "")
                    notes.append(f"{ref}: {status}" + (f" ({message})" if message else ""))
            if _SEVERITY[status] > _SEVERITY[worst]:
                worst = status
        return worst, "; ".join(notes)

    def _write_back(self, data: list[Any], items: list[Item], readonly: bool) -> list[str]:
        """Set the flag of evidence-backed items to what the evidence says; report false claims."""
        changed = False
        claims = []
        for entry, item in zip(data, items, strict=True):
            if isinstance(entry, dict) and isinstance(entry.get("tests"), list) and entry["tests"]:
                truth = item.status == "passed"
                if entry.get(self.passing_field) is True and not truth:
                    claims.append(
                        f"{self.path.name}: item {item.id} ({item.description}) was marked passing "
                        f"but the tests say otherwise: {item.evidence}"
                    )
                if entry.get(self.passing_field) is not truth:
                    entry[self.passing_field] = truth
                    changed = True
        if changed and not readonly:
            write_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return claims


def _describe(entry: Any) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("description"), str):
        text: str = entry["description"]
        return text if len(text) <= 80 else text[:77] + "..."
    return json.dumps(entry)[:80]
