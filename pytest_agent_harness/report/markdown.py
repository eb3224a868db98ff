"""The run report as Markdown (for a pull request or a CI summary)."""

from __future__ import annotations

from .model import RunReport


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def sessions_table(report: RunReport) -> str:
    """A row per session (also the sessions part of ``status``'s step summary)."""
    lines = [
        "| # | phase | outcome | progress | cost | tokens | turns | wall time | commit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    parallel = any(r.worker for r in report.sessions)
    if parallel:
        lines = [lines[0] + " worker, unit |", lines[1] + "---|"]
    for r in report.sessions:
        lines.append(
            f"| {r.number} | {_cell(r.phase)} | {r.outcome} | {r.before} -> {r.after} | "
            f"${r.cost_usd:.4f} | {r.tokens} | {r.turns} | {r.seconds:.1f} s | "
            f"{r.commit or '-'} |" + (f" {r.worker} {_cell(r.unit)} |" if parallel else "")
        )
    return "\n".join(lines) + "\n"


def _parallel(report: RunReport) -> list[str]:
    """A parallel run's workers and merge history."""
    if not report.workers and not report.merges:
        return []
    lines = ["", "## Workers", "", "| worker | sessions | units | cost | wall time | peak memory |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {w.worker} | {w.sessions} | {w.units} | ${w.cost_usd:.4f} | {w.seconds:.1f} s "
              f"| {w.rss_mb:.0f} MB |" for w in report.workers]  # fmt: skip
    lines += ["", "## Merge history", "", "| time | unit | worker | result | commit | detail |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {m.time} | {_cell(m.unit)} | {m.worker or '-'} | {m.result} | "
              f"{m.commit or '-'} | {_cell(m.detail) or '-'} |" for m in report.merges]  # fmt: skip
    return lines


def render(report: RunReport) -> str:
    reason = f": {report.reason}" if report.reason not in ("", report.status) else ""
    lines = [
        f"# agent-harness run report: {report.status}{_cell(reason)}",
        "",
        f"Progress **{report.progress}**; {len(report.sessions)} session(s), "
        f"${report.cost_usd:.4f}, {report.seconds:.0f} s of sessions.",
        "",
    ]
    lines += sessions_table(report).splitlines()
    lines += _parallel(report)
    events = [
        f"- session {r.number}: denied {_cell(d)}" for r in report.sessions for d in r.denials
    ]
    events += [f"- session {r.number}: changed protected file {_cell(t)} (restored)"
               for r in report.sessions for t in r.tampered]  # fmt: skip
    events += [f"- session {r.number}: {_cell(w)}" for r in report.sessions for w in r.warnings]
    lines += ["", "## Denials and warnings", "", *(events or ["None."])]
    if report.strength is not None:
        from ..strength.table import markdown as gate_markdown

        lines += ["", gate_markdown(report.strength)]
    return "\n".join(lines) + "\n"
