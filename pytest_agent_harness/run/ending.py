"""What a run does once it stops, whatever stopped it: record how, print the summary, write
the run report, and tell the ``[notify]`` command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .notify import notify
from .report import final_summary

if TYPE_CHECKING:
    from ..agent.display import Display
    from ..config import Config
    from .books import RunState, StateStore
    from .report import RunResult


def finish(
    config: Config, display: Display, store: StateStore, state: RunState, result: RunResult
) -> None:
    state.last_exit_code, state.last_reason = int(result.exit_code), result.reason
    store.save(state)
    final_summary(display, state, result, config.post_run_instructions)
    report = write_report(config, display, result)
    if failed := notify(config, result, report):
        display.warn(failed)
    display.stopped(
        int(result.exit_code), result.reason, result.progress.summary(), str(report or "")
    )
    display.close()


def write_report(config: Config, display: Display, result: RunResult) -> Path | None:
    """The run report (HTML and Markdown) in the harness dir; a failure to write it is said,
    never fatal: the ledger is the record."""
    from ..report import write_reports

    try:
        html, _ = write_reports(config.layout, result)
    except OSError as exc:
        display.warn(f"could not write the run report ({exc})")
        return None
    display.line(f"Report: {html}")
    return html
