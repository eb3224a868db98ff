"""The tamper baseline: what the work looked like the first time the harness measured it.

Kept in the harness dir (harness-owned, out of the agent's reach). Checklist
items are kept whole, so an edited or removed item can be put back; tests are kept by id with
their first status, so a vanished or newly skipped test is noticed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..files import write_atomic
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

    @classmethod
    def load(cls, layout: Layout) -> Baseline:
        try:
            data = json.loads(layout.baseline.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        items = data.get("items")
        tests = data.get("tests")
        return cls(
            items=items if isinstance(items, list) else None,
            tests={str(k): str(v) for k, v in tests.items()} if isinstance(tests, dict) else {},
        )

    def save(self, layout: Layout) -> None:
        data = {"items": self.items, "tests": self.tests}
        write_atomic(layout.baseline, json.dumps(data, indent=1) + "\n")
