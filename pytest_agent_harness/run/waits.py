"""The waits between sessions: after a rate limit, after an error, for the network, and the
ordinary pause before the next session. Long waits print a line now and then, so a run waiting
in a CI log is visibly alive."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .network import unreachable
from .recovery import OutcomeClass, backoff_seconds

if TYPE_CHECKING:
    from ..agent.display import Display
    from ..agent.session import SessionOutcome
    from ..config import Config
    from .books import RunState

WAIT_REPORT_SECONDS = 30.0
NETWORK_PROBE_SECONDS = 5.0


class Waits:
    def __init__(self, config: Config, display: Display, sleep: Callable[[float], None]) -> None:
        self.config = config
        self.display = display
        self.sleep = sleep

    def between_sessions(
        self, state: RunState, outcome: SessionOutcome, cls: OutcomeClass, *, last: bool
    ) -> None:
        """The wait a session's class calls for before the next one. After a network failure
        there is none: ``for_network`` has already waited until the API answered."""
        if cls is OutcomeClass.RATE_LIMIT:
            self.wait(self._rate_limit(state, outcome), "Rate limited: retrying")
        elif not cls.succeeded and cls is not OutcomeClass.NETWORK:
            recovery = self.config.error_recovery
            delay = backoff_seconds(
                state.consecutive_errors,
                recovery.initial_backoff_seconds,
                recovery.backoff_multiplier,
                recovery.max_backoff_seconds,
            )
            self.wait(delay, f"Error {state.consecutive_errors} in a row: retrying")
        elif not last:
            self.wait(self.config.auto_continue_delay, "Next session")

    def _rate_limit(self, state: RunState, outcome: SessionOutcome) -> float:
        """How long the API asked us to wait (retry-after, reset time), else backoff; bounded."""
        recovery = self.config.error_recovery
        asked = [
            (retry.get("retry_delay_ms") or 0) / 1000
            for retry in outcome.retries
            if retry.get("error_status") == 429
        ]
        wait = asked[-1] if asked else 0.0
        if outcome.rate_limit_resets_at:
            wait = max(wait, outcome.rate_limit_resets_at - time.time())
        if wait <= 0:
            wait = backoff_seconds(
                state.consecutive_rate_limits,
                recovery.initial_backoff_seconds,
                recovery.backoff_multiplier,
                recovery.max_backoff_seconds,
            )
        return min(wait, recovery.max_rate_limit_wait_seconds)

    def for_network(self) -> str:
        """After a session that never reached the API: '' once it can be reached again,
        probing every few seconds for ``network_wait_seconds``; else why it cannot."""
        deadline = time.monotonic() + self.config.error_recovery.network_wait_seconds
        while why := unreachable():
            left = deadline - time.monotonic()
            if left <= 0:
                return why
            self.display.line(f"  {why}")
            self.wait(min(NETWORK_PROBE_SECONDS, left), "Checking again")
        return ""

    def wait(self, seconds: float, reason: str) -> None:
        """Sleep, with a line now and then so a long wait in a CI log is visibly alive."""
        if seconds <= 0:
            return
        self.display.countdown(seconds, reason)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sleep(min(left, WAIT_REPORT_SECONDS))
            left = deadline - time.monotonic()
            if left > 1:
                self.display.line(f"  ... {left:.0f}s left")
