"""The ``[error_recovery]``, ``[budget]``, ``[notify]`` and ``[parallel]`` tables: how a run
waits, retries and stops, whom it tells, and how parallel workers split the work."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import DURATION_HELP, above, at_least, duration_seconds, in_range, key


@dataclass(frozen=True, kw_only=True)
class ErrorRecoveryConfig:
    max_consecutive_errors: int = key(
        5, "int", check=at_least(1), help="Failed sessions in a row before the run stops."
    )
    initial_backoff_seconds: float = key(
        5.0, "number", check=at_least(0), help="Wait after the first failure."
    )
    max_backoff_seconds: float = key(
        120.0, "number", check=at_least(0), help="The longest wait after a failure."
    )
    backoff_multiplier: float = key(
        2.0,
        "number",
        check=at_least(1),
        help="Each further failure's wait is this many times longer.",
    )
    cli_max_retries: int = key(
        2, "int", check=in_range(0, 15), help="Retries the Claude Code CLI makes itself."
    )
    max_rate_limit_wait_seconds: float = key(
        3600.0, "number", check=at_least(0), help="The longest single wait for a rate limit."
    )
    max_rate_limit_waits: int = key(
        10, "int", check=at_least(1), help="Rate-limited sessions in a row before the run stops."
    )
    network_wait_seconds: float = key(
        15.0,
        "number",
        check=at_least(0),
        help="How long to wait for an unreachable API to come back before the run stops.",
    )


@dataclass(frozen=True, kw_only=True)
class NotifyConfig:
    command: tuple[str, ...] = key(
        (),
        "list[str]",
        help="Run once when a run stops (argv, no shell), the outcome in its environment.",
    )
    timeout_seconds: float = key(
        30.0, "number", check=above(0), help="How long the notify command may take."
    )


@dataclass(frozen=True, kw_only=True)
class BudgetConfig:
    max_cost_usd: float | None = key(
        None, "number", check=above(0), help="The whole run's cost, across resumes."
    )
    max_session_cost_usd: float | None = key(
        None, "number", check=above(0), help="One session's cost."
    )
    max_sessions_without_progress: int | None = key(
        None, "int", check=at_least(1), help="Stop after this many sessions with no new passes."
    )
    max_duration: str | None = key(
        None,
        check=lambda value: None if duration_seconds(value) else DURATION_HELP,
        help='Wall-clock time of one invocation, such as "90m" or "8h" (s, m, h, d).',
    )

    @property
    def max_duration_seconds(self) -> float | None:
        return duration_seconds(self.max_duration) if self.max_duration else None


@dataclass(frozen=True, kw_only=True)
class ParallelConfig:
    together: tuple[str, ...] = key(
        (),
        "list[str]",
        help="Patterns (fnmatch) of unit keys that go together: each makes one unit of all "
        "the units it matches (run --workers, --shard).",
    )
    max_attempts: int = key(
        3,
        "int",
        check=at_least(1),
        help="Attempts at one unit in a run (a merge conflict or a broken merged tree starts "
        "a new one) before it is given up.",
    )
