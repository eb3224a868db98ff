"""A harness for long-running coding agents where the harness, not the agent, decides what passes.

Importing the package is cheap: the SDK, GitPython, junitparser and tree-sitter load only
when the part of the harness that needs them runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["ConfigError", "ExitCode", "HarnessError", "__version__", "hookimpl", "load_config"]

if TYPE_CHECKING:
    from .config import load_config
    from .errors import ConfigError, ExitCode, HarnessError
    from .markers import hookimpl

_LAZY = {
    "load_config": ".config",
    "ConfigError": ".errors",
    "ExitCode": ".errors",
    "HarnessError": ".errors",
    "hookimpl": ".markers",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module, __name__), name)
