"""``notes_file`` and ``none``: trackers that record nothing verifiable and so never complete."""

from __future__ import annotations

from pathlib import Path

from .base import Progress


class NotesTracker:
    """A free-form progress file the agent keeps; shown to the agent, never proof of completion."""

    name = "notes_file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def evaluate(self, *, readonly: bool = False) -> Progress:
        return Progress(source=str(self.path), completable=False)

    def notes(self, limit: int = 2000) -> str:
        """The tail of the notes, bounded so it cannot swamp a prompt."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-limit:]


class NoTracker:
    """No tracking: the run ends by ``max_iterations`` or an interrupt."""

    name = "none"

    def evaluate(self, *, readonly: bool = False) -> Progress:
        return Progress(completable=False)
