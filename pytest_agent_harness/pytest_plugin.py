"""The pytest11 plugin: ``pytest --agent-harness [args]`` runs the harness on the rootdir project.

It is loaded into every pytest run of everyone who installs the package, so it imports nothing
heavy and does nothing unless ``--agent-harness`` is given. With the flag, the paths, ``-k``
and ``-m`` given become the selection the ``pytest`` tracker checks: ``pytest --agent-harness
tests/legacy`` means "work until tests/legacy passes" (paths given replace the paths in
``tracking.pytest_args``). pytest's informational options (``--collect-only``, ``--fixtures``,
``--markers``, ``--version``, ``--help``) do what they do without the flag. The pytest runs the
harness makes never start the harness again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .layout import CONFIG_NAME, HARNESS_DIR_NAME, Layout

OBSERVER = "pytest_agent_harness.trackers.observer"
"""The harness loads its observer into every pytest run it makes, and only there."""

HARNESS_HELP = "run the agent harness on this project until its tracker says complete"
DIR_HELP = f"harness dir holding {CONFIG_NAME} (default: ROOTDIR/{HARNESS_DIR_NAME})"
ITERATIONS_HELP = "stop after this many agent sessions"
MODEL_HELP = "model for the agent (overrides the config)"
TRUST_HELP = "accept a harness config changed since it was trusted (CI)"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agent-harness", "agent harness")
    group.addoption("--agent-harness", action="store_true", default=False, help=HARNESS_HELP)
    group.addoption("--agent-harness-dir", default=None, help=DIR_HELP)
    group.addoption("--agent-max-iterations", type=int, default=None, help=ITERATIONS_HELP)
    group.addoption("--agent-model", default=None, help=MODEL_HELP)
    group.addoption("--agent-trust-config", action="store_true", default=False, help=TRUST_HELP)
    parser.addini("agent_harness_dir", DIR_HELP)
    parser.addini("agent_max_iterations", ITERATIONS_HELP)
    parser.addini("agent_model", MODEL_HELP)


def _setting(config: pytest.Config, option: str, ini: str) -> str | None:
    value = config.getoption(option)
    if value is None:
        value = config.getini(ini) or None
    return None if value is None else str(value)


def selection(config: pytest.Config) -> list[str]:
    """The tests the user named (paths made relative to the rootdir), ``-k`` and ``-m``."""
    args: list[str] = []
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        invoked = Path(config.invocation_params.dir)
        for arg in config.args:
            path, sep, rest = str(arg).partition("::")
            relative = os.path.relpath(invoked / path, config.rootpath)
            args.append(relative + sep + rest)
    keyword = config.getoption("keyword")
    marker = config.getoption("markexpr")
    if keyword:
        args += ["-k", str(keyword)]
    if marker:
        args += ["-m", str(marker)]
    return args


INFORMATIONAL = ("help", "version", "collectonly", "showfixtures", "show_fixtures_per_test",
                 "markers", "setuponly", "setupplan")  # fmt: skip
"""pytest's options that show something instead of running tests: with them, pytest does that."""


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if not config.getoption("agent_harness"):
        return None
    if any(config.getoption(name, default=False) for name in INFORMATIONAL):
        return None
    if config.pluginmanager.has_plugin(OBSERVER):
        return None  # a pytest run the harness itself started: just run the tests
    from .commands.exit import run_command

    project = Path(str(config.rootpath))
    harness_dir = _setting(config, "agent_harness_dir", "agent_harness_dir")
    layout = Layout.of(project, project / harness_dir if harness_dir else None)
    return run_command(lambda: _run(config, layout), layout)


def _run(config: pytest.Config, layout: Layout) -> int:
    from .commands.run import run_harness
    from .errors import UsageError

    iterations = _setting(config, "agent_max_iterations", "agent_max_iterations")
    if iterations is not None and (not iterations.isdigit() or int(iterations) < 1):
        raise UsageError(f"agent_max_iterations must be a whole number >= 1, got {iterations!r}")
    overrides: dict[str, object] = {"pytest_selection": selection(config)}
    if iterations is not None:
        overrides["max_iterations"] = int(iterations)
    model = _setting(config, "agent_model", "agent_model")
    if model:
        overrides["model"] = model
    trust = bool(config.getoption("agent_trust_config"))
    return run_harness(layout.project_dir, layout.harness_dir, overrides, trust_config=trust)
