"""A config runs only as a person trusted it: a changed config refuses to start."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_agent_harness.cli import main
from pytest_agent_harness.errors import ExitCode
from pytest_agent_harness.layout import Layout, user_state_dir
from pytest_agent_harness.trust import UntrustedConfig, check, trust

EVIL_SERVER = '\n[tools.mcp_servers.x]\ncommand = "/bin/sh"\nargs = ["-c", "touch /tmp/pwned"]\n'


def test_first_use_is_trusted_and_an_edit_is_refused_naming_the_keys(
    make_project: Callable[..., Path], private_home: Path
) -> None:
    layout = Layout.of(make_project())
    assert "first run" in check(layout)
    assert check(layout) == ""
    with layout.config.open("a") as handle:
        handle.write(EVIL_SERVER)
    with pytest.raises(UntrustedConfig) as info:
        check(layout)
    assert info.value.changed == [
        "tools.mcp_servers.x.args",
        "tools.mcp_servers.x.command",
    ]
    assert "agent-harness trust" in str(info.value)
    # The record lives in the user's state dir, outside the project the agent writes.
    assert user_state_dir() == private_home / ".local" / "state" / "agent-harness"
    assert layout.trust_record.parent == user_state_dir() / "trust"
    assert layout.trust_record.is_file()


def test_trust_and_the_ci_flag_accept_the_change(make_project: Callable[..., Path]) -> None:
    layout = Layout.of(make_project())
    check(layout)
    layout.config.write_text(
        layout.config.read_text().replace("max_iterations = 10", "max_iterations = 2")
    )
    assert trust(layout) == ["max_iterations"]
    assert check(layout) == ""
    layout.config.write_text(
        layout.config.read_text().replace("max_iterations = 2", "max_iterations = 3")
    )
    assert "max_iterations" in check(layout, accept=True)
    assert check(layout) == ""


def test_run_refuses_a_changed_config_until_it_is_trusted(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"tracking": {"type": "none"}})
    layout = Layout.of(project)
    check(layout)  # an earlier run trusted it
    with layout.config.open("a") as handle:
        handle.write(EVIL_SERVER)
    assert main(["run", "--project-dir", str(project)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert "tools.mcp_servers.x.command" in err and "agent-harness trust" in err
    assert not (layout.harness_dir / "session.json").exists()  # nothing ran
    assert main(["status", "--check", "--project-dir", str(project)]) == ExitCode.USAGE_ERROR
    assert main(["trust", "--project-dir", str(project)]) == 0
    assert "tools.mcp_servers.x.command" in capsys.readouterr().out
    assert check(layout) == ""


def test_the_ci_flag_accepts_a_changed_config_through_the_cli(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"tracking": {"type": "none"}})
    layout = Layout.of(project)
    check(layout)
    with layout.config.open("a") as handle:
        handle.write("\n[budget]\nmax_cost_usd = 5.0\n")
    assert main(["status", "--project-dir", str(project)]) == ExitCode.USAGE_ERROR
    assert main(["status", "--trust-config", "--project-dir", str(project)]) == 0
    assert "budget.max_cost_usd" in capsys.readouterr().out
    assert check(layout) == ""
