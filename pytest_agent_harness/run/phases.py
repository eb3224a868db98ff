"""Which phase runs next: the first declared phase whose condition holds and that is not done."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Phase


def select_phase(
    phases: Sequence[Phase], completed: Collection[str], project_dir: Path
) -> Phase | None:
    """The phase for the next session, or None when no phase is eligible."""
    for phase in phases:
        if phase.run_once and phase.name in completed:
            continue
        if phase.condition is not None and not phase.condition.holds(project_dir):
            continue
        return phase
    return None


def why_none_eligible(
    phases: Sequence[Phase], completed: Collection[str], project_dir: Path
) -> str:
    """Explain, phase by phase, why none can run: the user has to fix the config or the project."""
    reasons = []
    for phase in phases:
        if phase.run_once and phase.name in completed:
            reasons.append(f"'{phase.name}' is run_once and already done")
        elif phase.condition is not None and not phase.condition.holds(project_dir):
            reasons.append(f"'{phase.name}' needs {phase.condition.kind}:{phase.condition.path}")
    return "no phase is eligible to run: " + "; ".join(reasons)
