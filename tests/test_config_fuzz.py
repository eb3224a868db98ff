"""Random and mutated config files never produce a traceback: only ConfigErrors naming a key."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agent_harness.commands.init import render_config
from pytest_agent_harness.config import load_config
from pytest_agent_harness.errors import ConfigError

pytestmark = pytest.mark.fuzz

KEYS = ["model", "max_turns", "max_iterations", "auto_continue_delay", "tools", "builtin",
        "security", "sandbox", "bash", "allowed_commands", "tracking", "type", "file",
        "evidence", "phases", "name", "prompt", "condition", "run_once", "init_files",
        "source", "dest", "budget", "max_cost_usd", "git", "author", "mcp_servers", "command",
        "url", "error_recovery", "max_consecutive_errors", "blocked_patterns", "junit_paths"]  # fmt: skip
SCALARS = st.one_of(
    st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "file:../x", "exists:..", "not_exists:a", "(", "x", "json_checklist",
                     "pytest", "junit", "${UNSET_VAR_XYZ}", "a <b@c>", "http://h/"]),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)


def attempt(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        harness = Path(tmp) / ".agent-harness"
        harness.mkdir()
        (harness / "config.toml").write_text(text)
        try:
            load_config(Path(tmp))
        except ConfigError as exc:
            error = exc
        else:
            return  # a valid config is fine too
        assert error.problems
        assert all(p.message for p in error.problems)
        # Every problem names the file, and one inside the document names its key or line.
        path = harness / "config.toml"
        assert all(p.render(path).startswith(f"{path}") for p in error.problems)
        assert error.path == path
        assert all(p.key or p.line is not None or "file" in p.message for p in error.problems)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_random_configs_give_config_errors_only(data: dict[str, Any]) -> None:
    attempt(tomli_w.dumps(data))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(position=st.integers(0, 5000), cut=st.integers(0, 40), junk=st.text(max_size=12))
def test_mutated_scaffold_configs_give_config_errors_only(
    position: int, cut: int, junk: str
) -> None:
    text = render_config()
    position %= len(text)
    attempt(text[:position] + junk + text[position + cut :])
