"""The machinery of strict config reading: key declarations, kind checks, did-you-mean.

A config key is a dataclass field whose metadata holds a ``Spec`` (made by ``key``, ``table``,
``named`` or ``array``), so its TOML name, kind, default, check and help live in one place.
``Reader.read`` walks those fields generically and collects every problem with its dotted key
instead of stopping at the first, so one run of ``verify`` shows everything to fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigProblem

Kind = Literal["str", "int", "number", "bool", "list[str]", "table[str]", "table", "list[table]"]
Shape = Literal["value", "table", "named", "array"]
"""A plain value, one sub-table, a table of named sub-tables, or an array of tables."""
Check = Callable[[Any], "str | None"]
Hook = Callable[[dict[str, Any], str, Mapping[str, Any]], None]
"""Finishes one table's values in place: (values, dotted key, the raw TOML table)."""

SPEC = "agent_harness.config"
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
_SHAPE_KINDS: dict[Shape, Kind] = {"table": "table", "named": "table", "array": "list[table]"}


@dataclass(frozen=True)
class Spec:
    """How one dataclass field is read from TOML; stored in the field's metadata."""

    kind: Kind
    help: str
    check: Check | None = None
    required: bool = False
    shape: Shape = "value"
    model: type[Any] | None = None
    """The dataclass of a sub-table, of each named table, or of each array item."""
    toml: str = ""
    """Where the key lives when not under the field's name, such as ``mcp.tool_restrictions``."""
    name_check: Check | None = None
    """For named tables: a check on each table's name."""
    noun: str = "them"
    """For arrays of tables: how the 'declare them as [[name]] tables' hint calls the items."""


def key(
    default: Any = dataclasses.MISSING, kind: Kind = "str", *, help: str, check: Check | None = None
) -> Any:
    """A config key; without a default it is required."""
    spec = Spec(kind=kind, help=help, check=check, required=default is dataclasses.MISSING)
    if isinstance(default, dict):
        return dataclasses.field(default_factory=dict, metadata={SPEC: spec})
    return dataclasses.field(default=default, metadata={SPEC: spec})


def table(model: type[Any], *, help: str) -> Any:
    """A sub-table read into ``model``; absent, it is ``model()`` with every default."""
    spec = Spec(kind="table", help=help, shape="table", model=model)
    return dataclasses.field(default_factory=model, metadata={SPEC: spec})


def named(model: type[Any], *, help: str, toml: str = "", name_check: Check | None = None) -> Any:
    """A table of sub-tables keyed by a name the user picks, each read into ``model``."""
    spec = Spec(
        kind="table", help=help, shape="named", model=model, toml=toml, name_check=name_check
    )
    return dataclasses.field(default_factory=dict, metadata={SPEC: spec})


def array(model: type[Any], *, help: str, noun: str = "them") -> Any:
    """An array of tables (``[[name]]``), each read into ``model``."""
    spec = Spec(kind="list[table]", help=help, shape="array", model=model, noun=noun)
    return dataclasses.field(default=(), metadata={SPEC: spec})


def specs(model: type[Any]) -> list[tuple[dataclasses.Field[Any], Spec]]:
    """The config keys of a model, in declaration order; fields without a ``Spec`` are derived."""
    return [(f, f.metadata[SPEC]) for f in dataclasses.fields(model) if SPEC in f.metadata]


def toml_name(f: dataclasses.Field[Any], spec: Spec) -> str:
    return spec.toml or f.name


def help_for(model: type[Any], dotted: str) -> str:
    """The help text of the key at ``dotted`` under ``model``; KeyError for an unknown key.

    Array items and table names may be spelt or left out: ``phases[0].name`` and
    ``phases.name``, ``tools.mcp_servers.NAME.url`` all work.
    """
    parts = re.sub(r"\[\d+\]", "", dotted).split(".")
    while True:
        found = [(s, toml_name(f, s).split(".")) for f, s in specs(model)]
        match = [(s, path) for s, path in found if parts[: len(path)] == path]
        if not match:
            raise KeyError(dotted)
        spec, path = match[0]
        parts = parts[len(path) :]
        if parts and spec.shape == "named" and spec.model is not None:
            names = {toml_name(f, s) for f, s in specs(spec.model)}
            parts = parts if parts[0] in names else parts[1:]
        if not parts:
            return spec.help
        if spec.model is None:
            raise KeyError(dotted)
        model = spec.model


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


def _items_error(value: Any, kind: Kind) -> str | None:
    """For the container kinds: which item is not a string."""
    if kind == "list[str]":
        bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
        if bad:
            return f"expected an array of strings; item [{bad[0]}] is {describe(value[bad[0]])}"
        return None
    bad_keys = [k for k, v in value.items() if not isinstance(v, str)]
    if bad_keys:
        return f"expected strings as values; '{bad_keys[0]}' is {describe(value[bad_keys[0]])}"
    return None


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
        ok = isinstance(value, list)
    elif kind in ("table[str]", "table"):
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, list) and all(isinstance(item, dict) for item in value)
    if not ok:
        return f"expected {_KIND_NAMES[kind]}, got {describe(value)}"
    return _items_error(value, kind) if kind in ("list[str]", "table[str]") else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def join_key(prefix: str, key: str) -> str:
    if not prefix:
        return key
    return f"{prefix}{key}" if key.startswith("[") else f"{prefix}.{key}"


class Reader:
    """Reads tables into model dataclasses, collecting problems; the caller raises once.

    A value that is wrong gets its default, so reading can go on and find more. ``hooks``
    finish a model's values for what is cross-field or special (see ``loader.py``).
    """

    def __init__(self, hooks: Mapping[type[Any], Hook] | None = None) -> None:
        self.problems: list[ConfigProblem] = []
        self.hooks = dict(hooks or {})

    def problem(self, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(key=key, message=message))

    def read(self, model: type[Any], data: Mapping[str, Any], prefix: str) -> Any:
        """``model`` built from the TOML table ``data`` found at the dotted key ``prefix``."""
        keys = specs(model)
        heads: dict[str, set[str]] = {}
        for f, spec in keys:
            head, _, tail = toml_name(f, spec).rpartition(".")
            heads.setdefault(head, set()).add(tail)
        tables = {"": data}
        self.unknown(data, prefix, heads.pop("", set()) | set(heads))
        for head, tails in heads.items():
            tables[head] = self.subtable(data, prefix, head)
            self.unknown(tables[head], join_key(prefix, head), tails)
        values: dict[str, Any] = {}
        for f, spec in keys:
            head, _, tail = toml_name(f, spec).rpartition(".")
            where = join_key(prefix, head) if head else prefix
            values[f.name] = self.value(f, spec, tables[head], tail, where)
        hook = self.hooks.get(model)
        if hook is not None:
            hook(values, prefix, data)
        return model(**values)

    def unknown(self, data: Mapping[str, Any], prefix: str, known: set[str]) -> None:
        for name in data:
            if name not in known:
                hint = did_you_mean(name, known)
                self.problem(join_key(prefix, name), f"unknown key '{name}'{hint}")

    def subtable(self, data: Mapping[str, Any], prefix: str, name: str) -> dict[str, Any]:
        value = data.get(name, {})
        error = kind_error(value, "table")
        if error is not None:
            self.problem(join_key(prefix, name), error)
            return {}
        return dict(value)

    def value(
        self, f: dataclasses.Field[Any], spec: Spec, data: Mapping[str, Any], name: str, prefix: str
    ) -> Any:
        """One key's value: checked, converted (arrays to tuples, numbers to floats)."""
        key = join_key(prefix, name)
        default = _default(f)
        if spec.shape == "table":
            return self.read(_model(spec), self.subtable(data, prefix, name), key)
        if name not in data:
            if spec.required:
                self.problem(key, f"is required ({_KIND_NAMES[spec.kind]})")
            return default
        value = data[name]
        error = kind_error(value, spec.kind)
        if error is not None and spec.shape == "array":
            error = f"{error}; declare {spec.noun} as [[{name}]] tables"
        if error is None and spec.check is not None:
            error = spec.check(value)
        if error is not None:
            self.problem(key, error)
            return default
        if spec.shape == "named":
            return self.named(spec, value, key)
        if spec.shape == "array":
            return tuple(
                self.read(_model(spec), item, f"{key}[{i}]") for i, item in enumerate(value)
            )
        if spec.kind == "number":
            return float(value)
        return tuple(value) if spec.kind == "list[str]" else value

    def named(self, spec: Spec, tables: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        """Each ``[prefix.NAME]`` table read into the spec's model; a non-table is skipped."""
        out: dict[str, Any] = {}
        for name, raw in tables.items():
            key = join_key(prefix, name)
            error = spec.name_check(name) if spec.name_check else None
            if error is not None:
                self.problem(key, error)
            error = kind_error(raw, "table")
            if error is not None:
                self.problem(key, error)
                continue
            out[name] = self.read(_model(spec), raw, key)
        return out


def _default(f: dataclasses.Field[Any]) -> Any:
    """The field's default; a required key that is missing or wrong reads as ''."""
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return "" if f.default is dataclasses.MISSING else f.default


def _model(spec: Spec) -> type[Any]:
    assert spec.model is not None, "table, named and array keys name their model"
    return spec.model


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


def matches(pattern: str, message: str) -> Check:
    """Each string (or each item of an array) must match ``pattern``; ``{}`` shows the value."""
    compiled = re.compile(pattern)

    def check(value: Any) -> str | None:
        if isinstance(value, str):
            return None if compiled.match(value) else message.format(value)
        for index, item in enumerate(value):
            if not compiled.match(item):
                return f"item [{index}]: {message.format(item)}"
        return None

    return check


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


DURATION_HELP = 'expected a duration such as "45m", "8h" or "1d" (a number and s, m, h or d)'
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: object) -> float | None:
    """Seconds in ``"90m"``-style text; None when it is not one (or not positive)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", str(text))
    if match is None or float(match[1]) <= 0:
        return None
    return float(match[1]) * UNITS[match[2]]
