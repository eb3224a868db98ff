"""``agent-harness status``: where the work stands, measured now; with ``--check``, a CI gate.

The gate evaluates the evidence itself (reads the JUnit reports, runs pytest) rather than
trusting stored state, and never repairs anything: a tampered tracker fails the gate.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import ExitCode
from ..layout import Layout


def run_status(
    layout: Layout,
    *,
    check: bool,
    as_json_output: bool,
    junit_xml: Path | None,
    trust_config: bool = False,
) -> int:
    from ..config import load_config
    from ..plugins import load_plugins
    from ..run.report import as_json, markdown, measure
    from ..trust import check as check_trust

    plugins = load_plugins()
    config = load_config(
        layout.project_dir, layout.harness_dir, tracker_types=plugins.tracker_types()
    )
    # The tracker may run the config's pytest command: only a trusted config gets that far.
    notice = check_trust(config.layout, accept=trust_config)
    if notice and not as_json_output:
        print(notice)
    progress, ledger = measure(config, plugins)
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
            f"Ledger: {ledger.sessions} sessions, ${ledger.cost_usd:.4f}, "
            f"{ledger.tokens} tokens, {ledger.turns} turns"
        )
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown(progress, ledger))
    if junit_xml is not None:
        from ..trackers.junit import write_progress

        write_progress(progress, junit_xml)
    if not check:
        return int(ExitCode.COMPLETE)
    return int(ExitCode.COMPLETE if progress.complete else ExitCode.INCOMPLETE)
