"""Outcome classes and backoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agent_harness.agent.session import Failure, SessionOutcome, SessionSpec
from pytest_agent_harness.run.recovery import (
    OutcomeClass,
    backoff_seconds,
    classify,
    describe_error,
)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"is_error": False, "subtype": "success", "terminal_reason": "completed"}, "ok"),
        # API failures arrive as subtype "success": is_error and the status decide.
        ({"is_error": True, "subtype": "success", "api_error_status": 401}, "auth"),
        ({"is_error": True, "subtype": "success", "api_error_status": 403}, "auth"),
        ({"is_error": True, "subtype": "success", "api_error_status": 429}, "rate_limit"),
        ({"is_error": True, "subtype": "success", "api_error_status": 500}, "transient"),
        ({"is_error": True, "subtype": "success", "api_error_status": 529}, "transient"),
        ({"is_error": True, "subtype": "success", "api_error_status": 400}, "invalid_request"),
        ({"is_error": True, "subtype": "success", "api_error_status": 413}, "invalid_request"),
        ({"is_error": True, "assistant_error": "authentication_failed"}, "auth"),
        ({"is_error": True, "assistant_error": "rate_limit"}, "rate_limit"),
        ({"is_error": True, "assistant_error": "unknown"}, "transient"),
        (
            {"is_error": True, "subtype": "error_max_turns", "terminal_reason": "max_turns"},
            "max_turns",
        ),
        ({"is_error": False, "terminal_reason": "max_turns"}, "max_turns"),
        ({"is_error": True, "subtype": "error_max_budget_usd"}, "budget"),
        ({"is_error": True, "failure": Failure.PROCESS, "exit_code": -9}, "transient"),
        ({"is_error": True}, "transient"),  # no ResultMessage at all: the CLI died
        ({"is_error": True, "failure": Failure.CLI_NOT_FOUND}, "setup"),
        # The class decides, never the text: a message naming the error is just a message.
        ({"is_error": True, "exception": "CLINotFoundError: no CLI"}, "transient"),
        (
            {"is_error": True, "failure": Failure.CONNECTION, "exception": "Exception: timeout"},
            "transient",
        ),
        ({"is_error": True, "interrupted": True}, "interrupted"),
    ],
)
def test_classify(fields: dict[str, object], expected: str) -> None:
    assert classify(SessionOutcome(**fields)).value == expected  # type: ignore[arg-type]


def test_max_turns_is_a_success_and_auth_is_fatal() -> None:
    assert OutcomeClass.MAX_TURNS.succeeded
    assert OutcomeClass.AUTH.fatal and OutcomeClass.INVALID_REQUEST.fatal
    assert not OutcomeClass.TRANSIENT.fatal and not OutcomeClass.TRANSIENT.succeeded


@pytest.mark.parametrize(
    ("errors", "expected"), [(0, 0.0), (1, 5.0), (2, 10.0), (3, 20.0), (6, 120.0), (10_000, 120.0)]
)
def test_backoff_grows_and_is_capped(errors: int, expected: float) -> None:
    assert backoff_seconds(errors, 5.0, 2.0, 120.0) == expected


def test_error_description_is_bounded_and_names_the_status() -> None:
    outcome = SessionOutcome(is_error=True, api_error_status=500, result_text="x" * 5000)
    text = describe_error(outcome, classify(outcome))
    assert "API status 500" in text
    assert len(text) < 600


@pytest.mark.parametrize(
    ("error", "failure", "expected"),
    [
        ("CLINotFoundError", Failure.CLI_NOT_FOUND, "setup"),
        ("CLIConnectionError", Failure.CONNECTION, "transient"),
        ("ProcessError", Failure.PROCESS, "transient"),
    ],
)
def test_the_adapter_names_sdk_exceptions_by_type(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: str, failure: Failure, expected: str
) -> None:
    import claude_agent_sdk

    from pytest_agent_harness.agent import sdk

    exception = getattr(claude_agent_sdk, error)("it failed")

    class Client:
        def __init__(self, options: object) -> None:
            pass

        async def connect(self) -> None:
            raise exception

        async def disconnect(self) -> None:
            pass

    monkeypatch.setattr(sdk, "ClaudeSDKClient", Client)
    spec = SessionSpec(prompt="hi", cwd=tmp_path, config_dir=tmp_path / "claude")
    outcome = sdk.run_session(spec, lambda event: None)
    assert outcome.failure is failure
    assert classify(outcome).value == expected
