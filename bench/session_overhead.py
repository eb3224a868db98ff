"""What the harness adds to each session: `agent-harness run` against bare SDK sessions.

Both sides run one-turn sessions of the real Claude Code CLI against the same scripted model,
in this one process, interleaved (ABBA order) so drift on the machine hits both alike. A
harness round is one `agent-harness run` of N sessions (state, ledger, transcripts, guards,
tracker, git snapshot and checkpoint commit, session audit each session); a bare round is N
``ClaudeSDKClient`` sessions with the options the harness would pass, less its hooks. The
sandbox is off on both sides, or on on both (``--sandbox``, with the same sandbox settings).
It also times, inside the harness rounds, the harness's own work around each SDK session.
Target: the harness adds under 5 % or 50 ms per session, whichever is larger.

    python bench/session_overhead.py [--rounds R] [--sessions N] [--sandbox]
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w
from _common import Row, parser, report

from pytest_agent_harness.agent.session import EventSink, SessionOutcome, SessionSpec
from pytest_agent_harness.cli import main as harness_main
from pytest_agent_harness.config import DEFAULT_TOOLS
from pytest_agent_harness.testing import Request, ScriptedModel, Turn, text

RATIO_TARGET = 0.05
ABSOLUTE_TARGET_MS = 50.0
PROMPT = "Work on the next failing item."


def make_project(root: Path, sessions: int, sandbox: bool = False) -> Path:
    """A git project whose one checklist item never passes, so every run uses all N sessions."""
    project = root / "project"
    (project / ".agent-harness").mkdir(parents=True)
    config = {
        "auto_continue_delay": 0,
        "max_iterations": sessions,
        "security": {"sandbox": {"enabled": sandbox}},
        "error_recovery": {"cli_max_retries": 0},
        "phases": [{"name": "coding", "prompt": PROMPT}],
    }
    (project / ".agent-harness" / "config.toml").write_text(tomli_w.dumps(config))
    item = [{"description": "the feature works", "steps": ["check"], "passes": False}]
    (project / "feature_list.json").write_text(json.dumps(item))
    (project / "app.py").write_text("print('hello')\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], cwd=project, check=True)
    return project


def harness_round(project: Path, in_sdk: list[float]) -> float:
    """Seconds for one `agent-harness run`; appends the time spent inside SDK sessions."""
    from pytest_agent_harness.agent import sdk as agent

    run_session = agent.run_session

    def timed(spec: SessionSpec, sink: EventSink) -> SessionOutcome:
        start = time.perf_counter()
        try:
            return run_session(spec, sink)
        finally:
            in_sdk.append(time.perf_counter() - start)

    agent.run_session = timed  # the runner looks it up at each session
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = harness_main(["run", "--project-dir", str(project)])
    finally:
        agent.run_session = run_session
    elapsed = time.perf_counter() - start
    if code != 1:  # the checklist never passes: the run ends at max_iterations
        raise SystemExit(f"agent-harness run exited {code}:\n{out.getvalue()}")
    return elapsed


def bare_round(project: Path, config_dir: Path, sessions: int, sandbox: bool = False) -> float:
    from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage

    from pytest_agent_harness.agent.sdk import sandbox_settings
    from pytest_agent_harness.config import SandboxConfig
    from pytest_agent_harness.layout import Layout

    layout = Layout.of(project)
    spec = SessionSpec(
        prompt=PROMPT, cwd=project, config_dir=config_dir, deny_write=layout.protected()
    )
    settings = sandbox_settings(SandboxConfig(), spec) if sandbox else None

    async def one() -> None:
        options = ClaudeAgentOptions(
            tools=list(DEFAULT_TOOLS),
            allowed_tools=list(DEFAULT_TOOLS),
            system_prompt={"type": "preset", "preset": "claude_code"},
            permission_mode="acceptEdits",
            max_turns=1000,
            mcp_servers={},
            strict_mcp_config=True,
            setting_sources=[],
            cwd=str(project),
            env={"CLAUDE_CONFIG_DIR": str(config_dir), "CLAUDE_CODE_MAX_RETRIES": "0"},
            # The harness reads the CLI's stderr too; without a reader sessions here run
            # some 40-60 ms slower, which would flatter the harness.
            stderr=lambda line: None,
            sandbox=settings,  # type: ignore[arg-type]
        )
        async with ClaudeSDKClient(options) as client:
            await client.query(PROMPT)
            async for message in client.receive_response():
                if isinstance(message, ResultMessage) and message.is_error:
                    raise SystemExit(f"bare session failed: {message}")

    start = time.perf_counter()
    for _ in range(sessions):
        asyncio.run(one())
    return time.perf_counter() - start


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--rounds", type=int, default=10, help="rounds per side (default 10)")
    options.add_argument("--sessions", type=int, default=4, help="sessions per round (default 4)")
    options.add_argument(
        "--sandbox", action="store_true", help="the OS sandbox on, on both sides (bwrap, socat)"
    )
    args = options.parse_args()

    def reply(request: Request) -> Turn:
        return Turn(text("Nothing to do this time."))

    with tempfile.TemporaryDirectory() as tmp, ScriptedModel(handler=reply) as model:
        root = Path(tmp)
        os.environ.update(model.env(root / "claude-config", root / "home"))
        os.environ.pop("CLAUDE_CODE_OAUTH_TOKEN", None)
        project = make_project(root, args.sessions, args.sandbox)
        bare_config = root / "bare-config"
        bare_config.mkdir()
        # Warm-up: imports, the CLI binary in the page cache, the harness's first-run files.
        harness_round(project, [])
        bare_round(project, bare_config, 1, args.sandbox)
        n = args.sessions
        harness: list[float] = []
        bare: list[float] = []
        outside: list[float] = []
        for index in range(args.rounds):
            for side in ("harness", "bare") if index % 2 == 0 else ("bare", "harness"):
                if side == "harness":
                    in_sdk: list[float] = []
                    whole = harness_round(project, in_sdk)
                    harness.append(whole / n)
                    outside.append((whole - sum(in_sdk)) / n)
                else:
                    bare.append(bare_round(project, bare_config, n, args.sandbox) / n)
    h, b = statistics.median(harness), statistics.median(bare)
    overhead_ms = (h - b) * 1000
    ratio = h / b - 1
    allowed_ms = max(RATIO_TARGET * b * 1000, ABSOLUTE_TARGET_MS)
    total = args.rounds * args.sessions
    print(
        f"per-session time, median of {args.rounds} interleaved rounds of {args.sessions} "
        f"one-turn sessions ({total} per side):"
    )
    print(f"  agent-harness run {h * 1000:7.1f} ms/session   bare SDK {b * 1000:7.1f} ms/session")
    own_ms = statistics.median(outside) * 1000
    print(
        f"  of which the harness's own work around each SDK session (state, ledger, tracker, "
        f"git snapshot and commit): {own_ms:.1f} ms"
    )
    rows = [
        Row(
            what="harness overhead per session" + (" (sandbox on)" if args.sandbox else ""),
            measured=f"{overhead_ms:+.1f} ms ({ratio * 100:+.1f} %)",
            target=f"< max(5 %, {ABSOLUTE_TARGET_MS:g} ms) = {allowed_ms:.0f} ms",
            holds=overhead_ms < allowed_ms,
        )
    ]
    return report(rows, args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
