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


def write_recording_shims(bin_dir: Path, real: dict[str, str | None], log: Path) -> Path:
    """A PATH dir of shims that append their name to ``log`` and then exec the real program
    (or exit 0 where ``real`` has none), and a BASH_ENV file that records unknown commands
    too; returns that file. Used by the fuzz suites that run policy-allowed lines."""
    import shlex

    for name, path in real.items():
        tail = f'exec {shlex.quote(path)} "$@"\n' if path else "exit 0\n"
        shim = bin_dir / name
        shim.write_text(f"#!/bin/sh\necho {shlex.quote(name)} >> {shlex.quote(str(log))}\n{tail}")
        shim.chmod(0o755)
    bashenv = bin_dir.parent / "bashenv"
    bashenv.write_text(
        f'command_not_found_handle() {{ echo "$1" >> {shlex.quote(str(log))}; return 127; }}\n'
        "FUNCNEST=8\n"  # belt and braces: no generated line writes a recursive function
    )
    return bashenv
