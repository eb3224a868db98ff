"""Parallel runs end to end: `run --workers N`, `run --shard I/N` and `agent-harness merge`,
through the real CLI and the real Claude Code CLI answered by a scripted model, on real git
repositories and real pytest runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import harness_env, read_ledger

from pytest_agent_harness.layout import Layout
from pytest_agent_harness.testing import Reply, ScriptedModel, Turn, tool_use
from pytest_agent_harness.testing.units import UnitScript, fix_unit, write_unit_job

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def make_job(root: Path, units: int, **config: Any) -> Path:
    project = root / "project"
    write_unit_job(project, units)
    data: dict[str, Any] = {
        "auto_continue_delay": 0,
        "max_iterations": units * 3,
        "tools": {"builtin": ["Read", "Write", "Edit", "Bash"]},
        "security": {"sandbox": {"enabled": False}},
        "error_recovery": {"initial_backoff_seconds": 0.1, "cli_max_retries": 0},
        "tracking": {"type": "pytest", "pytest_args": ["tests"]},
        "phases": [{"name": "coding", "prompt": "Make the failing tests pass."}],
        **config,
    }
    (project / ".agent-harness").mkdir()
    (project / ".agent-harness" / "config.toml").write_text(tomli_w.dumps(data))
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "the job")
    return project


def git(project: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True)
    return done.stdout


def harness(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pytest_agent_harness", "--project-dir", str(project), *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)


def values(project: Path) -> dict[str, str]:
    """What every unit's module holds: the tree's evidence, file by file."""
    return {p.name: p.read_text() for p in sorted(project.glob("u*.py"))}


def worktrees(project: Path) -> list[str]:
    return [
        line for line in git(project, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]  # fmt: skip


def test_four_workers_reach_the_same_tree_as_one(tmp_path: Path) -> None:
    """16 units: 4 workers complete, and the merged tree passes the same evidence, file for
    file, as one worker's run of the same script; every unit's commit is reachable from the
    run's branch and every session's safety ref is kept."""
    results = {}
    for workers in (1, 4):
        root = tmp_path / f"w{workers}"
        project = make_job(root, 16)
        script = UnitScript(fix_unit)
        with ScriptedModel(handler=script) as model:
            env = harness_env(model, root)
            done = harness(project, env, "run", "--workers", str(workers), "--trust-config")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert sorted(script.units) == [f"tests/test_u{i:02d}.py" for i in range(16)]
        ledger = read_ledger(project)
        assert len(ledger) == 16 and {e["worker"] for e in ledger} == {
            f"w{i}" for i in range(1, workers + 1)
        }
        status = harness(project, env, "status", "--check", "--json")
        assert status.returncode == 0, status.stdout
        for unit in {e["unit"] for e in ledger}:
            branch = [e for e in ledger if e["unit"] == unit][-1]["commit"]
            git(project, "merge-base", "--is-ancestor", branch, "main")  # raises if lost
        refs = git(project, "for-each-ref", "--format=%(refname)", "refs/agent-harness/")
        assert len(refs.split()) == 16
        assert worktrees(project) == [f"worktree {project}"]
        results[workers] = (json.loads(status.stdout)["passing"], values(project))
    assert results[1] == results[4]
    assert results[4][0] == 16


def test_a_conflicting_unit_is_queued_again_and_completes(tmp_path: Path) -> None:
    """Two units append to the same helper at the same line: the second merge conflicts, is
    aborted and queued again on top of the merged branch, and both units' lines are kept."""
    project = make_job(tmp_path, 2)
    (project / "helpers.py").write_text("NAMES = []\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a shared helper")

    def replies(key: str, cwd: str) -> list[Reply]:
        number = int(key[-5:-3])
        add = f"printf 'NAMES.append({number})\\n' >> helpers.py"
        return [Turn(tool_use("Bash", {"command": add})), *fix_unit(key, cwd)]

    script = UnitScript(replies, delay=0.5)
    with ScriptedModel(handler=script) as model:
        env = harness_env(model, tmp_path)
        done = harness(project, env, "run", "--workers", "2", "--trust-config")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "conflict" in done.stdout
    record = json.loads(Layout.of(project).parallel_state.read_text())
    results = [merge["result"] for merge in record["merges"]]
    assert results.count("conflict") == 1 and results.count("merged") == 2
    assert sorted(script.units).count(record["merges"][1]["unit"]) >= 1
    helper = (project / "helpers.py").read_text().splitlines()
    assert sorted(helper[1:]) == ["NAMES.append(0)", "NAMES.append(1)"]
    assert git(project, "status", "--porcelain", "--untracked-files=no") == ""


def test_the_budget_is_shared_by_all_workers(tmp_path: Path) -> None:
    """With max_cost_usd set, no session starts once all workers together spent it: the
    overshoot is at most one session per worker."""
    project = make_job(tmp_path, 12, budget={"max_cost_usd": 0.004})
    with ScriptedModel(handler=UnitScript(fix_unit, delay=0.5)) as model:
        env = harness_env(model, tmp_path)
        done = harness(project, env, "run", "--workers", "3", "--trust-config")
    assert done.returncode == 3, done.stdout[-3000:]
    assert "spent by all workers" in done.stdout
    ledger = read_ledger(project)
    costs = [entry["cost_usd"] for entry in ledger]
    assert sum(costs) - 0.004 <= 3 * max(costs)
    assert len(ledger) < 12


def test_a_killed_coordinator_resumes_without_doing_a_unit_twice(tmp_path: Path) -> None:
    """SIGKILL of the coordinator mid-run: its workers go with it (no process is left), and
    the next run reuses or cleans the worktrees, brings in what was recorded, completes, and
    merges no unit twice."""
    project = make_job(tmp_path, 8)
    with ScriptedModel(handler=UnitScript(fix_unit, delay=1.0)) as model:
        env = harness_env(model, tmp_path)
        first = running_until(project, env, 4, lambda line: line.startswith("Merged unit"))
        first.send_signal(signal.SIGKILL)
        first.wait()
        first.stdout.close()
        assert _no_worker_left(project)
        done = harness(project, env, "run", "--workers", "4")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    merges = git(project, "log", "--format=%s", "--grep", "merge unit").splitlines()
    units = [f"tests/test_u{i:02d}.py" for i in range(8)]
    assert sorted(m.split()[3] for m in merges) == units  # each unit merged once, none lost
    ok = [e["unit"] for e in read_ledger(project) if e["outcome"] == "ok"]
    assert len(ok) == len(set(ok))  # no unit's work done twice (a cut-off one is finished)
    assert worktrees(project) == [f"worktree {project}"]
    assert _no_worker_left(project)


def running_until(
    project: Path, env: dict[str, str], workers: int, seen: Callable[[str], bool]
) -> subprocess.Popen[str]:
    """`run --workers N` started, once it printed a line ``seen`` accepts."""
    argv = [sys.executable, "-m", "pytest_agent_harness", "--project-dir", str(project)]
    run = subprocess.Popen(
        [*argv, "run", "--workers", str(workers), "--trust-config"],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert run.stdout is not None
    for line in run.stdout:
        if seen(line):
            break
    return run


def _no_worker_left(project: Path, timeout: float = 30.0) -> bool:
    """Whether every process of the run (workers, their CLIs) is gone within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["pgrep", "-f", "pytest_agent_harness.parallel.worker"], capture_output=True
        )
        if found.returncode != 0:
            return True
        time.sleep(0.2)
    return False


def test_sigterm_stops_every_worker_and_the_next_run_resumes(tmp_path: Path) -> None:
    project = make_job(tmp_path, 6)
    with ScriptedModel(handler=UnitScript(fix_unit, delay=2.0)) as model:
        env = harness_env(model, tmp_path)
        first = running_until(project, env, 3, lambda line: "session 3:" in line)
        time.sleep(1.0)
        first.send_signal(signal.SIGTERM)
        rest = first.stdout.read()
        first.stdout.close()
        assert first.wait(timeout=120) == 143, rest
        assert "Stopping" in rest and "interrupted by SIGTERM" in rest
        assert _no_worker_left(project, timeout=5)
        interrupted = [e for e in read_ledger(project) if e["outcome"] == "interrupted"]
        assert interrupted and all(e["worker"] for e in interrupted)
        done = harness(project, env, "run", "--workers", "3")
    assert done.returncode == 0, done.stdout[-3000:]
    assert worktrees(project) == [f"worktree {project}"]


def test_three_shards_and_a_merge_give_the_tree_of_one_run(tmp_path: Path) -> None:
    """Three `run --shard I/3` processes at once in one checkout, then `merge` of their
    branches: the gate passes and the tree is the one a single run makes."""
    single = make_job(tmp_path / "single", 6)
    project = make_job(tmp_path / "sharded", 6)
    with ScriptedModel(handler=UnitScript(fix_unit)) as model:
        env = harness_env(model, tmp_path)
        assert harness(single, env, "run", "--workers", "1", "--trust-config").returncode == 0
        harness(project, env, "trust")
        argv = [sys.executable, "-m", "pytest_agent_harness", "--project-dir", str(project)]
        shards = [
            subprocess.Popen([*argv, "run", "--shard", f"{i}/3"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
            for i in (1, 2, 3)
        ]  # fmt: skip
        outputs = [shard.communicate(timeout=600)[0] for shard in shards]
        assert [shard.returncode for shard in shards] == [0, 0, 0], outputs
        assert values(project) == {
            f"u{i:02d}.py": "def value():\n    return -1\n" for i in range(6)
        }
        names = [f"agent-harness/shard-{i}-of-3" for i in (1, 2, 3)]
        merged = harness(project, env, "merge", *names)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "6/6 passing (complete)" in merged.stdout
    assert values(project) == values(single)
    assert worktrees(project) == [f"worktree {project}"]


def test_merge_refuses_a_branch_that_changes_the_config(tmp_path: Path) -> None:
    project = make_job(tmp_path, 2)
    env = {**os.environ}
    harness(project, env, "trust")
    git(project, "switch", "-q", "-c", "forged")
    config = project / ".agent-harness" / "config.toml"
    config.write_text(config.read_text().replace("Make the failing", "Delete the failing"))
    git(project, "commit", "-qam", "a forged shard")
    git(project, "switch", "-q", "main")
    done = harness(project, env, "merge", "forged")
    assert done.returncode == 1
    assert "not merged" in done.stderr and ".agent-harness/config.toml" in done.stderr
    assert "Delete" not in config.read_text()
    assert git(project, "log", "-1", "--format=%s").strip() == "the job"


def test_the_live_status_has_a_line_per_worker_and_the_report_a_merge_history(
    tmp_path: Path,
) -> None:
    from test_live_display import on_a_terminal

    project = make_job(tmp_path, 3)
    with ScriptedModel(handler=UnitScript(fix_unit, delay=2.0)) as model:
        env = {**harness_env(model, tmp_path), "NO_COLOR": "1"}
        argv = [sys.executable, "-m", "pytest_agent_harness", "--project-dir", str(project)]
        out = on_a_terminal([*argv, "run", "--workers", "2", "--trust-config"], env)
    assert "COMPLETE: complete" in out
    frames = [frame for frame in out.split("\r\x1b[J") if "\x1b[2A" in frame]
    assert frames, out  # the status line, then two worker lines, then back up two lines
    rows = [line.strip() for frame in frames for line in frame.split("\n")[1:3]]
    assert any(row.startswith("w1 | tests/test_u0") for row in rows), rows
    assert any(row.startswith("w2 | tests/test_u0") for row in rows), rows
    report = (project / ".agent-harness" / "report.md").read_text()
    assert "## Workers" in report and "| w1 |" in report and "| w2 |" in report
    history = report.split("## Merge history", 1)[1]
    assert history.count("| merged |") == 3
    html = (project / ".agent-harness" / "report.html").read_text()
    assert html.count('<tr class="merge">') == 3 and html.count('<tr class="worker">') == 2


def test_the_initializer_runs_first_then_workers_take_the_checklist_items(tmp_path: Path) -> None:
    """A checklist job: the run-once initializer writes the feature list in the project, one
    session; then each item is a unit, and the workers' edits to the one file merge."""
    project = tmp_path / "project"
    features = [{"description": f"feature {i}", "steps": ["check"], "passes": False}
                for i in range(3)]  # fmt: skip
    config = {
        "auto_continue_delay": 0, "max_iterations": 10,
        "tools": {"builtin": ["Read", "Write", "Edit", "Bash"]},
        "security": {"sandbox": {"enabled": False}},
        "tracking": {"type": "json_checklist", "file": "feature_list.json"},
        "phases": [
            {"name": "initializer", "prompt": "Write the feature list.", "run_once": True},
            {"name": "coding", "prompt": "Make the next feature pass."},
        ],
    }  # fmt: skip
    (project / ".agent-harness").mkdir(parents=True)
    (project / ".agent-harness" / "config.toml").write_text(tomli_w.dumps(config))
    (project / "README.md").write_text("a job\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "the job")

    def listing(passing: int | None = None) -> str:
        done = [{**f, "passes": i == passing} for i, f in enumerate(features)]
        return json.dumps(done, indent=2) + "\n"

    def replies(key: str, cwd: str) -> list[Reply]:
        number = int(key.lstrip("#")) - 1
        return [Turn(tool_use("Edit", {
            "file_path": f"{cwd}/feature_list.json",
            "old_string": f'"description": "feature {number}",\n    "steps": [\n      "check"\n    ],\n    "passes": false',
            "new_string": f'"description": "feature {number}",\n    "steps": [\n      "check"\n    ],\n    "passes": true',
        }))]  # fmt: skip

    initializer = Turn(tool_use("Write", {"file_path": str(project / "feature_list.json"),
                                          "content": listing()}))  # fmt: skip
    script = UnitScript(replies)

    def handler(request: Any) -> Reply:
        first = "Your unit:" not in str(request.messages)
        if first and not any(m.get("role") == "assistant" for m in request.messages):
            return initializer
        return script(request)

    with ScriptedModel(handler=handler) as model:
        env = harness_env(model, tmp_path)
        done = harness(project, env, "run", "--workers", "3", "--trust-config")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Running the phases that run once" in done.stdout
    assert sorted(script.units) == ["#1", "#2", "#3"]
    final = json.loads((project / "feature_list.json").read_text())
    assert [f["passes"] for f in final] == [True, True, True]
    phases = [e["phase"] for e in read_ledger(project)]
    assert phases[0] == "initializer" and phases[1:] == ["coding"] * 3


def test_merged_code_that_changes_the_run_tree_while_its_tests_run_is_taken_back(
    tmp_path: Path,
) -> None:
    """Unit 1's code, imported by the harness's run of the merged tree, rewrites unit 2's
    module in the run's work tree so that unit 2's test passes there: a verdict no commit
    holds. The merge is reverted, the file put back, and unit 1 is given up in the end."""
    project = make_job(tmp_path, 3, parallel={"max_attempts": 2})
    evil = (
        "import pathlib\n\n\ndef value():\n    return 1\n\n\n"
        "HERE = pathlib.Path(__file__).resolve().parent\n"
        f"if HERE == pathlib.Path({str(project)!r}).resolve():\n"
        "    (HERE / 'u02.py').write_text('def value():\\n    return 2  # forged\\n')\n"
    )

    def replies(key: str, cwd: str) -> list[Reply]:
        if key.endswith("u01.py"):
            return [Turn(tool_use("Write", {"file_path": f"{cwd}/u01.py", "content": evil}))]
        return fix_unit(key, cwd)

    with ScriptedModel(handler=UnitScript(replies)) as model:
        env = harness_env(model, tmp_path)
        done = harness(project, env, "run", "--workers", "2", "--trust-config")
        status = harness(project, env, "status", "--check")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "changed files while its tests ran: u02.py" in done.stdout
    assert "1 unit(s) given up: tests/test_u01.py" in done.stdout
    assert git(project, "status", "--porcelain", "--untracked-files=no") == ""
    assert "forged" not in (project / "u02.py").read_text()
    assert (project / "u02.py").read_text() == "def value():\n    return 2\n"
    assert status.returncode == 1 and "2/3 passing" in status.stdout
