"""The environment every git command of the harness runs in, whoever starts it.

The harness's git runs outside any sandbox, on a repository the agent could write to, with the
user's credentials in the harness's own environment. So every command gets, through
``GIT_CONFIG_PARAMETERS`` (which child gits inherit: a submodule's ``git status``, a hook's
git), settings that switch off what repository config could make git run, no system config,
no terminal prompts, and an environment without secrets or git variables that redirect it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..envvars import is_secret, without_secrets

HOOKS = "<hooks>"
"""Stands for the hooks directory of the call: an empty one the harness owns, unless a guard
has verified the user's hooks are as they were when the run started."""

HARDENING: list[tuple[str, str]] = [
    ("core.fsmonitor", "false"),
    ("core.hooksPath", HOOKS),
    ("commit.gpgSign", "false"),
    ("core.untrackedCache", "false"),
    ("submodule.recurse", "false"),
    ("core.pager", "cat"),
    ("core.editor", "true"),
    ("credential.helper", ""),
]
"""The ``-c`` settings every harness git command gets, in this order (a test removes each one to
prove it matters)."""

FIXED_VARIABLES = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": "true",
    "GIT_OPTIONAL_LOCKS": "0",
}

UNSAFE_VARIABLES = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
     "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES",
     "GIT_CONFIG", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS",
     "GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS",
     "SSH_ASKPASS", "GIT_PROXY_COMMAND", "GIT_EXEC_PATH", "GIT_TEMPLATE_DIR",
     "GIT_SEQUENCE_EDITOR"}
)  # fmt: skip
"""Variables of the harness's own environment that would send its git elsewhere (another
repository, index or object store) or make it run programs; they never reach its git."""


def empty_hooks_dir() -> Path:
    """Where git finds no hooks: ``/dev/null`` is no directory, so ``/dev/null/pre-commit``
    never exists, and nobody can put one there (nothing to create or clean up)."""
    return Path(os.devnull)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def config_parameters(hooks: Path | None = None) -> str:
    """``GIT_CONFIG_PARAMETERS`` for ``HARDENING``, hooks from ``hooks`` or the empty dir."""
    hooks_dir = str(hooks or empty_hooks_dir())
    return " ".join(
        _quote(f"{key}={hooks_dir if value == HOOKS else value}") for key, value in HARDENING
    )


def _is_unsafe(name: str) -> bool:
    return (
        is_secret(name)
        or name in UNSAFE_VARIABLES
        or name.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))
    )


def hardened_variables(hooks: Path | None = None) -> dict[str, str]:
    """The variables the harness sets on every git command it runs."""
    return {**FIXED_VARIABLES, "GIT_CONFIG_PARAMETERS": config_parameters(hooks)}


def hardened_environ(
    base: Mapping[str, str], extra: Mapping[str, str] | None = None, hooks: Path | None = None
) -> dict[str, str]:
    """``base`` without secrets or unsafe git variables, plus ``extra`` and the hardening."""
    env = {k: v for k, v in without_secrets(base).items() if not _is_unsafe(k)}
    env.update(extra or {})
    env.update(hardened_variables(hooks))
    return env


def names_to_unset(base: Mapping[str, str], keep: Mapping[str, str]) -> list[str]:
    """Which of ``base``'s variables a hardened command must not see (those in ``keep`` stay)."""
    return sorted(name for name in base if _is_unsafe(name) and name not in keep)


def run_git(args: Sequence[str], cwd: Path, hooks: Path | None = None) -> str:
    """Run one git command hardened and return its output (for the guard, which needs no
    GitPython). Raises ``subprocess.CalledProcessError`` when git fails."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=hardened_environ(os.environ, hooks=hooks),
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return result.stdout
