"""``agent-harness report`` and ``agent-harness log``: a run's report, a session's transcript."""

from __future__ import annotations

from pathlib import Path

from ..errors import ExitCode, UsageError
from ..layout import Layout


def run_report(layout: Layout, *, html: Path | None, markdown: Path | None) -> int:
    """Write the run report from the ledger and the state (the tracker is not run again)."""
    from ..report import write_reports

    if not layout.ledger.exists() and not layout.state.exists():
        raise UsageError(
            f"{layout.project_dir} has no run to report yet; `agent-harness run` first"
        )
    html_path, markdown_path = write_reports(layout, html=html, markdown=markdown)
    print(f"Report: {html_path}\nMarkdown: {markdown_path}")
    return int(ExitCode.COMPLETE)


def run_log(layout: Layout, session: int | None, *, raw: bool) -> int:
    """A session's transcript for a person (the last session's by default), or its JSONL."""
    from ..report.transcript import transcript_text

    logs = sorted(layout.logs_dir.glob("session-*.jsonl")) if layout.logs_dir.is_dir() else []
    if session is None:
        if not logs:
            raise UsageError(f"{layout.logs_dir} holds no session transcript yet")
        path = logs[-1]
    else:
        path = layout.session_log(session)
        if not path.is_file():
            known = ", ".join(p.stem.removeprefix("session-").lstrip("0") for p in logs) or "none"
            raise UsageError(f"no transcript for session {session} (sessions with one: {known})")
    print(
        path.read_text(encoding="utf-8", errors="replace") if raw else transcript_text(path), end=""
    )
    return int(ExitCode.COMPLETE)
