"""Standard output closed by its reader (`| head`, a closed terminal): the harness ends
quietly, or keeps working unseen, and never blames the model session for its own printing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import harness_env, passing_checklist, read_ledger

from pytest_agent_harness.testing import Turn, text, tool_use

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def closed_stdout(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the CLI with its standard output a pipe whose reader has already gone."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_agent_harness", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `head` does once it has its lines
    with proc.stderr:
        err = proc.stderr.read()
    return proc.wait(timeout=120), err


def test_status_json_into_a_closed_pipe_exits_141_without_a_traceback(make_project) -> None:
    project = make_project()
    code, err = closed_stdout(["status", "--json", "--project-dir", str(project)])
    assert code == 141, err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_a_run_whose_output_closed_goes_on_and_records_its_sessions_truly(
    make_project, scripted_model, tmp_path: Path
) -> None:
    project = make_project()
    features = str(project / "feature_list.json")
    model = scripted_model(
        [
            Turn(text("Working."), tool_use("Write", {"file_path": features,
                                                      "content": passing_checklist(project)})),
            Turn(text("Done.")),
        ]
    )  # fmt: skip
    argv = ["run", "--project-dir", str(project), "--max-iterations", "2"]
    code, err = closed_stdout(argv, harness_env(model, tmp_path))
    assert code == 0, err  # the work completed; only nobody watched
    assert "Traceback" not in err and "Exception ignored" not in err, err
    rows = read_ledger(project)
    assert [r["outcome"] for r in rows] == ["ok"], rows
    assert "BrokenPipe" not in str(rows)
