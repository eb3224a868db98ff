"""``agent-harness status``: where the work stands, measured now; with ``--check``, a CI gate.

The gate evaluates the evidence itself (reads the JUnit reports, runs pytest) rather than
trusting stored state, and never repairs anything: a tampered tracker fails the gate.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import ExitCode
from .state import StateStore
from .trackers.base import Progress


def evaluate(project_dir: Path, harness_dir: Path | None) -> tuple[Progress, dict[str, Any]]:
    from .config import load_config
    from .runner import make_tracker

    config = load_config(project_dir, harness_dir)
    tracker = make_tracker(config)
    if hasattr(tracker, "readonly"):
        tracker.readonly = True
    progress = tracker.evaluate()
    totals = StateStore(config.harness_dir).rebuild_from_ledger().totals
    ledger = {
        "sessions": len(StateStore(config.harness_dir).ledger()),
        "cost_usd": round(totals.cost_usd, 6),
        "tokens": totals.input_tokens + totals.output_tokens,
        "turns": totals.turns,
    }
    return progress, ledger


def as_json(progress: Progress, ledger: dict[str, Any]) -> dict[str, Any]:
    return {
        "complete": progress.complete,
        "passing": progress.passing,
        "total": progress.total,
        "warnings": list(progress.warnings),
        "items": [
            {"id": i.id, "status": i.status, "description": i.description, "evidence": i.evidence}
            for i in progress.items
        ],
        "ledger": ledger,
    }


def markdown(progress: Progress, ledger: dict[str, Any]) -> str:
    state = "complete" if progress.complete else "not complete"
    lines = [
        f"## agent-harness: {state}",
        "",
        f"**{progress.passing}/{progress.total}** passing, {ledger['sessions']} sessions, "
        f"${ledger['cost_usd']:.4f}",
        "",
    ]
    lines += [f"- :warning: {w}" for w in progress.warnings]
    failing = [i for i in progress.items if i.status != "passed"]
    if failing:
        lines += ["", "| item | status | evidence |", "|---|---|---|"]
        lines += [f"| {i.id} {i.description} | {i.status} | {i.evidence} |" for i in failing[:50]]
    return "\n".join(lines) + "\n"


def write_junit(progress: Progress, path: Path) -> None:
    """The tracker's items as JUnit test cases, so CI test views show them."""
    from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

    suite = TestSuite("agent-harness")
    for item in progress.items:
        case = TestCase(item.id if not item.description else f"{item.id} {item.description}")
        case.classname = "agent-harness"
        if item.status in ("failed", "missing"):
            case.result = [Failure(item.evidence or item.status)]
        elif item.status == "error":
            case.result = [Error(item.evidence or "error")]
        elif item.status == "skipped":
            case.result = [Skipped(item.evidence or "skipped")]
        suite.add_testcase(case)
    for warning in progress.warnings:
        case = TestCase(f"tamper guard: {warning[:80]}")
        case.classname = "agent-harness.warnings"
        case.result = [Failure(warning)]
        suite.add_testcase(case)
    xml = JUnitXml()
    xml.add_testsuite(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    xml.write(str(path))


def run_status(
    project_dir: Path,
    harness_dir: Path | None,
    *,
    check: bool,
    as_json_output: bool,
    junit_xml: Path | None,
) -> int:
    progress, ledger = evaluate(project_dir, harness_dir)
    if as_json_output:
        print(json.dumps(as_json(progress, ledger), indent=2))
    else:
        print(f"Tracker: {progress.summary()}" + (" (complete)" if progress.complete else ""))
        for warning in progress.warnings:
            print(f"WARNING: {warning}")
        for item in progress.items:
            if item.status != "passed":
                detail = f": {item.evidence}" if item.evidence else ""
                print(f"  {item.status.upper():8} {item.id} {item.description}{detail}"[:200])
        print(
            f"Ledger: {ledger['sessions']} sessions, ${ledger['cost_usd']:.4f}, "
            f"{ledger['tokens']} tokens, {ledger['turns']} turns"
        )
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown(progress, ledger))
    if junit_xml is not None:
        write_junit(progress, junit_xml)
    if not check:
        return int(ExitCode.COMPLETE)
    return int(ExitCode.COMPLETE if progress.complete else ExitCode.INCOMPLETE)
