"""``agent-harness status``: where the work stands, measured now; with ``--check``, a CI gate.

The gate evaluates the evidence itself (reads the JUnit reports, runs pytest) rather than
trusting stored state, and never repairs anything: a tampered tracker fails the gate. Without a
baseline nothing guards against deleted or skipped tests, so the gate says so and fails unless
``--allow-no-baseline`` is given. It writes nothing in the project but where the runtime
``.gitignore`` keeps it out of the history.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExitCode
from ..layout import Layout

if TYPE_CHECKING:
    from ..config import Config
    from ..report.model import SessionRow
    from ..run.report import LedgerTotals
    from ..trackers.base import Progress


def run_status(
    layout: Layout,
    *,
    check: bool,
    as_json_output: bool,
    junit_xml: Path | None,
    trust_config: bool = False,
    allow_no_baseline: bool = False,
    strength: bool = False,
) -> int:
    from ..config import load_config
    from ..plugins import load_plugins
    from ..run.report import measure
    from ..trust import check as check_trust

    plugins = load_plugins()
    config = load_config(
        layout.project_dir, layout.harness_dir, tracker_types=plugins.tracker_types()
    )
    # The tracker may run the config's pytest command: only a trusted config gets that far.
    notice = check_trust(config.layout, accept=trust_config)
    if notice and not as_json_output:
        print(notice)
    from ..trackers.builtin import agent_writable_evidence

    if writable := agent_writable_evidence(config):
        print(f"note: {writable}", file=sys.stderr)
    progress, ledger = measure(config, plugins)
    if config.tracking.type in BASELINED and not _has_baseline(config.layout):
        if allow_no_baseline:
            print(f"note: {NO_BASELINE} (allowed by --allow-no-baseline)", file=sys.stderr)
        else:
            progress = replace(progress, warnings=(*progress.warnings, NO_BASELINE))
    gate = progress.strength  # the tracker ran the gate: do not run it twice
    if strength and gate is None:
        gate = strength_table(config)
    _show(config, progress, ledger, gate, as_json_output=as_json_output)
    if junit_xml is not None:
        from ..trackers.junit import write_progress

        write_progress(progress, junit_xml)
    if not check:
        return int(ExitCode.COMPLETE)
    return int(ExitCode.COMPLETE if progress.complete else ExitCode.INCOMPLETE)


def _show(
    config: Config,
    progress: Progress,
    ledger: LedgerTotals,
    gate: dict[str, Any] | None,
    *,
    as_json_output: bool,
) -> None:
    """Print the status (text or JSON) and append the GitHub step summary when asked."""
    from ..report.model import build
    from ..run.report import as_json, markdown

    run = build(config.layout)  # the sessions, as the run report shows them
    if as_json_output:
        data = as_json(progress, ledger)
        data["sessions"] = [session_json(row) for row in run.sessions]
        data["last_stop"] = {"exit_code": run.exit_code, "reason": run.reason}
        if gate is not None:
            data["strength"] = gate
        print(json.dumps(data, indent=2))
    else:
        _print_text(progress, ledger, gate)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        from ..report.markdown import sessions_table

        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown(progress, ledger) + sessions_table(run))


def session_json(row: SessionRow) -> dict[str, Any]:
    return {
        "session": row.number, "phase": row.phase, "outcome": row.outcome,
        "before": row.before, "after": row.after, "cost_usd": row.cost_usd,
        "tokens": row.tokens, "turns": row.turns, "seconds": row.seconds,
        "commit": row.commit or None,
    }  # fmt: skip


def _print_text(progress: Progress, ledger: LedgerTotals, gate: dict[str, Any] | None) -> None:
    from ..run.report import plural

    print(f"Tracker: {progress.summary()}" + (" (complete)" if progress.complete else ""))
    for warning in progress.warnings:
        print(f"WARNING: {warning}")
    for item in progress.items:
        if item.status != "passed":
            detail = f": {item.evidence}" if item.evidence else ""
            print(f"  {item.status.upper():8} {item.id} {item.description}{detail}"[:200])
    print(
        f"Ledger: {plural(ledger.sessions, 'session')}, ${ledger.cost_usd:.4f}, "
        f"{ledger.tokens} tokens, {ledger.turns} turns"
    )
    if gate is not None:
        from ..strength.table import render

        print(render(gate))


def strength_table(config: Config) -> dict[str, Any]:
    """The strength gate run read-only, as ``strength/gate.py``'s summary (or a problem)."""
    from ..trackers.baseline import Baseline
    from ..trackers.builtin import strength_gate

    gate = strength_gate(config)
    if gate is None:
        return {"problem": "off; turn it on with [strength] enabled = true (pytest tracker)"}
    stored = Baseline.load(config.layout, readonly=True).strength
    if stored is None:
        return {"problem": "no baseline strength; take one with `agent-harness baseline --accept`"}
    return gate.summary(stored)


BASELINED = ("pytest", "junit", "json_checklist")
NO_BASELINE = (
    "no tamper baseline: nothing guards against deleted, skipped or rewritten tests; take one "
    "with `agent-harness baseline --accept` (or let `agent-harness run` take it) and commit it"
)


def _has_baseline(layout: Layout) -> bool:
    from ..trackers.baseline import Baseline

    baseline = Baseline.load(layout, readonly=True)
    return baseline.has_tests or baseline.items is not None
