"""Where a run stands, as data: what the final summary, ``status`` and its JSON and Markdown
forms are all made from, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ExitCode
from .books import StateStore

if TYPE_CHECKING:
    from ..agent.display import Display
    from ..config import Config
    from ..plugins import Plugins
    from ..trackers.base import Progress
    from .books import RunState


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """How a run ended: its exit code, why, and the tracker's last verdict."""

    exit_code: ExitCode
    reason: str
    progress: Progress


@dataclass(frozen=True, kw_only=True)
class LedgerTotals:
    """What the ledger says every session together cost."""

    sessions: int
    cost_usd: float
    tokens: int
    turns: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "cost_usd": round(self.cost_usd, 6),
            "tokens": self.tokens,
            "turns": self.turns,
        }


def ledger_totals(store: StateStore) -> LedgerTotals:
    totals = store.rebuild_from_ledger().totals
    return LedgerTotals(
        sessions=len(store.ledger()),
        cost_usd=totals.cost_usd,
        tokens=totals.input_tokens + totals.output_tokens,
        turns=totals.turns,
    )


def measure(config: Config, plugins: Plugins) -> tuple[Progress, LedgerTotals]:
    """The tracker's verdict now, read-only (nothing repaired, no baseline taken), and totals."""
    progress = plugins.make_tracker(config).evaluate(readonly=True)
    return progress, ledger_totals(StateStore(config.layout))


def as_json(progress: Progress, ledger: LedgerTotals) -> dict[str, Any]:
    return {
        "complete": progress.complete,
        "passing": progress.passing,
        "total": progress.total,
        "warnings": list(progress.warnings),
        "items": [
            {"id": i.id, "status": i.status, "description": i.description, "evidence": i.evidence}
            for i in progress.items
        ],
        "ledger": ledger.as_dict(),
        **({"strength": progress.strength} if progress.strength is not None else {}),
    }


def markdown(progress: Progress, ledger: LedgerTotals) -> str:
    """A GitHub step summary: the verdict, warnings, and what is not passing."""
    state = "complete" if progress.complete else "not complete"
    lines = [
        f"## agent-harness: {state}",
        "",
        f"**{progress.passing}/{progress.total}** passing, {plural(ledger.sessions, 'session')}, "
        f"${ledger.cost_usd:.4f}",
        "",
    ]
    lines += [f"- :warning: {w}" for w in progress.warnings]
    failing = [i for i in progress.items if i.status != "passed"]
    if failing:
        lines += ["", "| item | status | evidence |", "|---|---|---|"]
        lines += [f"| {i.id} {i.description} | {i.status} | {i.evidence} |" for i in failing[:50]]
    if progress.strength is not None:
        from ..strength.table import markdown as gate_markdown

        lines += ["", gate_markdown(progress.strength)]
    return "\n".join(lines) + "\n"


REVIEWABLE = (ExitCode.COMPLETE, ExitCode.INCOMPLETE, ExitCode.BUDGET_EXHAUSTED)
"""Ends after which the config's post-run instructions apply: the agent's work is there to
review (not after bad credentials, the circuit breaker or an interrupt)."""


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def final_summary(display: Display, state: RunState, result: RunResult, after: str) -> None:
    """The closing lines of a run; ``after`` is the config's post-run instructions."""
    totals = state.totals
    display.line("=" * 72)
    done = result.exit_code is ExitCode.COMPLETE
    status = display.paint("COMPLETE" if done else "STOPPED", "green" if done else "red")
    display.line(f"{status}: {result.reason}")
    display.line(f"Progress: {result.progress.summary()}")
    for warning in result.progress.warnings:
        display.warn(warning)
    if result.progress.strength is not None:
        from ..strength.table import render

        for line in render(result.progress.strength).splitlines():
            display.line(line)
    display.line(
        f"Sessions: {state.session}  cost: ${totals.cost_usd:.4f}{display.cost_note}  "
        f"tokens: {totals.input_tokens + totals.output_tokens}  turns: {totals.turns}"
    )
    if after.strip() and result.exit_code in REVIEWABLE:
        display.line("")
        display.line(after.strip())
    display.line(f"Exit code: {int(result.exit_code)}")
