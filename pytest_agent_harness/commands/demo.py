"""``agent-harness demo``: a whole run, offline, on the scripted model.

The demo project is the ``pytest-refactor`` example: a small package whose unittest suite is to
be migrated to idiomatic pytest without losing a test. The real Claude Code CLI runs real tools
(Read, Write, Bash running pytest) in a fresh copy; only the model is scripted, and it also tries
one command the policy denies. The harness runs pytest itself, sees every baseline test pass,
and commits the result.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..agent.display import Display
from ..errors import ExitCode, UsageError
from ..layout import Layout

if TYPE_CHECKING:
    from ..testing import Reply

DEMO_PROJECT = Path(__file__).parent.parent / "demo_project"

MIGRATED = """\
import pytest

from textstats import average_word_length, top_words, word_count, words


@pytest.fixture
def text():
    return "The cat and the hat."


class TestWords:
    def test_words_are_lower_case(self, text):
        assert words(text) == ["the", "cat", "and", "the", "hat"]

    def test_apostrophes_are_kept(self):
        assert words("Don't stop") == ["don't", "stop"]

    def test_word_count(self, text):
        assert word_count(text) == 5

    def test_empty_text_has_no_words(self):
        assert word_count("") == 0


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("b a b c b a", 2, [("b", 3), ("a", 2)]),  # most common first
        ("z y x", 3, [("x", 1), ("y", 1), ("z", 1)]),  # ties alphabetical
    ],
)
def test_top_words(text, n, expected):
    assert top_words(text, n) == expected


class TestAverages:
    def test_average_word_length(self):
        assert average_word_length("ab abcd") == pytest.approx(3.0)

    def test_average_of_nothing_raises(self):
        with pytest.raises(ValueError, match="no words"):
            average_word_length("...")
"""


def demo_script(project_dir: Path) -> list[Reply]:
    """What the scripted model says, turn by turn."""
    from ..testing import Turn, text, tool_use

    tests = str(project_dir / "tests" / "test_textstats.py")
    return [
        Turn(text("Reading the legacy suite."), tool_use("Read", {"file_path": tests})),
        Turn(
            text(
                "Rewriting it with fixtures, plain asserts and pytest.raises; the two top_words "
                "tests become one parametrised test."
            ),
            tool_use("Write", {"file_path": tests, "content": MIGRATED}),
        ),
        Turn(
            text("Running the suite."),
            tool_use("Bash", {"command": "python3 -m pytest -q tests"}),
        ),
        Turn(
            text("Let me check the pytest docs online."),
            tool_use("Bash", {"command": "curl -s https://docs.pytest.org/"}),
        ),
        Turn(text("No network needed: the migration is done and every test passes.")),
    ]


def write_project(project_dir: Path) -> None:
    """Copy the demo project into ``project_dir`` and commit it as the starting point."""
    from ..gitops import commit_all

    shutil.copytree(DEMO_PROJECT, project_dir, dirs_exist_ok=True)
    _without_a_sandbox_if_missing(project_dir)
    commit_all(project_dir, "The legacy project before the migration")


def _without_a_sandbox_if_missing(project_dir: Path) -> None:
    """The demo's agent is our own script, so on a machine without bwrap and socat it may run
    unsandboxed (said loudly) rather than fail closed as a real run does."""
    from ..sandbox import cli_sandbox_missing

    missing = cli_sandbox_missing()
    if not missing:
        return
    config = Layout.of(project_dir).config
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[security.sandbox]\nenabled = true", "[security.sandbox]\nenabled = false"
        ),
        encoding="utf-8",
    )
    print(
        f"{missing} not installed: the demo runs its scripted agent without the OS sandbox "
        "(apt-get install bubblewrap socat for the real thing)"
    )


def run_demo(project_dir: Path | None, display: Display | None = None) -> ExitCode:
    """Create the demo project and run the harness on it against the scripted model."""
    from ..config import load_config
    from ..plugins import load_plugins
    from ..run.loop import Runner
    from ..testing import ScriptedModel

    display = display or Display(cost_note=" (simulated)")
    if project_dir is None:
        project_dir = Path(tempfile.mkdtemp(prefix="agent-harness-demo-"))
    layout = Layout.of(project_dir)
    project_dir = layout.project_dir
    if layout.config.exists():
        raise UsageError(f"{layout.config} already exists; give the demo an empty --project-dir")
    project_dir.mkdir(parents=True, exist_ok=True)
    write_project(project_dir)
    display.line(f"Demo project: {project_dir} (the pytest-refactor example)")
    with (
        tempfile.TemporaryDirectory(prefix="agent-harness-demo-home-") as home,
        _state_dir_in(Path(home) / "state"),
        ScriptedModel(demo_script(project_dir)) as model,
    ):
        env = model.env(config_dir=layout.claude_config_dir, home=Path(home))
        display.line(f"Scripted model listening on {model.url} (no network, no credentials)")
        plugins = load_plugins()
        config = load_config(
            project_dir, overrides={"max_iterations": 3}, tracker_types=plugins.tracker_types()
        )
        result = Runner(config, display, plugins=plugins, extra_env=env).run()
    return result.exit_code


@contextlib.contextmanager
def _state_dir_in(path: Path) -> Iterator[None]:
    """The demo is throwaway: its baseline copy goes to a temporary state dir, not the user's."""
    before = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(path)
    try:
        yield
    finally:
        if before is None:
            del os.environ["XDG_STATE_HOME"]
        else:
            os.environ["XDG_STATE_HOME"] = before
