"""The tamper baseline: what the work looked like the first time the harness measured it.

Kept twice: in the harness dir (committed with the project) and in the user's state dir, out of
the agent's reach, which the first is checked against. Checklist items are kept whole, so an
edited or removed item can be put back; tests are kept by pytest node id with their first status
(with their markers and keywords, so that a narrower selection can be checked against it), so a
vanished or newly skipped test is noticed; with them, the arguments the tests were selected with
and the project's test infrastructure (``infra.py``) as the observer saw it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PlantedLinkError
from ..files import read_text, write_atomic
from ..layout import Layout


def fingerprint(item: Any, passing_field: str) -> str:
    """A checklist item's identity: everything but its passing flag."""
    if isinstance(item, dict):
        item = {k: v for k, v in item.items() if k != passing_field}
    text = json.dumps(item, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Baseline:
    items: list[Any] | None = None
    """The checklist as first seen (None until it existed)."""
    tests: dict[str, str] = field(default_factory=dict)
    """Test id to its status when first seen."""
    selection: list[str] | None = None
    """The pytest arguments the tests were measured with; None: no test baseline was taken."""
    tags: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Test id to its ``markers`` and extra ``keywords``, when it had any."""
    infra: dict[str, Any] | None = None
    """The test infrastructure the observer saw (None: not observed)."""
    strength: dict[str, Any] | None = None
    """The baseline suite's strength (``strength/gate.py``), when the gate is on."""
    tampered: str = ""
    """Why the project's copy cannot be believed (it differs from the harness's own), or ''."""

    @classmethod
    def load(cls, layout: Layout, *, readonly: bool = False) -> Baseline:
        """The baseline, from the harness's own copy when there is one.

        The project's ``baseline.json`` (committed, so a fresh clone has it) is checked against
        the copy in the user's state dir: a missing, emptied or edited project copy is tampering,
        never a new baseline, and is put back unless ``readonly``. A clone with no own copy yet
        adopts the project's.
        """
        own = _read(layout.baseline_copy)
        shown = _read(layout.baseline)
        if own is None:
            if shown is not None and shown.strip() and not readonly:
                write_atomic(layout.baseline_copy, shown)
            return cls._parse(shown)
        baseline = cls._parse(own)
        if shown != own:
            what = "missing" if shown is None else "emptied" if not shown.strip() else "changed"
            baseline.tampered = (
                f"{layout.baseline.name} was {what} outside the harness"
                + ("" if readonly else "; restored from the harness's own copy")
                + " (a person accepts a new baseline with `agent-harness baseline --accept`)"
            )
            if not readonly:
                write_atomic(layout.baseline, own)
        return baseline

    @classmethod
    def _parse(cls, text: str | None) -> Baseline:
        try:
            data = json.loads(text or "")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        items = data.get("items")
        tests = data.get("tests")
        selection = data.get("selection")
        tags = data.get("tags")
        infra = data.get("infra")
        strength = data.get("strength")
        return cls(
            strength=strength if isinstance(strength, dict) else None,
            items=items if isinstance(items, list) else None,
            tests={str(k): str(v) for k, v in tests.items()} if isinstance(tests, dict) else {},
            selection=[str(a) for a in selection] if isinstance(selection, list) else None,
            tags=tags if isinstance(tags, dict) else {},
            infra=infra if isinstance(infra, dict) else None,
        )

    @property
    def has_tests(self) -> bool:
        """Whether a test baseline was taken (possibly of no test at all)."""
        return self.selection is not None or bool(self.tests)

    def save(self, layout: Layout) -> None:
        """Write both copies: the project's and the harness's own."""
        data: dict[str, Any] = {"items": self.items, "tests": self.tests}
        if self.selection is not None:
            data.update(selection=self.selection, tags=self.tags, infra=self.infra)
        if self.strength is not None:
            data["strength"] = self.strength
        text = json.dumps(data, indent=1) + "\n"
        write_atomic(layout.baseline_copy, text)
        write_atomic(layout.baseline, text)

    @staticmethod
    def discard(layout: Layout) -> None:
        """Forget both copies, so that the next measurement is the baseline (a person's call)."""
        for path in (layout.baseline, layout.baseline_copy):
            path.unlink(missing_ok=True)


def _read(path: Path) -> str | None:
    try:
        return read_text(path)
    except (OSError, ValueError, PlantedLinkError):
        return None
