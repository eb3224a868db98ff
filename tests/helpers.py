"""Helpers the tests share (fixtures stay in conftest.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from pytest_agent_harness.layout import Layout
from pytest_agent_harness.testing import ScriptedModel


def passing_checklist(project: Path) -> str:
    """The checklist JSON with every item passing, as an agent would write it."""
    items = json.loads((project / "feature_list.json").read_text())
    return json.dumps([{**item, "passes": True} for item in items], indent=2)


def read_ledger(project: Path) -> list[dict[str, Any]]:
    path = Layout.of(project).ledger
    return [json.loads(line) for line in path.read_text().splitlines()]


def harness_env(model: ScriptedModel, tmp_path: Path) -> dict[str, str]:
    """This process's environment pointed at ``model``, for a harness run as a subprocess."""
    env = {**os.environ, **model.env(tmp_path / "claude-config", tmp_path / "home")}
    env.pop("CLAUDE_CODE_OAUTH_TOKEN", None)
    return env


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_group_exit(pgid: int, timeout: float = 15.0) -> bool:
    """Whether every process of the group is gone within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
