"""Shell completion through argcomplete (the `completion` extra)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("argcomplete")


def complete(line: str, tmp_path: Path) -> list[str]:
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}  # fmt: skip
    subprocess.run([sys.executable, "-m", "pytest_agent_harness"], env=env, check=True, timeout=60)
    return out.read_text().replace("\x0b", " ").split()


def test_commands_and_options_complete(tmp_path: Path) -> None:
    assert complete("agent-harness ru", tmp_path) == ["run"]
    assert complete("agent-harness run --dr", tmp_path) == ["--dry-run"]
    assert "--markdown" in complete("agent-harness report --", tmp_path)
