"""Every security layer through the real CLI, with the OS sandbox off unless a test turns it on."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from helpers import read_ledger

from pytest_agent_harness.cli import main
from pytest_agent_harness.testing import Turn, text, tool_use

pytestmark = pytest.mark.e2e

DENIED = [
    "touch marker-plain; mkmarker {m}/plain",  # denied whole: not even the allowed part runs
    "ls\nmkmarker {m}/newline",
    "ls & mkmarker {m}/background",
    "echo $(mkmarker {m}/substitution)",
    "bash -c 'mkmarker {m}/shell'",
    "env mkmarker {m}/env",
    "find . -maxdepth 0 -exec mkmarker {m}/find \\;",
    "eval 'mkmarker {m}/eval'",
    "X=$(mkmarker {m}/assign) ls",
    "cat <<EOF\n`mkmarker {m}/heredoc`\nEOF",
    "echo x > {m}/redirect",
    "git -c alias.x='!mkmarker {m}/gitalias' x",
    # bypasses the policy fuzz found, through the real CLI
    "env -u ls mkmarker {m}/env-unset",
    "mkmarker() { ls; }; env mkmarker {m}/function-via-env",
    "cat <<-EOF\n\t$(mkmarker {m}/dash-heredoc)\n\tEOF",
    "git grep -nO'mkmarker {m}/grep-pager' x",
]


def all_results(model) -> list[dict[str, object]]:
    """Every tool result of the session, in order, from the conversation's last request."""
    results = []
    for message in model.requests[-1].messages:
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_result":
                inner = block.get("content")
                if isinstance(inner, list):
                    inner = "".join(b.get("text", "") for b in inner)
                results.append({"is_error": bool(block.get("is_error")), "content": inner or ""})
    return results


def bash_session(commands: list[str]) -> list[Turn]:
    return [Turn(tool_use("Bash", {"command": c})) for c in commands] + [Turn(text("done"))]


@pytest.mark.slow
def test_denied_commands_never_run_and_allowed_ones_do(
    make_project,
    scripted_model,
    use_model,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    bin_dir = tmp_path / "bin"  # a program that is not allowed and leaves a mark when it runs
    bin_dir.mkdir()
    (bin_dir / "mkmarker").write_text('#!/bin/sh\ntouch "$1"\n')
    (bin_dir / "mkmarker").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    project = make_project(
        {"max_iterations": 1, "tracking": {"type": "none"},
         "security": {"bash": {"allowed_commands": ["git"]}}}
    )  # fmt: skip
    denied = [c.replace("{m}", str(markers)) for c in DENIED]
    allowed = ["touch made-by-touch.txt", "mkdir -p out && echo ok > out/ok.txt", "git status"]
    model = use_model(scripted_model(bash_session([*denied, *allowed])))

    assert main(["run", "--project-dir", str(project)]) == 1

    assert list(markers.iterdir()) == []
    assert not (project / "marker-plain").exists()
    assert (project / "made-by-touch.txt").exists()
    assert (project / "out" / "ok.txt").read_text() == "ok\n"
    results = all_results(model)
    assert [r["is_error"] for r in results] == [True] * len(denied) + [False] * len(allowed), [
        (r["is_error"], r["content"][:60]) for r in results
    ]
    out = capsys.readouterr().out
    assert out.count("x denied Bash") == len(denied)
    log = (project / ".agent-harness" / "logs" / "session-001.jsonl").read_text()
    rules = [
        json.loads(line)["data"].get("rule") for line in log.splitlines() if '"denial"' in line
    ]
    assert rules == ["bash"] * len(denied)
    assert len(read_ledger(project)[0]["denials"]) == len(denied)


@pytest.mark.slow
def test_file_tools_stay_inside_the_project(
    make_project, scripted_model, use_model, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not read")
    project = make_project({"max_iterations": 1, "tracking": {"type": "none"}})
    os.symlink(outside, project / "link")
    config = project / ".agent-harness" / "config.toml"
    original = config.read_text()
    calls = [
        tool_use("Write", {"file_path": str(outside / "new.txt"), "content": "x"}),
        tool_use("Write", {"file_path": str(project / "link" / "via-link.txt"), "content": "x"}),
        tool_use("Read", {"file_path": str(outside / "secret.txt")}),
        tool_use("Read", {"file_path": str(project / "link" / "secret.txt")}),
        tool_use("Write", {"file_path": str(config), "content": "max_turns = 1\n"}),
        tool_use("Read", {"file_path": str(config)}),
        tool_use(
            "Edit", {"file_path": str(config), "old_string": "max_iterations", "new_string": "x"}
        ),
        tool_use("Glob", {"pattern": "*", "path": str(outside)}),
        tool_use("Write", {"file_path": str(project / "inside.txt"), "content": "fine"}),
    ]
    model = use_model(scripted_model([*(Turn(c) for c in calls), Turn(text("done"))]))

    assert main(["run", "--project-dir", str(project)]) == 1

    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert config.read_text() == original
    assert (project / "inside.txt").read_text() == "fine"
    results = all_results(model)
    assert [r["is_error"] for r in results] == [True] * 5 + [False, True, True, False]
    assert "belongs to the harness" in results[6]["content"]
    assert not any("do not read" in r["content"] for r in results)


MCP_SERVER = """
import json, sys

def reply(id, result):
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": id, "result": result}) + "\\n")
    sys.stdout.flush()

TOOL = {"name": "fetch", "description": "Fetch a URL", "inputSchema": {
    "type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}}
for line in sys.stdin:
    msg = json.loads(line)
    method, id = msg.get("method"), msg.get("id")
    if method == "initialize":
        reply(id, {"protocolVersion": msg["params"]["protocolVersion"], "capabilities": {"tools": {}},
                   "serverInfo": {"name": "web", "version": "1"}})
    elif method == "tools/list":
        reply(id, {"tools": [TOOL]})
    elif method == "tools/call":
        url = msg["params"]["arguments"]["url"]
        with open(sys.argv[1], "a") as log:
            log.write(url + "\\n")
        reply(id, {"content": [{"type": "text", "text": "fetched " + url}]})
    elif id is not None:
        reply(id, {})
"""


@pytest.mark.slow
def test_mcp_restrictions_deny_blocked_calls(
    make_project, scripted_model, use_model, tmp_path: Path
) -> None:
    server = tmp_path / "mcp_server.py"
    server.write_text(MCP_SERVER)
    calls_log = tmp_path / "calls.log"
    project = make_project(
        {
            "max_iterations": 1,
            "tracking": {"type": "none"},
            "tools": {
                "mcp_servers": {
                    "web": {"command": sys.executable, "args": [str(server), str(calls_log)]}
                }
            },
            "security": {
                "mcp": {
                    "tool_restrictions": {
                        "mcp__web__*": {"blocked_patterns": ["file://"], "allowed_args": ["url"]}
                    }
                }
            },
        }
    )
    model = use_model(
        scripted_model(
            [
                Turn(tool_use("mcp__web__fetch", {"url": "https://example.invalid/ok"})),
                Turn(tool_use("mcp__web__fetch", {"url": "file:///etc/passwd"})),
                Turn(text("done")),
            ]
        )
    )

    assert main(["run", "--project-dir", str(project)]) == 1

    assert calls_log.read_text().splitlines() == ["https://example.invalid/ok"]
    first, second = (req.tool_results[0] for req in model.requests[1:3])
    assert not first["is_error"] and "fetched https://example.invalid/ok" in first["content"]
    assert second["is_error"] and "blocked pattern 'file://'" in second["content"]


@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which("bwrap") and shutil.which("socat")), reason="needs bubblewrap and socat"
)
def test_the_os_sandbox_stops_writes_outside_the_project(
    make_project, scripted_model, use_model, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = make_project(
        {
            "max_iterations": 1,
            "tracking": {"type": "none"},
            "security": {
                "sandbox": {"enabled": True, "fail_if_unavailable": True},
                "bash": {"allowed_commands": ["python3"]},
            },
        }
    )
    # python3 is allowed, and it can write anywhere: only the sandbox stands in the way.
    script = f"open({str(outside / 'escaped.txt')!r}, 'w').write('x')"
    inside = f"open({str(project / 'inside.txt')!r}, 'w').write('x')"
    model = use_model(
        scripted_model(bash_session([f'python3 -c "{script}"', f'python3 -c "{inside}"']))
    )

    assert main(["run", "--project-dir", str(project)]) == 1

    assert not (outside / "escaped.txt").exists()
    assert (project / "inside.txt").exists()
    first = model.requests[1].tool_results[0]
    assert first["is_error"] and "Read-only file system" in first["content"]
