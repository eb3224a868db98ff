"""The session loop under failure, through the real CLI and the scripted model."""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
from pathlib import Path

import pytest
from helpers import passing_checklist, read_ledger

from pytest_agent_harness.cli import main
from pytest_agent_harness.testing import HttpError, Request, Turn, text, tool_use

pytestmark = pytest.mark.e2e


def finish(project: Path) -> list[Turn]:
    """A session that marks every checklist item passing."""
    features = str(project / "feature_list.json")
    return [
        Turn(tool_use("Write", {"file_path": features, "content": passing_checklist(project)})),
        Turn(text("All items pass.")),
    ]


@pytest.mark.slow
def test_rate_limit_waits_for_retry_after_then_finishes(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"error_recovery": {"cli_max_retries": 1}})
    limited = HttpError(429, headers={"retry-after": "2"})
    model = use_model(scripted_model([limited, limited, *finish(project)]))

    assert main(["run", "--project-dir", str(project)]) == 0

    out = capsys.readouterr().out
    ledger = read_ledger(project)
    assert [e["outcome"] for e in ledger] == ["rate_limit", "ok"]
    assert ledger[0]["api_retries"][0]["error_status"] == 429
    assert ledger[0]["api_retries"][0]["retry_delay_ms"] >= 2000
    assert "Rate limited: retrying in 2." in out
    first, retry, after_wait = (r.received_at for r in model.requests[:3])
    assert retry - first >= 2.0  # the CLI honoured retry-after once
    assert after_wait - retry >= 2.0  # then the harness waited again before the next session
    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["consecutive_errors"] == 0


@pytest.mark.slow
def test_auth_error_stops_at_once_with_advice(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"post_run_instructions": "Review the commits, then ship it."})
    model = use_model(scripted_model([HttpError(401)] * 5))

    assert main(["run", "--project-dir", str(project)]) == 2

    out = capsys.readouterr().out
    assert "ANTHROPIC_API_KEY" in out and "credentials" in out
    assert "then ship it" not in out  # nothing to review after bad credentials
    assert len(model.requests) == 1  # the CLI's one attempt, and nothing from the harness
    assert [e["outcome"] for e in read_ledger(project)] == ["auth"]


@pytest.mark.slow
def test_breaker_trips_after_max_consecutive_errors_with_backoff(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        {
            "error_recovery": {
                "max_consecutive_errors": 3,
                "initial_backoff_seconds": 0.2,
                "backoff_multiplier": 2.0,
            }
        }
    )
    model = use_model(scripted_model(when_exhausted="error"))

    assert main(["run", "--project-dir", str(project)]) == 2

    out = capsys.readouterr().out
    ledger = read_ledger(project)
    assert [e["outcome"] for e in ledger] == ["transient"] * 3
    assert "API status 500" in ledger[0]["detail"]
    assert "Error 1 in a row: retrying in 0.2s" in out
    assert "Error 2 in a row: retrying in 0.4s" in out
    assert "circuit breaker: 3 failed sessions in a row" in out
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(model.requests)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4
    assert len(model.requests) == 3
    # The error reached the next session's prompt.
    assert "API status 500" in model.requests[1].last_user_text


def _cli_children() -> list[int]:
    """PIDs of this process's children that are the bundled Claude Code CLI."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"claude" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_cli_killed_mid_session_is_transient_and_the_run_goes_on(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    script = finish(project)
    killed: list[int] = []

    def handler(request: Request) -> Turn:
        if not killed:
            killed.extend(_cli_children())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
            return Turn(text("this never arrives"))
        return script.pop(0)

    use_model(scripted_model(handler=handler))

    assert main(["run", "--project-dir", str(project)]) == 0

    assert killed
    ledger = read_ledger(project)
    assert [e["outcome"] for e in ledger] == ["transient", "ok"]
    assert "ProcessError" in ledger[0]["detail"] or "exit" in ledger[0]["detail"]
    assert _cli_children() == []


@pytest.mark.slow
def test_budget_stops_with_exit_3_within_one_session_of_the_limit(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    usage = {"input_tokens": 2000, "output_tokens": 500}
    project = make_project({"budget": {"max_cost_usd": 0.05}, "tracking": {"type": "none"}})
    use_model(scripted_model(handler=lambda request: Turn(text("working"), usage=usage)))

    assert main(["run", "--project-dir", str(project), "--max-iterations", "50"]) == 3

    out = capsys.readouterr().out
    costs = [e["cost_usd"] for e in read_ledger(project)]
    assert len(costs) > 1 and all(c > 0 for c in costs)
    assert sum(costs[:-1]) < 0.05 <= sum(costs)  # stopped at the first session over budget
    assert sum(costs) - 0.05 <= max(costs)
    assert "budget.max_cost_usd" in out and "Cost so far" in out

    # A resumed run does not reset the budget.
    assert main(["run", "--project-dir", str(project)]) == 3
    assert len(read_ledger(project)) == len(costs)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("flag", "said"),
    [
        (["--max-cost", "0.001"], "budget.max_cost_usd is $0.0010"),
        (["--max-duration", "1s"], "this run has lasted budget.max_duration (1s)"),
    ],
    ids=["max-cost", "max-duration"],
)
def test_a_budget_given_on_the_command_line_stops_the_run_after_one_session(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str],
    flag: list[str], said: str,
) -> None:  # fmt: skip
    project = make_project({"tracking": {"type": "none"}})  # no budget in the config
    usage = {"input_tokens": 2000, "output_tokens": 500}

    def slow(request: Request) -> Turn:
        time.sleep(1.1)  # each session outlasts the one-second budget
        return Turn(text("working"), usage=usage)

    use_model(scripted_model(handler=slow))

    assert main(["run", "--project-dir", str(project), "--max-iterations", "5", *flag]) == 3

    assert said in capsys.readouterr().out
    assert len(read_ledger(project)) == 1  # one session, then the stop


@pytest.mark.slow
def test_max_turns_is_a_normal_end_not_an_error(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"max_turns": 1, "tracking": {"type": "none"}})
    readme = str(project / "feature_list.json")
    use_model(scripted_model(handler=lambda r: Turn(tool_use("Read", {"file_path": readme}))))

    assert main(["run", "--project-dir", str(project), "--max-iterations", "3"]) == 1

    ledger = read_ledger(project)
    assert [e["outcome"] for e in ledger] == ["max_turns"] * 3
    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["consecutive_errors"] == 0
    assert "reached max_iterations (3)" in capsys.readouterr().out


def test_no_eligible_phase_says_so_and_exits_1(
    make_project, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        {"phases": [{"name": "setup", "prompt": "x", "condition": "exists:missing.txt"}]}
    )
    assert main(["run", "--project-dir", str(project)]) == 1
    out = capsys.readouterr().out
    assert "no phase is eligible to run: 'setup' needs exists:missing.txt" in out
    assert "COMPLETE" not in out
