"""The run report as one self-contained HTML page: inline CSS and SVG, and nothing it loads
from anywhere (no script, stylesheet, image or font by URL)."""

from __future__ import annotations

from html import escape

from .chart import cost_chart, progress_chart
from .model import RunReport, SessionRow
from .transcript import transcript_text

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#202124}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
.status{font-weight:600}.complete{color:#188038}.stopped{color:#c5221f}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e0e0e0;padding:3px 6px;
text-align:left;font-variant-numeric:tabular-nums}th{background:#f8f9fa}
.chart{width:100%;height:auto;border:1px solid #eee}.axis{font-size:11px;fill:#5f6368}
pre{background:#f8f9fa;padding:8px;overflow-x:auto;font-size:12px}
.warn{color:#b06000}
"""


def _cell(value: object) -> str:
    return f"<td>{escape(str(value))}</td>"


def _session_row(row: SessionRow, parallel: bool) -> str:
    cells: tuple[object, ...] = (row.number, row.phase, row.outcome, f"{row.before} -> {row.after}",
             f"${row.cost_usd:.4f}", row.tokens, row.turns, f"{row.seconds:.1f} s",
             row.commit or "-")  # fmt: skip
    if parallel:
        cells += (f"{row.worker} {row.unit}".strip() or "-",)
    return '<tr class="session">' + "".join(_cell(c) for c in cells) + "</tr>"


def _parallel(report: RunReport) -> list[str]:
    """A parallel run's workers and merge history."""
    if not report.workers and not report.merges:
        return []
    parts = ["<h2>Workers</h2><table><thead><tr><th>worker</th><th>sessions</th><th>units</th>"
             "<th>cost</th><th>wall time</th><th>peak memory</th></tr></thead><tbody>"]  # fmt: skip
    for w in report.workers:
        cost, wall, memory = f"${w.cost_usd:.4f}", f"{w.seconds:.1f} s", f"{w.rss_mb:.0f} MB"
        cells: tuple[object, ...] = (w.worker, w.sessions, w.units, cost, wall, memory)
        parts.append('<tr class="worker">' + "".join(_cell(c) for c in cells) + "</tr>")
    parts.append("</tbody></table><h2>Merge history</h2><table><thead><tr><th>time</th>"
                 "<th>unit</th><th>worker</th><th>result</th><th>commit</th><th>detail</th>"
                 "</tr></thead><tbody>")  # fmt: skip
    for m in report.merges:
        cells = (m.time, m.unit, m.worker or "-", m.result, m.commit or "-", m.detail or "-")
        parts.append('<tr class="merge">' + "".join(_cell(c) for c in cells) + "</tr>")
    return [*parts, "</tbody></table>"]


def _events(report: RunReport) -> list[str]:
    out = []
    for row in report.sessions:
        for denial in row.denials:
            out.append(f"<li>session {row.number}: denied {escape(denial)}</li>")
        for path in row.tampered:
            out.append(f'<li class="warn">session {row.number}: changed protected file '
                       f"{escape(path)} (restored)</li>")  # fmt: skip
        for warning in row.warnings:
            out.append(f'<li class="warn">session {row.number}: {escape(warning)}</li>')
    return out


def _transcripts(report: RunReport) -> list[str]:
    out = []
    for row in report.sessions:
        if not row.transcript.is_file():
            continue
        out.append(
            f"<details><summary>session {row.number} ({escape(row.phase)}, "
            f"{escape(row.outcome)}) - {escape(row.transcript.name)}</summary>"
            f"<pre>{escape(transcript_text(row.transcript))}</pre></details>"
        )
    return out


def render(report: RunReport) -> str:
    parallel = any(row.worker for row in report.sessions)
    head = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>agent-harness report: {escape(report.project)}</title>"
        f"<style>{STYLE}</style></head><body>"
    )
    parts = [
        head,
        f"<h1>agent-harness run report</h1><p>{escape(report.project)}<br>"
        f'<span class="status {escape(report.status)}">{escape(report.status.upper())}</span>'
        f"{': ' + escape(report.reason) if report.reason not in ('', report.status) else ''}</p>",
        f"<p>Progress: <b>{escape(report.progress)}</b>; {len(report.sessions)} session(s), "
        f"${report.cost_usd:.4f}, {report.seconds:.0f} s of sessions; generated "
        f"{escape(report.generated)}</p>",
        "<h2>Passing per session</h2>",
        progress_chart(report),
        "<h2>Wall time and cumulative cost</h2>",
        cost_chart(report),
        "<h2>Sessions</h2><table><thead><tr><th>#</th><th>phase</th><th>outcome</th>"
        "<th>progress</th><th>cost</th><th>tokens</th><th>turns</th><th>wall time</th>"
        f"<th>commit</th>{'<th>worker, unit</th>' if parallel else ''}</tr></thead><tbody>",
        *(_session_row(row, parallel) for row in report.sessions),
        "</tbody></table>",
        *_parallel(report),
    ]
    events = _events(report)
    parts += ["<h2>Denials and warnings</h2>", "<ul>" + "".join(events) + "</ul>" if events
              else "<p>None.</p>"]  # fmt: skip
    if report.strength is not None:
        from ..strength.table import render as gate_table

        parts += ["<h2>Strength gate</h2>", f"<pre>{escape(gate_table(report.strength))}</pre>"]
    parts += ["<h2>Transcripts</h2>", *_transcripts(report), "</body></html>"]
    return "\n".join(parts) + "\n"
