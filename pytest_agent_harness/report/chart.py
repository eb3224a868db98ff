"""The report's charts as inline SVG, written by hand: passing and total tests per session with
the phases as bands, and per-session wall time with the cumulative cost."""

from __future__ import annotations

from html import escape

from .model import RunReport

WIDTH, HEIGHT, PAD = 720, 220, 40
PHASE_COLOURS = ("#e8f0fe", "#fef3e2", "#e6f4ea", "#fce8e6", "#f3e8fd")


def _x(index: int, count: int) -> float:
    span = WIDTH - 2 * PAD
    return PAD + (span * index / (count - 1) if count > 1 else span / 2)


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value / top if top else 0)


def progress_chart(report: RunReport) -> str:
    """Passing (points joined by a line) and total per session; phases as background bands."""
    rows, count = report.sessions, len(report.sessions)
    top = max([1, *(r.total for r in rows), *(r.passing for r in rows)])
    parts = [
        f'<svg class="chart progress" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="passing tests per session" xmlns="http://www.w3.org/2000/svg">'
    ]
    colours = {phase: PHASE_COLOURS[i % len(PHASE_COLOURS)]
               for i, phase in enumerate(dict.fromkeys(r.phase for r in rows))}  # fmt: skip
    step = (WIDTH - 2 * PAD) / max(count, 1)
    seen: set[str] = set()
    for index, row in enumerate(rows):
        left = _x(index, count) - step / 2
        if row.phase not in seen:  # the phase's name where it starts
            seen.add(row.phase)
            parts.append(f'<text x="{max(left, PAD) + 4:.1f}" y="{PAD + 14}" class="axis">'
                         f"{escape(row.phase)}</text>")  # fmt: skip
        parts.append(
            f'<rect class="phase" x="{max(left, PAD):.1f}" y="{PAD}" width="{step:.1f}" '
            f'height="{HEIGHT - 2 * PAD}" fill="{colours[row.phase]}">'
            f"<title>{escape(row.phase)}</title></rect>"
        )
    parts.append(
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#999"/>'
    )
    totals = " ".join(f"{_x(i, count):.1f},{_y(r.total, top):.1f}" for i, r in enumerate(rows))
    passing = " ".join(f"{_x(i, count):.1f},{_y(r.passing, top):.1f}" for i, r in enumerate(rows))
    if rows:
        parts.append(f'<polyline class="total" points="{totals}" fill="none" stroke="#999" '
                     'stroke-dasharray="4 3"/>')  # fmt: skip
        parts.append(
            f'<polyline points="{passing}" fill="none" stroke="#1a73e8" stroke-width="2"/>'
        )
    for index, row in enumerate(rows):
        parts.append(
            f'<circle class="point" cx="{_x(index, count):.1f}" cy="{_y(row.passing, top):.1f}" '
            f'r="4" fill="#1a73e8"><title>session {row.number} ({escape(row.phase)}): '
            f"{row.passing}/{row.total} passing</title></circle>"
        )
    parts.append(f'<text x="{PAD}" y="{PAD - 10}" class="axis">{top} tests</text>')
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 12}" class="axis">session 1</text>')
    if count > 1:
        parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" class="axis" '
                     f'text-anchor="end">session {rows[-1].number}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def cost_chart(report: RunReport) -> str:
    """Per-session wall time as bars, the cumulative cost as a line."""
    rows, count = report.sessions, len(report.sessions)
    longest = max([1.0, *(r.seconds for r in rows)])
    total = max(report.cost_usd, 1e-9)
    step = (WIDTH - 2 * PAD) / max(count, 1)
    parts = [
        f'<svg class="chart cost" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="wall time and cumulative cost" xmlns="http://www.w3.org/2000/svg">'
    ]
    spent, points = 0.0, []
    for index, row in enumerate(rows):
        height, width = (HEIGHT - 2 * PAD) * row.seconds / longest, min(step * 0.7, 48.0)
        parts.append(
            f'<rect class="bar" x="{_x(index, count) - width / 2:.1f}" '
            f'y="{HEIGHT - PAD - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="#c6dafc"><title>session {row.number}: {row.seconds:.1f} s</title></rect>'
        )
        spent += row.cost_usd
        points.append(f"{_x(index, count):.1f},{_y(spent, total):.1f}")
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#e37400" '
                     'stroke-width="2"/>')  # fmt: skip
    parts.append(f'<text x="{PAD}" y="{PAD - 10}" class="axis">longest {longest:.0f} s; '
                 f"cost ${report.cost_usd:.4f}</text></svg>")  # fmt: skip
    return "".join(parts)
