"""Loop decisions with a stand-in session function (the real CLI runs in the e2e tests)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from helpers import read_ledger

from pytest_agent_harness.agent.display import Display
from pytest_agent_harness.agent.session import EventSink, SessionOutcome, SessionSpec
from pytest_agent_harness.config import load_config
from pytest_agent_harness.errors import ExitCode
from pytest_agent_harness.run.loop import Runner


def run(project: Path, outcomes: list[SessionOutcome], **kw: object) -> tuple[ExitCode, str]:
    out = io.StringIO()
    specs: list[SessionSpec] = []

    def session(spec: SessionSpec, sink: EventSink) -> SessionOutcome:
        specs.append(spec)
        return outcomes.pop(0)

    result = Runner(
        load_config(project), Display(out), session_fn=session, sleep=lambda s: None
    ).run()
    return result.exit_code, out.getvalue()


def ok(cost: float = 0.01) -> SessionOutcome:
    return SessionOutcome(is_error=False, subtype="success", cost_usd=cost, num_turns=1)


def test_sessions_without_progress_stop_with_exit_3(make_project) -> None:
    project = make_project({"budget": {"max_sessions_without_progress": 3}})
    code, out = run(project, [ok() for _ in range(10)])
    assert code == ExitCode.BUDGET_EXHAUSTED
    assert "3 sessions without progress" in out
    assert len(read_ledger(project)) == 3


def test_run_once_is_marked_done_only_after_success(make_project) -> None:
    project = make_project(
        {
            "max_iterations": 2,
            "phases": [
                {"name": "setup", "prompt": "x", "run_once": True},
                {"name": "coding", "prompt": "y"},
            ],
        }
    )
    failed = SessionOutcome(is_error=True, api_error_status=500)
    code, _ = run(project, [failed, ok()])
    assert code == ExitCode.INCOMPLETE
    assert [e["phase"] for e in read_ledger(project)] == ["setup", "setup"]
    state = json.loads((project / ".agent-harness" / "session.json").read_text())
    assert state["completed_phases"] == ["setup"]


def test_session_budget_outcome_stops_with_exit_3(make_project) -> None:
    project = make_project({"budget": {"max_session_cost_usd": 0.5}})
    over = SessionOutcome(is_error=True, subtype="error_max_budget_usd", cost_usd=0.6)
    code, out = run(project, [over])
    assert code == ExitCode.BUDGET_EXHAUSTED
    assert "max_session_cost_usd" in out


def test_the_harness_sets_the_cli_retry_count_and_session_budget(make_project) -> None:
    project = make_project(
        {
            "max_iterations": 1,
            "error_recovery": {"cli_max_retries": 4},
            "budget": {"max_session_cost_usd": 2.0},
        }
    )
    seen: list[SessionSpec] = []

    def session(spec: SessionSpec, sink: EventSink) -> SessionOutcome:
        seen.append(spec)
        return ok()

    config = load_config(project)
    Runner(config, Display(io.StringIO()), session_fn=session, sleep=lambda s: None).run()
    assert seen[0].env["CLAUDE_CODE_MAX_RETRIES"] == "4"
    assert seen[0].max_budget_usd == 2.0
    assert seen[0].config_dir == project / ".agent-harness" / "claude"
