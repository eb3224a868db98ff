"""Third-party trackers plug in through the same hooks as the built-in ones."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pluggy
import pytest

from pytest_agent_harness import hookimpl
from pytest_agent_harness.config import load_config
from pytest_agent_harness.errors import ConfigError
from pytest_agent_harness.plugins import Plugins, load_plugins
from pytest_agent_harness.trackers.base import Item, Progress


class AlwaysDone:
    name = "always_done"

    def evaluate(self, *, readonly: bool = False) -> Progress:
        return Progress(items=(Item(id="everything", status="passed"),))


class Plugin:
    @hookimpl
    def agent_harness_tracker_types(self) -> list[str]:
        return ["always_done"]

    @hookimpl
    def agent_harness_make_tracker(self, config: object) -> AlwaysDone | None:
        tracking = config.tracking  # type: ignore[attr-defined]
        return AlwaysDone() if tracking.type == "always_done" else None


@pytest.fixture
def plugins() -> Plugins:
    """This test's own plugins, with the test tracker registered: nobody else sees it."""
    plugins = load_plugins()
    plugins.manager.register(Plugin(), name="test-plugin")
    return plugins


def write(tmp_path: Path, tracker: str) -> None:
    (tmp_path / ".agent-harness").mkdir(exist_ok=True)
    (tmp_path / ".agent-harness" / "config.toml").write_text(
        f'[tracking]\ntype = "{tracker}"\n\n[[phases]]\nname = "a"\nprompt = "b"\n'
    )


def test_built_ins_are_registered_as_plugins() -> None:
    plugins = load_plugins()
    assert set(plugins.tracker_types()) >= {
        "json_checklist",
        "junit",
        "pytest",
        "notes_file",
        "none",
    }
    assert plugins.manager.get_plugin("agent_harness.trackers") is not None


def test_a_plugin_tracker_is_accepted_and_built(tmp_path: Path, plugins: Plugins) -> None:
    write(tmp_path, "always_done")
    config = load_config(tmp_path, tracker_types=plugins.tracker_types())
    assert plugins.make_tracker(config).evaluate().complete


def test_plugins_are_per_run(tmp_path: Path, plugins: Plugins) -> None:
    assert "always_done" in plugins.tracker_types()
    assert "always_done" not in load_plugins().tracker_types()


def test_an_unknown_tracker_lists_the_installed_ones(tmp_path: Path) -> None:
    write(tmp_path, "always_done")
    with pytest.raises(ConfigError, match=r"unknown tracker 'always_done'.*'json_checklist'"):
        load_config(tmp_path, tracker_types=load_plugins().tracker_types())


def test_a_misspelt_hook_in_an_installed_plugin_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``load_plugins`` itself refuses a plugin whose hook name matches no spec."""
    misspelt = SimpleNamespace(agent_harness_make_trackr=hookimpl(lambda config: None))

    def load_entry_points(self: pluggy.PluginManager, group: str, name: str | None = None) -> int:
        self.register(misspelt, name="misspelt")
        return 1

    monkeypatch.setattr(pluggy.PluginManager, "load_setuptools_entrypoints", load_entry_points)
    with pytest.raises(pluggy.PluginValidationError, match="agent_harness_make_trackr"):
        load_plugins()
