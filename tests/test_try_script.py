"""`agent-harness try --script FILE`: the project's config on a scripted model, in a copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import passing_checklist
from test_dry_run import tree

from pytest_agent_harness.cli import main


@pytest.mark.e2e
@pytest.mark.slow
def test_a_script_runs_the_config_in_a_copy_and_labels_costs_simulated(
    make_project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    done = json.loads(passing_checklist(project))
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [
        {"text": "Marking it.", "tools": [{"name": "Write", "input": {
            "file_path": "{project}/feature_list.json", "content": json.dumps(done)}}]},
        {"text": "Done."},
    ]}))  # fmt: skip
    for leftover in ("session.json", "ledger.jsonl", "session.json.corrupt-1", "report.md"):
        (project / ".agent-harness" / leftover).write_text("{}")  # an earlier run's
    before = tree(project)
    into = tmp_path / "tried"
    assert main(["try", "--script", str(script), "--into", str(into),
                 "--project-dir", str(project)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert tree(project) == before  # the project itself is left as it was
    assert json.loads((into / "feature_list.json").read_text())[0]["passes"] is True
    assert not (into / ".agent-harness" / "session.json.corrupt-1").exists()  # not copied
    ledger = (into / ".agent-harness" / "ledger.jsonl").read_text().splitlines()
    assert len(ledger) == 1  # the copy started afresh: the earlier run's ledger stayed behind
    assert "Requests the model answered: 2" in out and "(simulated)" in out
    assert "COMPLETE" in out


def test_a_bad_script_is_one_clear_line(
    make_project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    script = tmp_path / "script.toml"
    script.write_text("[[replies]]\nnothing = 1\n")
    assert main(["try", "--script", str(script), "--project-dir", str(project),
                 "--into", str(tmp_path / "t")]) == 4  # fmt: skip
    err = capsys.readouterr().err
    assert f"{script}: replies[1] has no text, tools or http_error" in err
