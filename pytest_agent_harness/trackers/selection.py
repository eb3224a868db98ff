"""Which tests a pytest command line selects, decided without pytest.

A baseline records the arguments it was taken with. A later run with other arguments (``pytest
--agent-harness tests/unit -k fast``) is held to the baseline tests it selects: the paths
(node id prefixes), ``-k`` (a case-insensitive substring of any name in the node id, or of a
keyword the observer recorded), ``-m`` (a marker the test had), ``--deselect`` and ``--ignore``.
An expression this module cannot read selects every test, so a narrowing never hides more than
it should.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_VALUE_OPTIONS = frozenset(
    {
        *("-k", "-m", "-p", "-o", "-c", "-W", "-n", "-r", "--deselect", "--ignore"),
        *("--ignore-glob", "--rootdir", "--basetemp", "--confcutdir", "--override-ini"),
        *("--config-file", "--maxfail", "--tb", "--junitxml", "--junit-xml", "--durations"),
        *("--log-level", "--import-mode", "--capture", "--color", "--timeout", "--cov"),
        *("--cov-report", "--numprocesses", "--dist", "--junit-prefix", "--log-file"),
        *("--log-cli-level", "--doctest-glob"),
    }
)
_SKIP_DIRS = frozenset({".git", ".tox", ".nox", ".venv", "venv", "node_modules", "__pycache__"})


def without_paths(args: Sequence[str]) -> list[str]:
    """``args`` without the test paths they name: their options, to run other tests with."""
    kept: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("-"):
            continue
        kept.append(arg)
        if "=" not in arg and arg in _VALUE_OPTIONS and index < len(args):
            kept.append(args[index])
            index += 1
    return kept


@dataclass(frozen=True)
class Selection:
    paths: tuple[str, ...] = ()
    keyword: str = ""
    marker: str = ""
    deselect: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @classmethod
    def parse(cls, args: Sequence[str], project_dir: Path) -> Selection:
        paths: list[str] = []
        values: dict[str, list[str]] = {}
        index = 0
        while index < len(args):
            arg = args[index]
            index += 1
            if not arg.startswith("-"):
                if _looks_like_path(arg, project_dir):  # else the value of an unknown option
                    paths.append(_relative(arg, project_dir))
                continue
            name, eq, value = arg.partition("=")
            if not eq and len(arg) > 2 and arg[:2] in ("-k", "-m") and not arg.startswith("--"):
                name, value, eq = arg[:2], arg[2:], "="
            if eq:
                values.setdefault(name, []).append(value)
            elif name in _VALUE_OPTIONS and index < len(args):
                values.setdefault(name, []).append(args[index])
                index += 1
        return cls(
            paths=tuple(sorted(set(paths))),
            keyword=" and ".join(f"({k})" for k in values.get("-k", ())),
            marker=" and ".join(f"({m})" for m in values.get("-m", ())),
            deselect=tuple(_relative(d, project_dir) for d in values.get("--deselect", ())),
            ignore=tuple(_relative(i, project_dir) for i in values.get("--ignore", ())),
        )

    def selects(self, nodeid: str, tags: dict[str, list[str]] | None = None) -> bool:
        """Whether this selection picks the test ``nodeid`` (with the baseline's ``tags``)."""
        tags = tags or {}
        if self.paths and not any(_under(nodeid, path) for path in self.paths):
            return False
        if any(_under(nodeid, path) for path in (*self.deselect, *self.ignore)):
            return False
        if self.keyword:
            names = [*_names(nodeid), *tags.get("keywords", ()), *tags.get("markers", ())]
            lowered = [name.lower() for name in names]
            if not _evaluate(self.keyword, lambda word: any(word.lower() in n for n in lowered)):
                return False
        if self.marker:
            markers = set(tags.get("markers", ()))
            if not _evaluate(self.marker, lambda word: word.split("(", 1)[0] in markers):
                return False
        return True


def _looks_like_path(arg: str, project_dir: Path) -> bool:
    """A word read as a path narrows the check, so only what surely is one: it exists, or it
    has a path's shape (a slash, ``::``, ``.py``)."""
    path = arg.split("::", 1)[0]
    return "/" in arg or "::" in arg or path.endswith(".py") or (project_dir / path).exists()


def _relative(arg: str, project_dir: Path) -> str:
    path, sep, rest = arg.partition("::")
    if os.path.isabs(path):
        path = os.path.relpath(path, project_dir)
    path = os.path.normpath(path).replace(os.sep, "/")
    return ("" if path == "." else path) + sep + rest


def _under(nodeid: str, path: str) -> bool:
    if not path:
        return True
    base = path.rstrip("/")
    return nodeid == base or nodeid.startswith((base + "::", base + "/", base + "["))


def _names(nodeid: str) -> list[str]:
    path, _, rest = nodeid.partition("::")
    return [*path.split("/"), *(rest.split("::") if rest else ())]


_TOKEN = re.compile(r"\s*(\(|\)|[\w:+\-.\[\]\\/]+(?:\([^)]*\))?)")


def _evaluate(expression: str, matches: Callable[[str], bool]) -> bool:
    """pytest's ``-k``/``-m`` grammar (``or``, ``and``, ``not``, parentheses); True when the
    expression cannot be read, so that an odd expression never narrows a check."""
    tokens = _tokens(expression)
    if tokens is None:
        return True
    position = 0

    def expr() -> bool:
        nonlocal position
        value = conjunction()
        while position < len(tokens) and tokens[position] == "or":
            position += 1
            value = conjunction() or value
        return value

    def conjunction() -> bool:
        nonlocal position
        value = negation()
        while position < len(tokens) and tokens[position] == "and":
            position += 1
            value = negation() and value
        return value

    def negation() -> bool:
        nonlocal position
        if position >= len(tokens):
            raise ValueError("unexpected end")
        token = tokens[position]
        position += 1
        if token == "not":
            return not negation()
        if token == "(":
            value = expr()
            if position >= len(tokens) or tokens[position] != ")":
                raise ValueError("unbalanced")
            position += 1
            return value
        if token in (")", "and", "or"):
            raise ValueError(token)
        return matches(token)

    try:
        result = expr()
    except ValueError:
        return True
    return result if position == len(tokens) else True


def _tokens(expression: str) -> list[str] | None:
    tokens: list[str] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def test_files(project_dir: Path, paths: Iterable[str]) -> list[str]:
    """Test files (``test_*.py``, ``*_test.py``) under the selected paths, for a baseline of a
    project whose tests pytest could not even collect."""
    found: set[str] = set()
    roots = [p.split("::")[0] for p in paths] or [""]
    for root in roots:
        start = project_dir / root
        if start.is_file():
            found.add(root)
            continue
        for folder, dirs, files in os.walk(start):
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
            for name in files:
                if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                    found.add(Path(folder, name).relative_to(project_dir).as_posix())
    return sorted(found)
