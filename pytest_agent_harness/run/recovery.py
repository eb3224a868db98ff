"""How a session ended, and what the loop does about it.

Classes come from the ResultMessage's ``is_error``, ``api_error_status``, ``terminal_reason``,
the assistant's ``error`` field and the SDK's exceptions. ``subtype`` alone proves nothing: an
API failure arrives as ``subtype="success"`` with ``is_error=True``.
"""

from __future__ import annotations

import enum
import re

from ..agent.session import Failure, SessionOutcome
from ..envvars import API_KEY, OAUTH_TOKEN
from .network import UNREACHABLE


class OutcomeClass(str, enum.Enum):
    OK = "ok"
    MAX_TURNS = "max_turns"
    INTERRUPTED = "interrupted"
    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    TRANSIENT = "transient"
    NETWORK = "network"
    """The API was never reached (no network, DNS, a proxy): retried briefly, then a stop."""
    INVALID_REQUEST = "invalid_request"
    BUDGET = "budget"
    SETUP = "setup"

    @property
    def succeeded(self) -> bool:
        """A session that ended normally, including one that used all its turns."""
        return self in (OutcomeClass.OK, OutcomeClass.MAX_TURNS)

    @property
    def fatal(self) -> bool:
        """Retrying cannot help: the user has to fix something first."""
        return self in (OutcomeClass.AUTH, OutcomeClass.INVALID_REQUEST, OutcomeClass.SETUP)


INTERACTIVE_ADVICE = re.compile(r"\s*[·.,;-]*\s*Please run /login\.?", re.IGNORECASE)
"""The CLI's advice to its interactive user, which a harness run cannot follow."""
AUTH_STATUSES = frozenset({401, 403})
INVALID_STATUSES = frozenset({400, 404, 413, 422})
ASSISTANT_ERRORS = {
    "authentication_failed": OutcomeClass.AUTH,
    "billing_error": OutcomeClass.AUTH,
    "rate_limit": OutcomeClass.RATE_LIMIT,
    "invalid_request": OutcomeClass.INVALID_REQUEST,
    "server_error": OutcomeClass.TRANSIENT,
}


def classify(outcome: SessionOutcome) -> OutcomeClass:
    """Put a finished session into the class that decides the loop's next step."""
    if outcome.interrupted:
        return OutcomeClass.INTERRUPTED
    if outcome.subtype == "error_max_budget_usd" or outcome.terminal_reason == "budget_exhausted":
        return OutcomeClass.BUDGET
    if outcome.subtype == "error_max_turns" or outcome.terminal_reason == "max_turns":
        return OutcomeClass.MAX_TURNS
    if not outcome.is_error and outcome.exception is None:
        return OutcomeClass.OK
    if outcome.failure is Failure.CLI_NOT_FOUND:
        return OutcomeClass.SETUP
    status = outcome.api_error_status
    if status in AUTH_STATUSES:
        return OutcomeClass.AUTH
    if status == 429:
        return OutcomeClass.RATE_LIMIT
    if status in INVALID_STATUSES:
        return OutcomeClass.INVALID_REQUEST
    if status is None and UNREACHABLE.search(f"{outcome.result_text}\n{outcome.exception or ''}"):
        return OutcomeClass.NETWORK
    if status is None and outcome.assistant_error in ASSISTANT_ERRORS:
        return ASSISTANT_ERRORS[outcome.assistant_error]
    return OutcomeClass.TRANSIENT


def describe_error(outcome: SessionOutcome, cls: OutcomeClass) -> str:
    """A short account of what went wrong, for the user and for the next session's prompt."""
    parts = [cls.value]
    if outcome.api_error_status is not None:
        parts.append(f"API status {outcome.api_error_status}")
    if outcome.assistant_error and cls is not OutcomeClass.NETWORK:  # no server answered
        parts.append(outcome.assistant_error)
    if outcome.exception:
        parts.append(outcome.exception)
    if outcome.result_text and outcome.is_error:
        first = outcome.result_text.strip().splitlines()[0]
        parts.append(INTERACTIVE_ADVICE.sub("", first)[:300])
    for error in outcome.errors[:3]:
        parts.append(error[:300])
    if outcome.stderr_tail and outcome.exception:
        parts.append("CLI stderr: " + outcome.stderr_tail.strip().splitlines()[-1][:300])
    return "; ".join(parts)


FATAL_ADVICE = {
    OutcomeClass.AUTH: (
        f"the API rejected the credentials; set a valid {API_KEY} or "
        f"{OAUTH_TOKEN} (check with `agent-harness verify`) and run again"
    ),
    OutcomeClass.SETUP: (
        "the Claude Code CLI could not be started; reinstall claude-agent-sdk "
        "(`agent-harness verify` checks for its bundled CLI)"
    ),
    OutcomeClass.INVALID_REQUEST: (
        "the API rejected the request as invalid; retrying cannot help. Check `model` and the "
        "prompts in the config, then run again"
    ),
}


def backoff_seconds(errors: int, initial: float, multiplier: float, maximum: float) -> float:
    """Delay before the retry that follows the ``errors``-th consecutive failure."""
    if errors <= 0:
        return 0.0
    try:
        delay = initial * multiplier ** (errors - 1)
    except OverflowError:
        delay = maximum
    return min(delay, maximum)
