"""The progress model every tracker returns, and the protocol trackers implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

Status = Literal["passed", "failed", "error", "skipped", "missing"]


@dataclass(frozen=True, kw_only=True)
class Item:
    """One unit of work: a checklist entry or a test."""

    id: str
    description: str = ""
    status: Status
    evidence: str = ""


@dataclass(frozen=True, kw_only=True)
class Progress:
    """A tracker's verdict at one moment; ``complete`` is never true for a tampered tracker."""

    items: tuple[Item, ...] = ()
    warnings: tuple[str, ...] = ()
    source: str = ""
    completable: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    strength: dict[str, Any] | None = None
    """The strength gate's before/after summary, when it ran (``strength/gate.py``)."""

    @property
    def passing(self) -> int:
        return sum(1 for item in self.items if item.status == "passed")

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def complete(self) -> bool:
        return (
            self.completable and not self.warnings and self.total > 0 and self.passing == self.total
        )

    def details(self, limit: int = 20) -> str:
        """What is not passing and why, briefly, for the agent's next prompt."""
        lines = [f"{self.summary()} ({self.source})" if self.source else self.summary()]
        lines += [f"- WARNING: {warning}" for warning in self.warnings]
        open_items = [item for item in self.items if item.status != "passed"]
        for item in open_items[:limit]:
            text = f"- {item.status.upper()} {item.id}"
            if item.description:
                text += f" {item.description}"
            if item.evidence:
                text += f": {item.evidence}"
            lines.append(text[:300])
        if len(open_items) > limit:
            lines.append(f"- ... and {len(open_items) - limit} more not passing")
        return "\n".join(lines)

    def summary(self) -> str:
        """One line for the console and the ledger, e.g. ``3/5 passing``."""
        text = f"{self.passing}/{self.total} passing"
        if self.warnings:
            text += f", {len(self.warnings)} warning(s)"
        return text


class Tracker(Protocol):
    """Reads the project and says how far the work is."""

    name: str

    def evaluate(self, *, readonly: bool = False) -> Progress:
        """Look at the evidence now; never raise for a missing or broken tracker file.

        ``readonly`` is for gates (``status``): look without taking a baseline or repairing
        anything, so a check never changes what it checks.
        """
        ...


def measure_before_first_session(tracker: Tracker) -> Progress:
    """The measurement before the first session: it takes the tamper baseline, for a tracker
    that keeps one (``take_baseline()``); any other tracker is simply evaluated."""
    take = getattr(tracker, "take_baseline", None)
    if callable(take):
        return cast(Progress, take())
    return tracker.evaluate()
