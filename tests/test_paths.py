"""The file-path policy: resolved paths, allowed globs, protected harness files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_agent_harness.security.paths import PathPolicy


@pytest.fixture
def policy(tmp_path: Path) -> PathPolicy:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / ".agent-harness").mkdir()
    os.symlink("/etc", project / "etc-link")
    return PathPolicy(project_dir=project, protected=(project.resolve() / ".agent-harness",))


@pytest.mark.parametrize(
    ("tool", "tool_input", "allowed"),
    [
        ("Write", {"file_path": "src/a.py"}, True),
        ("Write", {"file_path": "{project}/src/a.py"}, True),
        ("Read", {"file_path": "/etc/passwd"}, False),
        ("Write", {"file_path": "{project}/../outside.txt"}, False),
        ("Write", {"file_path": "~/.bashrc"}, False),
        ("Read", {"file_path": "etc-link/passwd"}, False),
        ("Write", {"file_path": ".agent-harness/config.toml"}, False),
        ("Read", {"file_path": ".agent-harness/config.toml"}, True),
        ("Glob", {"pattern": "**/*.py"}, True),
        ("Glob", {"pattern": "/etc/*"}, False),
        ("Grep", {"pattern": "x", "path": "/"}, False),
        ("Grep", {"pattern": "x", "path": "src"}, True),
        ("NotebookEdit", {"notebook_path": "/tmp/n.ipynb"}, False),
    ],
)
def test_path_decisions(
    policy: PathPolicy, tool: str, tool_input: dict[str, str], allowed: bool
) -> None:
    resolved = {k: v.replace("{project}", str(policy.project_dir)) for k, v in tool_input.items()}
    reason = policy.check(tool, resolved)
    assert (reason is None) is allowed, reason
    if reason:
        assert tool in reason


def test_narrower_allowed_paths(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    policy = PathPolicy(project_dir=tmp_path, allowed_paths=("src/**", "/opt/shared/**"))
    assert policy.check("Write", {"file_path": str(tmp_path / "src" / "x.py")}) is None
    assert policy.check("Write", {"file_path": str(tmp_path / "setup.py")}) is not None
    assert policy.check("Read", {"file_path": "/opt/shared/data.csv"}) is None
