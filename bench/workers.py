"""Parallel workers: `run --workers 4` against `run --workers 1` on the same 16-unit job.

Both runs use the real Claude Code CLI against one scripted model whose every answer takes
``--latency`` seconds (2 s: model latency dominates, as in real runs), on copies of the same
project (``testing.units.write_unit_job``). Each unit is one session of four answers, a short
unit of real work: read the unit's test, write the fix, run the test (Bash), say it is done;
then it is merged into the run's branch and measured on the merged tree, with the sandbox on
when bubblewrap is here. It prints both wall times, their ratio, and each worker's
peak memory (the worker process and the CLI it ran, from the ledger's ``rss_mb``).
Target: 4 workers take at most 0.35x the wall time of 1.

    python bench/workers.py [--units 16] [--latency 2] [--workers 4]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w
from _common import Row, parser, report

from pytest_agent_harness.sandbox import cli_sandbox_missing
from pytest_agent_harness.testing import Reply, ScriptedModel, Turn, tool_use
from pytest_agent_harness.testing.units import UnitScript, fix_unit, write_unit_job

RATIO_TARGET = 0.35


def unit_work(key: str, cwd: str) -> list[Reply]:
    """Read the unit's test, write the fix (``fix_unit``), run the test."""
    read = Turn(tool_use("Read", {"file_path": f"{cwd}/{key}"}))
    run = Turn(tool_use("Bash", {"command": f"python3 -m pytest -q {key}"}))
    return [read, *fix_unit(key, cwd), run]


def make_job(root: Path, units: int, sandbox: bool) -> Path:
    project = root / "project"
    write_unit_job(project, units)
    config = {
        "auto_continue_delay": 0,
        "max_iterations": units * 3,
        "tools": {"builtin": ["Read", "Write", "Edit", "Bash"]},
        "security": {"sandbox": {"enabled": sandbox}, "bash": {"allowed_commands": ["python3"]}},
        "tracking": {"type": "pytest", "pytest_args": ["tests"]},
        "phases": [{"name": "coding", "prompt": "Make the failing tests pass."}],
    }
    (project / ".agent-harness").mkdir()
    (project / ".agent-harness" / "config.toml").write_text(tomli_w.dumps(config))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "the job"], cwd=project, check=True)
    return project


def timed_run(root: Path, units: int, workers: int, latency: float, sandbox: bool) -> dict:
    home = root / "home"
    project = make_job(root, units, sandbox)
    with ScriptedModel(handler=UnitScript(unit_work, delay=latency)) as model:
        env = {
            **os.environ,
            **model.env(root / "claude-config", home),
            "HOME": str(home),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
        }
        env.pop("CLAUDE_CODE_OAUTH_TOKEN", None)
        argv = [sys.executable, "-m", "pytest_agent_harness", "--project-dir", str(project)]
        argv += ["run", "--workers", str(workers), "--trust-config"]
        started = time.monotonic()
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"--workers {workers} exited {done.returncode}:\n{done.stdout[-3000:]}")
    ledger = [json.loads(line) for line in (project / ".agent-harness/ledger.jsonl").open()]
    peaks: dict[str, float] = {}
    for entry in ledger:
        worker = entry.get("worker", "")
        peaks[worker] = max(peaks.get(worker, 0.0), float(entry.get("rss_mb", 0.0)))
    return {"wall": wall, "sessions": len(ledger), "peaks": peaks}


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--units", type=int, default=16)
    options.add_argument("--latency", type=float, default=2.0, help="seconds per model answer")
    options.add_argument("--workers", type=int, default=4)
    args = options.parse_args()
    sandbox = not cli_sandbox_missing()
    results = {}
    for workers in (1, args.workers):
        root = Path(tempfile.mkdtemp(prefix=f"bench-workers-{workers}-"))
        try:
            results[workers] = timed_run(root, args.units, workers, args.latency, sandbox)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        run = results[workers]
        peaks = ", ".join(f"{w} {mb:.0f} MB" for w, mb in sorted(run["peaks"].items()))
        print(
            f"  --workers {workers}: {run['wall']:.1f} s for {run['sessions']} sessions "
            f"(peak memory per worker: {peaks})"
        )
    ratio = results[args.workers]["wall"] / results[1]["wall"]
    print(f"  sandbox: {'on' if sandbox else 'off (bubblewrap missing)'}")
    return report(
        [
            Row(
                f"{args.units} units, {args.latency:g} s per answer: {args.workers} workers / 1",
                f"{ratio:.2f}x",
                f"<= {RATIO_TARGET}x",
                ratio <= RATIO_TARGET,
            )
        ],
        args.rows_json,
    )


if __name__ == "__main__":
    sys.exit(main())
