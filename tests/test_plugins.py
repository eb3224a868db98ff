"""Third-party trackers plug in through the same hooks as the built-in ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pluggy
import pytest

from pytest_agent_harness import hookimpl
from pytest_agent_harness.config import load_config
from pytest_agent_harness.errors import ConfigError
from pytest_agent_harness.plugins import plugin_manager, tracker_types
from pytest_agent_harness.runner import make_tracker
from pytest_agent_harness.trackers.base import Item, Progress


class AlwaysDone:
    name = "always_done"

    def evaluate(self) -> Progress:
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
def plugin() -> Iterator[Plugin]:
    instance = Plugin()
    plugin_manager().register(instance, name="test-plugin")
    yield instance
    plugin_manager().unregister(instance)


def write(tmp_path: Path, tracker: str) -> None:
    (tmp_path / ".agent-harness").mkdir(exist_ok=True)
    (tmp_path / ".agent-harness" / "config.toml").write_text(
        f'[tracking]\ntype = "{tracker}"\n\n[[phases]]\nname = "a"\nprompt = "b"\n'
    )


def test_built_ins_are_registered_as_plugins() -> None:
    assert set(tracker_types()) >= {"json_checklist", "junit", "pytest", "notes_file", "none"}
    assert plugin_manager().get_plugin("agent_harness.trackers") is not None


def test_a_plugin_tracker_is_accepted_and_built(tmp_path: Path, plugin: Plugin) -> None:
    write(tmp_path, "always_done")
    tracker = make_tracker(load_config(tmp_path))
    assert tracker.evaluate().complete


def test_an_unknown_tracker_lists_the_installed_ones(tmp_path: Path) -> None:
    write(tmp_path, "always_done")
    with pytest.raises(ConfigError, match=r"unknown tracker 'always_done'.*'json_checklist'"):
        load_config(tmp_path)


def test_a_misspelt_hook_is_an_error() -> None:
    manager = pluggy.PluginManager("agent_harness")
    from pytest_agent_harness import hookspecs

    manager.add_hookspecs(hookspecs)
    manager.register(SimpleNamespace(agent_harness_make_trackr=hookimpl(lambda config: None)))
    with pytest.raises(pluggy.PluginValidationError):
        manager.check_pending()
