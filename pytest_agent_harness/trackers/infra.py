"""The project's test infrastructure: fingerprinted inside the run, compared with the baseline.

``fingerprint`` (called by the observer inside each of the harness's pytest runs, on duck-typed
pytest objects: this module imports no pytest) records the hook implementations conftests and
plugins register (by hook, place and a digest of their source), the effective pytest
configuration and the plugins loaded. A change that can decide outcomes or which tests run (a
hook that reports, collects or runs tests added or altered; addopts that select, ignore or
disable plugins; other test paths or name patterns; more ignored files; a plugin gone) is a
warning until a person accepts it with ``agent-harness baseline --accept``. New fixtures,
markers and harmless hooks are not.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from pathlib import Path
from typing import Any

OBSERVER = "pytest_agent_harness.trackers.observer"
"""The observer plugin's module, which ``-p`` loads and pytest registers under this name."""
RECORD_OPTION = "--agent-harness-record"
"""The observer's option: the file, made by the harness, that it writes its record to."""

ACCEPT = "a person accepts it with `agent-harness baseline --accept`"
OUTCOME_HOOKS = frozenset(
    {
        "pytest_cmdline_main",
        "pytest_collection",
        "pytest_collection_modifyitems",
        "pytest_collection_finish",
        "pytest_collect_file",
        "pytest_collect_directory",
        "pytest_collectstart",
        "pytest_collectreport",
        "pytest_deselected",
        "pytest_fixture_setup",
        "pytest_generate_tests",
        "pytest_ignore_collect",
        "pytest_itemcollected",
        "pytest_make_collect_report",
        "pytest_pycollect_makeitem",
        "pytest_pycollect_makemodule",
        "pytest_pyfunc_call",
        "pytest_sessionfinish",
        "pytest_sessionstart",
    }
)
"""Besides every ``pytest_runtest*`` and ``pytest_report_*`` hook."""
SELECTING_OPTIONS = frozenset(
    {
        *("-k", "-m", "-p", "-o", "-c", "--deselect", "--ignore", "--ignore-glob", "--lf"),
        *("--last-failed", "--ff", "--sw", "--stepwise", "--stepwise-skip", "--noconftest"),
        *("--confcutdir", "--rootdir", "--override-ini", "--config-file", "--pyargs", "--co"),
        *("--collect-only", "--collectonly", "--continue-on-collection-errors", "--import-mode"),
    }
)
_WITH_VALUE = frozenset({"-k", "-m", "-p", "-o", "-c", "--deselect", "--ignore", "--ignore-glob"})
COLLECTING_SETTINGS = (
    "testpaths",
    "python_files",
    "python_classes",
    "python_functions",
    "norecursedirs",
    "xfail_strict",
)


def outcome_hook(name: str) -> bool:
    return name in OUTCOME_HOOKS or name.startswith(("pytest_runtest", "pytest_report_"))


def changes(before: dict[str, Any] | None, now: dict[str, Any] | None) -> list[str]:
    """Warnings for what changed in the test infrastructure since the baseline.

    A baseline taken when pytest could not get far enough to be observed (``before`` None) is
    compared on the project's own hook implementations only (conftests, local plugins), not on
    the installed plugins'.
    """
    if now is None:
        return []
    hooks = now.get("hooks") or {}
    if before is None:
        hooks = {
            hook: [i for i in impls if isinstance(i, dict) and ".py:" in str(i.get("impl"))]
            for hook, impls in hooks.items()
            if isinstance(impls, list)
        }
        before = {}
    return [
        *_hooks(before.get("hooks") or {}, hooks),
        *_settings(before.get("config") or {}, now.get("config") or {}),
        *_plugins(before.get("plugins") or [], now.get("plugins") or []),
    ]


def _hooks(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    warnings = []
    for hook, impls in sorted(now.items()):
        if not outcome_hook(hook) or not isinstance(impls, list):
            continue
        known = {
            str(i.get("impl")): str(i.get("digest"))
            for i in before.get(hook) or ()
            if isinstance(i, dict)
        }
        for impl in impls:
            if not isinstance(impl, dict):
                continue
            name, digest = str(impl.get("impl")), str(impl.get("digest"))
            if name not in known:
                what = "added"
            elif known[name] != digest:
                what = "changed"
            else:
                continue
            warnings.append(
                f"test infrastructure: {name} ({hook}, which can decide test outcomes or which "
                f"tests run) was {what} since the baseline; {ACCEPT}"
            )
    return warnings


def _settings(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    warnings = []
    old = _options(before.get("addopts") or [])
    for option in _options(now.get("addopts") or []):
        if option not in old:
            warnings.append(
                f"test infrastructure: addopts gained `{option}`, which selects, ignores or "
                f"disables tests or plugins; {ACCEPT}"
            )
    for key in COLLECTING_SETTINGS:
        if key in before and before.get(key) != now.get(key):
            warnings.append(
                f"test infrastructure: the pytest setting {key} changed from "
                f"{before.get(key)!r} to {now.get(key)!r}; {ACCEPT}"
            )
    old_ignores = before.get("collect_ignore") or {}
    for where, entries in sorted((now.get("collect_ignore") or {}).items()):
        added = sorted(set(entries) - set(old_ignores.get(where) or ()))
        if added:
            warnings.append(f"test infrastructure: {where} now ignores {added}; {ACCEPT}")
    return warnings


def _options(addopts: list[str]) -> list[str]:
    """The addopts words that select, ignore or disable: options of that kind with their
    values, and paths (which narrow what is collected)."""
    words = [str(word) for word in addopts]
    found = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        name = word.split("=", 1)[0]
        if not word.startswith("-"):
            found.append(word)
        elif name in SELECTING_OPTIONS or name[:2] in ("-k", "-m", "-p", "-o"):
            if "=" not in word and name in _WITH_VALUE and index < len(words):
                word = f"{word} {words[index]}"
                index += 1
            found.append(word)
    return found


def _plugins(before: list[str], now: list[str]) -> list[str]:
    gone = sorted(set(before) - set(now))
    return [
        f"test infrastructure: the pytest plugin {name} is no longer loaded; {ACCEPT}"
        for name in gone
    ]


# -- recording, inside the harness's pytest run (duck-typed: no pytest import) ---------------


def _builtin(impl: Any) -> bool:
    module = str(getattr(impl.function, "__module__", "") or "")
    return module == "pytest" or module.startswith(("_pytest.", "pluggy.", OBSERVER))


def _where(function: Any, root: Path) -> str:
    code = getattr(function, "__code__", None)
    if code is not None:
        path = Path(code.co_filename)
        if root in path.parents:
            return path.relative_to(root).as_posix()
    return str(getattr(function, "__module__", "") or "?")


def impl_name(impl: Any, root: Path) -> str:
    function = impl.function
    return f"{_where(function, root)}:{getattr(function, '__qualname__', '?')}"


def impl_names(caller: Any, root: Path) -> str:
    """The implementations of a hook that are not pytest's: the project's own (conftests, local
    plugins) when it has any, else the installed plugins'."""
    found = [impl_name(impl, root) for impl in caller.get_hookimpls() if not _builtin(impl)]
    local = [name for name in found if ".py:" in name]
    return ", ".join(local or found) or "no hook outside pytest (was the test patched?)"


def _digest(function: Any) -> str:
    """What a function does, not where it is: its bytecode, names and constants (nested code
    objects included), so an edited body changes it and a moved one does not."""
    digest = hashlib.sha256()
    _feed(digest, getattr(function, "__code__", None), function)
    return digest.hexdigest()[:16]


def _feed(digest: Any, code: Any, function: Any) -> None:
    if code is None:
        digest.update(repr(function).encode())
        return
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if inspect.iscode(const):
            _feed(digest, const, None)
        else:
            digest.update(repr(const).encode())


def fingerprint(config: Any, root: Path) -> dict[str, Any]:
    """The project's test infrastructure as this run sees it."""
    manager = config.pluginmanager
    hooks: dict[str, list[dict[str, str]]] = {}
    for name in sorted(vars(manager.hook)):
        caller = getattr(manager.hook, name)
        if not name.startswith("pytest_") or not hasattr(caller, "get_hookimpls"):
            continue
        found = [
            {"impl": impl_name(impl, root), "digest": _digest(impl.function)}
            for impl in caller.get_hookimpls()
            if not _builtin(impl)
        ]
        if found:
            hooks[name] = found
    settings: dict[str, Any] = {}
    for key in (
        "addopts",
        "testpaths",
        "python_files",
        "python_classes",
        "python_functions",
        "norecursedirs",
        "markers",
        "xfail_strict",
    ):
        try:
            value = config.getini(key)
        except (ValueError, KeyError):
            continue
        settings[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    ignores: dict[str, list[str]] = {}
    plugins: list[str] = []
    for name, plugin in manager.list_name_plugin():
        module = getattr(plugin, "__name__", None) or type(plugin).__module__
        source = str(getattr(plugin, "__file__", "") or "")
        if os.path.basename(source) == "conftest.py":
            where = _where_file(Path(source), root)
            for key in ("collect_ignore", "collect_ignore_glob"):
                value = getattr(plugin, key, None)
                if value:
                    ignores[f"{where}:{key}"] = sorted(str(v) for v in value)
        elif plugin is not None and not str(module).startswith(("_pytest", "pytest.", OBSERVER)):
            plugins.append(str(name))
    settings["collect_ignore"] = ignores
    return {"hooks": hooks, "config": settings, "plugins": sorted(set(plugins))}


def _where_file(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if root in path.parents else str(path)
