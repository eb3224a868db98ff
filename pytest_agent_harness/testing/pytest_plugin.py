"""pytest fixtures for the scripted model; enable with ``pytest_plugins = [...]`` or ``-p``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .script import Reply
from .server import ScriptedModel


@pytest.fixture
def claude_env(tmp_path: Path) -> dict[str, str]:
    """``CLAUDE_CONFIG_DIR`` and ``HOME`` in fresh directories under ``tmp_path``.

    No user config is read or written by a CLI started with these variables.
    """
    config_dir = tmp_path / "claude-config"
    home = tmp_path / "home"
    config_dir.mkdir(exist_ok=True)
    home.mkdir(exist_ok=True)
    return {"CLAUDE_CONFIG_DIR": str(config_dir), "HOME": str(home)}


@pytest.fixture
def scripted_model() -> Iterator[Callable[..., ScriptedModel]]:
    """Factory: ``model = scripted_model([Turn(...), ...])`` returns a started ScriptedModel.

    Every model it made is stopped at teardown. ``model.env(config_dir, home)`` gives the
    environment that points the Claude Code CLI at it.
    """
    started: list[ScriptedModel] = []

    def make(script: Iterable[Reply] = (), **kwargs: Any) -> ScriptedModel:
        model = ScriptedModel(script, **kwargs).start()
        started.append(model)
        return model

    yield make
    for model in started:
        model.stop()
