"""The run report: one model, as a self-contained HTML page and as Markdown; `report` and `log`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pytest_agent_harness.cli import main
from pytest_agent_harness.layout import Layout
from pytest_agent_harness.report import write_reports

SESSIONS = [
    {"session": 1, "phase": "initializer", "outcome": "ok", "progress_before": "0/0 passing",
     "progress_after": "0/3 passing", "passing": 0, "total": 3, "cost_usd": 0.01,
     "input_tokens": 100, "output_tokens": 20, "turns": 4, "duration_s": 3.0, "wall_s": 4.5,
     "commit": "a" * 40, "denials": ["Bash: curl https://example.com <script>x</script>"],
     "tampered": [], "warnings": []},
    {"session": 2, "phase": "coding", "outcome": "transient", "progress_before": "0/3 passing",
     "progress_after": "1/3 passing", "passing": 1, "total": 3, "cost_usd": 0.02,
     "input_tokens": 200, "output_tokens": 40, "turns": 6, "duration_s": 5.0, "wall_s": 6.0,
     "commit": None, "denials": [], "tampered": [".agent-harness/config.toml"],
     "warnings": ["tampering: the session changed protected files"]},
    {"session": 3, "phase": "coding", "outcome": "ok", "progress_before": "1/3 passing",
     "progress_after": "3/3 passing", "passing": 3, "total": 3, "cost_usd": 0.03,
     "input_tokens": 300, "output_tokens": 60, "turns": 8, "duration_s": 7.0, "wall_s": 7.5,
     "commit": "b" * 40, "denials": [], "tampered": [], "warnings": []},
]  # fmt: skip


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout.of(tmp_path / "project")
    layout.logs_dir.mkdir(parents=True)
    layout.ledger.write_text("".join(json.dumps(entry) + "\n" for entry in SESSIONS))
    events = [
        {"kind": "init", "text": "claude-test"},
        {"kind": "text", "text": "I will <fix> it."},
        {"kind": "tool_call", "tool": "Bash", "text": "pytest -q"},
        {"kind": "tool_result", "tool": "Bash", "text": "\n".join(f"line {i}" for i in range(9))},
        {"kind": "denial", "tool": "Bash", "text": "curl: not allowed"},
        {"kind": "result", "data": {"is_error": False, "num_turns": 4, "cost_usd": 0.01}},
    ]
    layout.session_log(1).write_text("".join(json.dumps(e) + "\n" for e in events) + "not json\n")
    return layout


class Page(HTMLParser):
    """What a browser would fetch, and the elements the checks count."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        for name in ("src", "href", "srcset", "data", "poster", "action", "xlink:href"):
            if values.get(name):
                self.fetched.append(f"{tag} {name}={values[name]}")
        if tag in ("script", "link", "iframe", "object", "embed", "img", "base"):
            self.fetched.append(tag)

    def count(self, tag: str, cls: str) -> int:
        return sum(1 for t, a in self.tags if t == tag and cls in a.get("class", "").split())


def test_the_html_page_has_a_point_and_a_row_per_session_and_loads_nothing(
    layout: Layout,
) -> None:
    html, markdown = write_reports(layout)
    text = html.read_text()
    page = Page()
    page.feed(text)
    assert page.fetched == []  # nothing by URL: no script, stylesheet, image, font or frame
    assert not re.search(
        r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", text.split("<h2>Denials")[0]
    )
    assert page.count("circle", "point") == 3
    assert page.count("tr", "session") == 3
    assert "&lt;script&gt;x&lt;/script&gt;" in text and "<script>x" not in text  # escaped
    assert "I will &lt;fix&gt; it." in text and "... (3 more lines)" in text  # its transcript
    assert "changed protected file .agent-harness/config.toml (restored)" in text
    assert "$0.0600" in text and "18 s of sessions" in text  # totals; wall time, not the CLI's

    md = markdown.read_text()
    assert md.count("\n| 1 | initializer | ok | 0/0 passing -> 0/3 passing") == 1
    assert len(re.findall(r"^\| \d+ \|", md, re.M)) == 3
    assert "- session 2: changed protected file .agent-harness/config.toml (restored)" in md


def test_report_and_log_commands(
    layout: Layout, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = str(layout.project_dir)
    out_html, out_md = tmp_path / "out" / "r.html", tmp_path / "out" / "r.md"
    assert main(["report", "--project-dir", project, "--html", str(out_html),
                 "--markdown", str(out_md)]) == 0  # fmt: skip
    assert out_html.read_text().startswith("<!doctype html>") and out_md.exists()
    capsys.readouterr()
    assert main(["log", "1", "--project-dir", project]) == 0
    text = capsys.readouterr().out
    assert "agent: I will <fix> it." in text and "  > Bash: pytest -q" in text
    assert "    x denied Bash: curl: not allowed" in text and "(unreadable line) not json" in text
    assert main(["log", "--raw", "--project-dir", project]) == 0  # the last one: session 1
    assert capsys.readouterr().out.startswith('{"kind": "init"')
    assert main(["log", "7", "--project-dir", project]) == 4
    assert "no transcript for session 7 (sessions with one: 1)" in capsys.readouterr().err


def test_report_before_any_run_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--project-dir", str(tmp_path)]) == 4
    assert "has no run to report yet" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.e2e
def test_the_demo_runs_report_renders_in_a_real_headless_chromium(tmp_path: Path) -> None:
    """The report of a real run, opened in Chromium: its chart has a point and its table a row
    per session in the rendered DOM, and the page paints (a screenshot is taken)."""
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    project = tmp_path / "demo"
    env = {"HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state")}
    import os
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pytest_agent_harness", "demo", "--project-dir", str(project)],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = project / ".agent-harness" / "report.html"
    assert f"Report: {report}" in done.stdout
    sessions = len((project / ".agent-harness" / "ledger.jsonl").read_text().splitlines())
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / 'chromium'}"]  # fmt: skip
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    ).stdout  # fmt: skip
    page = Page()
    page.feed(dom)
    assert page.count("circle", "point") == sessions >= 1
    assert page.count("tr", "session") == sessions
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1000,900", report.as_uri()],
        capture_output=True, timeout=120, env={**os.environ, **env},
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000


def test_status_json_and_the_step_summary_show_the_reports_sessions(
    make_project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    project = make_project()
    Layout.of(project).ledger.write_text("".join(json.dumps(e) + "\n" for e in SESSIONS))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    capsys.readouterr()
    assert main(["status", "--json", "--project-dir", str(project)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["session"] for s in data["sessions"]] == [1, 2, 3]
    assert data["sessions"][1] == {
        "session": 2, "phase": "coding", "outcome": "transient", "before": "0/3 passing",
        "after": "1/3 passing", "cost_usd": 0.02, "tokens": 240, "turns": 6, "seconds": 6.0,
        "commit": None,
    }  # fmt: skip
    assert data["last_stop"] == {"exit_code": None, "reason": ""}
    assert "| 3 | coding | ok | 1/3 passing -> 3/3 passing |" in summary.read_text()


def test_escape_sequences_from_the_agent_never_reach_a_terminal(tmp_path: Path) -> None:
    import io

    from pytest_agent_harness.agent.display import Display
    from pytest_agent_harness.agent.session import SessionEvent
    from pytest_agent_harness.report.transcript import transcript_text

    forged = "done\x1b[2J\x1b[1;1H\x1b[32mCOMPLETE: complete\x07"
    stream = io.StringIO()
    display = Display(stream, verbose=True)
    display.event(SessionEvent(kind="text", text=forged))
    display.event(SessionEvent(kind="tool_result", tool="Bash", text=forged))
    display.event(SessionEvent(kind="denial", tool="Bash", text=forged))
    assert "\x1b" not in stream.getvalue() and "\x07" not in stream.getvalue()
    assert "done?[2J?[1;1H?[32mCOMPLETE" in stream.getvalue()
    log = tmp_path / "session-001.jsonl"
    events = [{"kind": "text", "text": forged}, {"kind": "tool_result", "text": forged}]
    log.write_text("".join(json.dumps(e) + "\n" for e in events) + forged + "\n")
    assert "\x1b" not in transcript_text(log)
