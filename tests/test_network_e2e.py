"""An API that cannot be reached, and errors across invocations, through the real CLI."""

from __future__ import annotations

import socket

import pytest
from helpers import passing_checklist, read_ledger

from pytest_agent_harness.cli import main
from pytest_agent_harness.run import network
from pytest_agent_harness.testing import HttpError, Turn, text, tool_use

pytestmark = pytest.mark.e2e


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_an_unreachable_api_stops_the_run_naming_the_cause(
    make_project, scripted_model, use_model, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"error_recovery": {"network_wait_seconds": 1}})
    use_model(scripted_model([Turn(text("never asked"))]))
    port = closed_port()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")

    assert main(["run", "--project-dir", str(project)]) == 2

    out = capsys.readouterr().out
    assert [e["outcome"] for e in read_ledger(project)] == ["network"]  # one session, no ladder
    assert f"cannot reach 127.0.0.1:{port}: Connection refused" in out
    assert "Checking again in 1.0s" in out
    assert "network: cannot reach" in out and "check the connection or HTTPS_PROXY" in out
    assert "in a row: retrying" not in out and "API error ?" not in out
    assert "Review the checkpoint commits" not in out


@pytest.mark.slow
def test_errors_are_counted_afresh_by_each_invocation(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project()
    features = str(project / "feature_list.json")
    use_model(scripted_model([HttpError(401)]))
    assert main(["run", "--project-dir", str(project)]) == 2
    first = capsys.readouterr().out
    assert "/login" not in first  # the CLI's advice to its interactive user, not to a run's
    assert "ANTHROPIC_API_KEY" in first

    finish = Turn(tool_use("Write", {"file_path": features, "content": passing_checklist(project)}))
    use_model(scripted_model([HttpError(500), finish, Turn(text("Done."))]))
    assert main(["run", "--project-dir", str(project)]) == 0
    second = capsys.readouterr().out
    assert "Error 1 in a row: retrying" in second, second  # the earlier run's auth error is not
    assert [e["outcome"] for e in read_ledger(project)] == ["auth", "transient", "ok"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ("api.anthropic.com", 443)),
        ({"ANTHROPIC_BASE_URL": "http://127.0.0.1:8080/v1"}, ("127.0.0.1", 8080)),
        ({"ANTHROPIC_BASE_URL": "https://gw.corp"}, ("gw.corp", 443)),
        ({"HTTPS_PROXY": "http://proxy:3128"}, ("proxy", 3128)),
        ({"https_proxy": "proxy:3128", "NO_PROXY": ".anthropic.com"}, ("api.anthropic.com", 443)),
        ({"ANTHROPIC_BASE_URL": "http://h:1", "HTTP_PROXY": "http://p:8"}, ("p", 8)),
        ({"ANTHROPIC_BASE_URL": "http://h:1", "HTTPS_PROXY": "http://p:8", "NO_PROXY": "*"},
         ("h", 1)),
    ],
)  # fmt: skip
def test_the_endpoint_probed_is_the_one_the_cli_connects_to(
    environ: dict[str, str], expected: tuple[str, int]
) -> None:
    assert network.endpoint(environ)[:2] == expected


def test_an_open_port_is_reachable_and_a_closed_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert network.unreachable({"ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}"}) == ""
    why = network.unreachable({"ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}"})
    assert why == f"cannot reach 127.0.0.1:{port}: Connection refused"

    def no_dns(address: object, timeout: float) -> None:  # no resolver is asked in a test
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(network.socket, "create_connection", no_dns)
    assert network.unreachable({}) == (
        "cannot reach api.anthropic.com:443: its name does not resolve (Name or service not known)"
    )
