"""Importing the package stays cheap: heavy dependencies load only where they are used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("claude_agent_sdk", "git", "junitparser", "tree_sitter", "tree_sitter_bash")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_package_import_loads_nothing_heavy() -> None:
    assert not _loaded_after("import pytest_agent_harness") & set(HEAVY)


def test_config_runner_and_cli_load_nothing_heavy() -> None:
    loaded = _loaded_after(
        "import pytest_agent_harness.config, pytest_agent_harness.runner, pytest_agent_harness.cli"
    )
    assert not loaded & set(HEAVY)


def test_the_agent_module_is_where_the_sdk_loads() -> None:
    assert "claude_agent_sdk" in _loaded_after("import pytest_agent_harness.agent")
