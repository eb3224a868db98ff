"""The run's budget, checked before a session starts: cost, duration, sessions without
progress and ``max_iterations``; for a parallel run also the circuit breaker, which the single
loop checks after each session instead. One check for the loop and the coordinator alike."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..errors import ExitCode

if TYPE_CHECKING:
    from ..config import Config
    from .books import RunState


def spent(
    config: Config, state: RunState, started: float, sessions: int, *, workers: bool = False
) -> tuple[ExitCode, str] | None:
    """Why no session may start now, if none may: the exit code and the reason. ``started``:
    when this invocation started (``time.monotonic``); ``sessions``: how many it has run;
    ``workers``: a parallel run, whose budget all workers share."""
    budget = config.budget
    all_of = " by all workers" if workers else ""
    if budget.max_cost_usd is not None and state.totals.cost_usd >= budget.max_cost_usd:
        return ExitCode.BUDGET_EXHAUSTED, (
            f"budget: ${state.totals.cost_usd:.4f} spent{all_of}, budget.max_cost_usd is "
            f"${budget.max_cost_usd:.4f}; raise it to go on"
        )
    seconds = budget.max_duration_seconds
    if seconds is not None and time.monotonic() - started >= seconds:
        return ExitCode.BUDGET_EXHAUSTED, (
            f"budget: this run has lasted budget.max_duration ({budget.max_duration}); "
            "run again to go on"
        )
    limit = budget.max_sessions_without_progress
    if limit is not None and state.sessions_without_progress >= limit:
        in_a_row = " in a row, across all workers," if workers else ""
        return ExitCode.BUDGET_EXHAUSTED, (
            f"budget: {state.sessions_without_progress} sessions{in_a_row} without progress "
            f"(budget.max_sessions_without_progress = {limit})"
        )
    if workers and (breaker := tripped(config, state)):
        return ExitCode.AGENT_FAILURE, breaker
    if config.max_iterations is not None and sessions >= config.max_iterations:
        across = " sessions across all workers" if workers else ""
        return ExitCode.INCOMPLETE, (
            f"reached max_iterations ({config.max_iterations}){across} before completion"
        )
    return None


def tripped(config: Config, state: RunState) -> str:
    """Why the circuit breaker stops the run ('' when it does not)."""
    if state.consecutive_errors < config.error_recovery.max_consecutive_errors:
        return ""
    return (
        f"circuit breaker: {state.consecutive_errors} failed sessions in a row "
        f"(error_recovery.max_consecutive_errors); last error: {state.last_error}"
    )
