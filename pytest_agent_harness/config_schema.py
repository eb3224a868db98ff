"""The machinery of strict config reading: field specs, type checks, did-you-mean.

A table is read against a list of ``Field`` specs; every problem is collected with its dotted
key instead of stopping at the first, so one run of ``verify`` shows everything to fix. Adding a
key or a table to the config is adding a ``Field`` (see ``config.py``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigProblem

Kind = Literal["str", "int", "number", "bool", "list[str]", "table[str]", "table", "list[table]"]
Check = Callable[[Any], "str | None"]

_KIND_NAMES = {
    "str": "a string",
    "int": "an integer",
    "number": "a number",
    "bool": "a boolean (true or false)",
    "list[str]": "an array of strings",
    "table[str]": "a table of strings",
    "table": "a table",
    "list[table]": "an array of tables",
}

NO_DEFAULT = object()


@dataclass(frozen=True)
class Field:
    """One key of a table: its TOML kind, default, and an extra check on the value."""

    name: str
    kind: Kind
    default: Any = None
    check: Check | None = None
    required: bool = False


def describe(value: Any) -> str:
    """How TOML would call this value, for messages such as 'got a boolean (true)'."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'a string ("{shown}")'
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def kind_error(value: Any, kind: Kind) -> str | None:
    """Why ``value`` is not of ``kind``, or None. A bool is never an int, a string never a list."""
    ok: bool
    if kind == "str":
        ok = isinstance(value, str)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "list[str]":
        if isinstance(value, list):
            bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
            if bad:
                return f"expected an array of strings; item [{bad[0]}] is {describe(value[bad[0]])}"
            return None
        ok = False
    elif kind == "table[str]":
        if isinstance(value, dict):
            bad_keys = [k for k, v in value.items() if not isinstance(v, str)]
            if bad_keys:
                return (
                    f"expected strings as values; '{bad_keys[0]}' is {describe(value[bad_keys[0]])}"
                )
            return None
        ok = False
    elif kind == "table":
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, list) and all(isinstance(item, dict) for item in value)
    return None if ok else f"expected {_KIND_NAMES[kind]}, got {describe(value)}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def join_key(prefix: str, key: str) -> str:
    if not prefix:
        return key
    return f"{prefix}{key}" if key.startswith("[") else f"{prefix}.{key}"


class Reader:
    """Collects problems while reading tables; the caller raises once at the end."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(key=key, message=message))

    def table(
        self,
        data: Mapping[str, Any],
        prefix: str,
        fields: Sequence[Field],
        subtables: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Values for ``fields`` (defaults filled in); unknown keys and bad values are problems.

        A field whose value is wrong gets its default, so reading can go on and find more.
        """
        known = {f.name for f in fields} | set(subtables)
        for key in data:
            if key not in known:
                hint = did_you_mean(key, known)
                self.problem(join_key(prefix, key), f"unknown key '{key}'{hint}")
        values: dict[str, Any] = {}
        for spec in fields:
            key = join_key(prefix, spec.name)
            if spec.name not in data:
                if spec.required:
                    self.problem(key, f"is required ({_KIND_NAMES[spec.kind]})")
                values[spec.name] = spec.default
                continue
            value = data[spec.name]
            error = kind_error(value, spec.kind)
            if error is None and spec.check is not None:
                error = spec.check(value)
            if error is not None:
                self.problem(key, error)
                values[spec.name] = spec.default
            else:
                values[spec.name] = float(value) if spec.kind == "number" else value
        return values

    def subtable(self, data: Mapping[str, Any], prefix: str, name: str) -> dict[str, Any]:
        value = data.get(name, {})
        error = kind_error(value, "table")
        if error is not None:
            self.problem(join_key(prefix, name), error)
            return {}
        return dict(value)


# -- checks ------------------------------------------------------------------------------


def at_least(minimum: float) -> Check:
    def check(value: Any) -> str | None:
        return None if value >= minimum else f"must be at least {minimum:g}, got {value}"

    return check


def above(minimum: float) -> Check:
    def check(value: Any) -> str | None:
        return None if value > minimum else f"must be more than {minimum:g}, got {value}"

    return check


def in_range(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be from {low} to {high}, got {value}"

    return check


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        if value in choices:
            return None
        listed = ", ".join(f"'{c}'" for c in choices)
        return f"must be one of {listed}, got '{value}'{did_you_mean(value, choices)}"

    return check


def non_empty(value: Any) -> str | None:
    return None if str(value).strip() else "must not be empty"


def inside(base: Path, relative: str) -> Path | None:
    """``base/relative`` resolved, or None when it escapes ``base`` or is absolute."""
    if not relative or Path(relative).is_absolute() or relative.startswith("~"):
        return None
    resolved = (base / relative).resolve()
    root = base.resolve()
    if resolved != root and root not in resolved.parents:
        return None
    return resolved


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_vars(value: str, environ: Mapping[str, str], key: str, reader: Reader) -> str:
    """Replace ``${VAR}`` from the environment; an unset variable is a problem, not ''."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            reader.problem(
                key, f"environment variable {name} is not set; export it or remove ${{{name}}}"
            )
            return ""
        return environ[name]

    return _VAR.sub(replace, value)
