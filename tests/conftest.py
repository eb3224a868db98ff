from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from pytest_agent_harness.testing import ScriptedModel

pytest_plugins = ["pytest_agent_harness.testing.pytest_plugin"]


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME and state dir: no user config is read or written."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    for name in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(name, "test")
    for name in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(name, "test@localhost")
    return home


ONE_ITEM = [{"description": "the feature works", "steps": ["check it"], "passes": False}]


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Factory: a project with a config (one `coding` phase unless given) and files."""

    def make(
        config: dict[str, Any] | None = None,
        files: dict[str, str] | None = None,
        checklist: list[dict[str, Any]] | None = ONE_ITEM,
    ) -> Path:
        project = tmp_path / "project"
        harness = project / ".agent-harness"
        harness.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {
            "auto_continue_delay": 0,
            "max_iterations": 10,  # a test whose script goes wrong fails instead of hanging
            "security": {"sandbox": {"enabled": False}},
            "error_recovery": {"initial_backoff_seconds": 0.1, "cli_max_retries": 0},
            "phases": [{"name": "coding", "prompt": "Work on the next failing item."}],
        }
        for key, value in (config or {}).items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        (harness / "config.toml").write_text(tomli_w.dumps(data))
        if checklist is not None:
            (project / "feature_list.json").write_text(json.dumps(checklist, indent=2))
        for name, content in (files or {}).items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(content)
        return project

    return make


@pytest.fixture
def use_model(
    tmp_path: Path, private_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., ScriptedModel]:
    """Point this process's environment (and so the harness's CLI) at a scripted model; the
    CLI's HOME is the test's private one."""

    def use(model: ScriptedModel) -> ScriptedModel:
        for key, value in model.env(tmp_path / "claude-config", private_home).items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("CLAUDE_CODE_OAUTH_TOKEN", raising=False)
        return model

    return use
