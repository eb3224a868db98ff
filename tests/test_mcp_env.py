"""MCP stdio servers start without the harness's secrets, except those their config passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agent_harness.agent.sdk import mcp_settings
from pytest_agent_harness.cli import main
from pytest_agent_harness.config import McpServer
from pytest_agent_harness.envvars import API_CREDENTIALS, is_secret
from pytest_agent_harness.testing import Turn, text, tool_use

SECRETS = {
    "ANTHROPIC_API_KEY": "sk-ant-api03-harness-key",
    "OPENAI_API_KEY": "sk-openai-passed-on",
    "MY_SERVICE_TOKEN": "svc-token",
    "DB_PASSWORD": "hunter2",
    "GITHUB_TOKEN": "ghp-from-the-environment",
}
PRINT_ENV = "import json, os; print(json.dumps(dict(os.environ)))"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if is_secret(name):
            monkeypatch.delenv(name)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def server(**given: object) -> McpServer:
    return McpServer(**given)  # type: ignore[arg-type]


def test_a_stdio_server_starts_through_env_unsetting_every_secret(secrets: None) -> None:
    settings = mcp_settings(
        server(
            command="node",
            args=("server.js", "--port", "0"),
            env={"GITHUB_TOKEN": "given-in-config", "MODE": "x"},
            pass_env=("OPENAI_API_KEY",),
        )
    )

    assert Path(settings["command"]).name == "env"
    assert settings["env"] == {"GITHUB_TOKEN": "given-in-config", "MODE": "x"}
    args = settings["args"]
    split = args.index("--")
    assert args[split:] == ["--", "node", "server.js", "--port", "0"]
    unset = args[:split]
    assert unset[::2] == ["-u"] * (len(unset) // 2)
    # The CLI's credentials always, even when unset here; the server's own pass_env and env never.
    expected = {"ANTHROPIC_API_KEY", "MY_SERVICE_TOKEN", "DB_PASSWORD", *API_CREDENTIALS}
    expected.add("CLAUDE_CODE_MESSAGING_TOKEN")  # the CLI adds it to a server's environment
    assert set(unset[1::2]) == expected
    assert unset[1::2] == sorted(unset[1::2])


def test_remote_servers_are_unchanged() -> None:
    settings = mcp_settings(server(type="http", url="https://mcp.example", headers={"A": "b"}))
    assert settings == {"type": "http", "url": "https://mcp.example", "headers": {"A": "b"}}


def test_the_server_process_sees_no_withheld_secret(secrets: None) -> None:
    settings = mcp_settings(
        server(
            command=sys.executable,
            args=("-c", PRINT_ENV),
            env={"GITHUB_TOKEN": "given-in-config"},
            pass_env=("OPENAI_API_KEY",),
        )
    )
    # As the CLI starts it: its own environment plus `env`.
    done = subprocess.run(
        [settings["command"], *settings["args"]],
        env={**os.environ, **settings["env"]},
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(done.stdout)

    assert {n: v for n, v in seen.items() if is_secret(n)} == {
        "OPENAI_API_KEY": "sk-openai-passed-on",
        "GITHUB_TOKEN": "given-in-config",
    }
    assert seen["PATH"] == os.environ["PATH"]


ENV_SERVER = """
import json, os, sys

def reply(id, result):
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": id, "result": result}) + "\\n")
    sys.stdout.flush()

TOOL = {"name": "env", "description": "Names of the secret-looking variables it sees",
        "inputSchema": {"type": "object", "properties": {}}}
for line in sys.stdin:
    msg = json.loads(line)
    method, id = msg.get("method"), msg.get("id")
    if method == "initialize":
        reply(id, {"protocolVersion": msg["params"]["protocolVersion"],
                   "capabilities": {"tools": {}}, "serverInfo": {"name": "e", "version": "1"}})
    elif method == "tools/list":
        reply(id, {"tools": [TOOL]})
    elif method == "tools/call":
        names = sorted(n for n in os.environ if n.endswith(("_KEY", "_TOKEN")))
        reply(id, {"content": [{"type": "text", "text": "SEEN " + json.dumps(names)}]})
    elif id is not None:
        reply(id, {})
"""


@pytest.mark.slow  # >= 1.4 s
@pytest.mark.e2e
def test_through_the_real_cli(
    make_project, scripted_model, use_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "env_server.py"
    script.write_text(ENV_SERVER)
    monkeypatch.setenv("OPENAI_API_KEY", "passed-on")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "withheld")
    servers = {
        "e": {"command": sys.executable, "args": [str(script)], "pass_env": ["OPENAI_API_KEY"]}
    }
    project = make_project(
        {"max_iterations": 1, "tracking": {"type": "none"}, "tools": {"mcp_servers": servers}}
    )
    model = use_model(scripted_model([Turn(tool_use("mcp__e__env", {})), Turn(text("done"))]))

    main(["run", "--project-dir", str(project)])

    result = model.requests[1].tool_results[0]
    assert not result["is_error"], result
    seen = json.loads(result["content"].split("SEEN ", 1)[1])
    # Without the wrapper it sees ANTHROPIC_API_KEY, MY_SERVICE_TOKEN and the CLI's
    # CLAUDE_CODE_MESSAGING_TOKEN too.
    assert seen == ["OPENAI_API_KEY"]
