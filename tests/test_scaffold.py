"""The scaffold that `agent-harness init` writes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_agent_harness.commands.init import init_project, render_config
from pytest_agent_harness.config import load_config
from pytest_agent_harness.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_scaffold_loads_cleanly_and_declares_two_phases(tmp_path: Path) -> None:
    written = init_project(tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == [
        ".agent-harness/.gitignore",  # runtime files stay out of history from the start
        ".agent-harness/config.toml",
        ".agent-harness/prompts/app_spec.txt",
        ".agent-harness/prompts/coding.md",
        ".agent-harness/prompts/initializer.md",
    ]
    config = load_config(tmp_path)
    assert [(p.name, p.run_once, str(p.condition)) for p in config.phases] == [
        ("initializer", True, "not_exists:feature_list.json"),
        ("coding", False, "None"),
    ]
    assert "feature_list.json" in config.phases[0].prompt
    assert '"passes": false' in config.phases[0].prompt
    assert "Never remove items" in config.phases[1].prompt
    assert config.init_files[0].dest == "app_spec.txt"


def test_comments_survive_and_the_file_is_plain_toml() -> None:
    text = render_config()
    assert text.count("\n# ") >= 8
    assert "# Runs once" in text
    assert "model" not in tomllib.loads(text)  # unset: the CLI's default


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    init_project(tmp_path)
    prompt = tmp_path / ".agent-harness" / "prompts" / "coding.md"
    prompt.unlink()
    with pytest.raises(UsageError, match="already exists"):
        init_project(tmp_path)
    assert not prompt.exists()


def test_existing_prompts_are_kept(tmp_path: Path) -> None:
    mine = tmp_path / ".agent-harness" / "prompts" / "coding.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own prompt\n")
    init_project(tmp_path)
    assert mine.read_text() == "my own prompt\n"
