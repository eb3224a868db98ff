"""The run report: one model (``model.RunReport``) rendered as a self-contained HTML page (inline
CSS and SVG, no external resource), as Markdown, and a session's transcript as text.

The HTML is written by hand with ``html.escape`` and a small SVG chart: no template engine or
plotting library, so nothing is added to install and the page loads nothing from anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..layout import Layout
    from ..run.report import RunResult


def write_reports(
    layout: Layout,
    result: RunResult | None = None,
    *,
    html: Path | None = None,
    markdown: Path | None = None,
) -> tuple[Path, Path]:
    """Write the report as HTML and Markdown (by default in the harness dir); their paths."""
    from ..files import write_atomic
    from . import html as html_page
    from . import markdown as markdown_page
    from .model import build

    report = build(layout, result)
    html_path, markdown_path = html or layout.report_html, markdown or layout.report_markdown
    write_atomic(html_path, html_page.render(report))
    write_atomic(markdown_path, markdown_page.render(report))
    return html_path, markdown_path
