"""``json_checklist``: a JSON array of items, each passing only when its flag is JSON ``true``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .base import Item, Progress, Status


class ChecklistTracker:
    """Reads the feature list the initializer wrote; a missing file means no work is listed yet."""

    name = "json_checklist"

    def __init__(self, path: Path, passing_field: str = "passes") -> None:
        self.path = path
        self.passing_field = passing_field

    def evaluate(self) -> Progress:
        if not self.path.exists():
            return Progress(source=str(self.path), warnings=())
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            return Progress(
                source=str(self.path),
                warnings=(f"{self.path.name}: cannot be read as JSON ({exc}); fix or restore it",),
            )
        if not isinstance(data, list):
            return Progress(
                source=str(self.path),
                warnings=(f"{self.path.name}: expected a JSON array of items",),
            )
        items = tuple(self._item(index, entry) for index, entry in enumerate(data))
        return Progress(items=items, source=str(self.path))

    def _item(self, index: int, entry: Any) -> Item:
        if not isinstance(entry, dict):
            return Item(id=f"#{index + 1}", status="failed", evidence="not a JSON object")
        description = entry.get("description")
        text = description if isinstance(description, str) else ""
        # Only JSON true counts: "true", 1 and "yes" are an agent's shortcut, not a pass.
        status: Status = "passed" if entry.get(self.passing_field) is True else "failed"
        return Item(id=f"#{index + 1}", description=text, status=status)
