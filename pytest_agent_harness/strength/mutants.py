"""Mutants of the code under test: every site cosmic-ray's operators can change, and a seeded,
stratified sample of them that is stored so the same mutants are judged before and after.

Only cosmic-ray's parser and operators are used, as a library, in the harness's process: they
parse and rewrite source text and run none of it.
"""

from __future__ import annotations

import copy
import functools
import random
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .controls import CONTROL, control_source

SKIPPED_OPERATORS = frozenset({"VariableReplacer", "VariableInserter"})
"""Operators that need arguments per run; the rest need none."""


@dataclass(frozen=True)
class Mutant:
    file: str
    """Relative to the project, with forward slashes."""
    line: int
    operator: str
    occurrence: int
    """Which site of ``operator`` in ``file``, counted as cosmic-ray counts them."""
    scope: str = ""
    """The function or class the site is in ('' at module level)."""

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}:{self.operator}#{self.occurrence}"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mutant:
        return cls(
            file=str(data["file"]),
            line=int(data["line"]),
            operator=str(data["operator"]),
            occurrence=int(data["occurrence"]),
            scope=str(data.get("scope") or ""),
        )


def _quiet_import() -> None:
    """Import cosmic-ray's mutation module without its plugin loader (stevedore) writing an
    entry-point cache into the user's home at import: the harness writes nothing there."""
    if "cosmic_ray.mutating" in sys.modules:
        return
    from stevedore import _cache

    cache = getattr(_cache, "_c", None)
    if cache is not None:
        cache._disable_caching = True
    import cosmic_ray.mutating  # noqa: F401


@functools.cache
def _operators() -> dict[str, Any]:
    _quiet_import()
    from cosmic_ray.operators.provider import OperatorProvider

    provider = OperatorProvider()
    return {name: provider[name] for name in provider if name not in SKIPPED_OPERATORS}


def sites(project_dir: Path, files: Iterable[str]) -> list[Mutant]:
    """Every mutation site in ``files`` (relative paths), in a stable order."""
    found: list[Mutant] = []
    for file in sorted(set(files)):
        source = (project_dir / file).read_text(encoding="utf-8")
        parsed = _parse(source)
        scopes = _scopes(source)
        for name in _operators():
            for occurrence, (_node, _index, line) in enumerate(parsed.positions(name)):
                found.append(Mutant(file, line, name, occurrence, scopes.get(line, "")))
    return found


class _Parsed:
    """One file's parse tree (parso, through cosmic-ray), and each operator's mutation
    positions in it, in the order cosmic-ray counts occurrences. Parsing is most of the cost
    of applying a mutation, so a file is parsed once and each mutant is applied to a copy of
    the one node it changes, spliced into the text."""

    def __init__(self, source: str) -> None:
        from cosmic_ray.ast import get_ast

        self.source = source
        self.tree = get_ast(source)
        self.starts = [0]
        for line in source.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))
        self.found: dict[str, list[tuple[Any, int, int]]] = {}
        self.lock = threading.Lock()

    def positions(self, name: str) -> list[tuple[Any, int, int]]:
        """(node, index within the node, line) of each site of operator ``name``."""
        from cosmic_ray.ast import ast_nodes

        with self.lock:
            if name not in self.found:
                operator = _operators()[name]()
                self.found[name] = [
                    (node, index, int(start[0]))
                    for node in ast_nodes(self.tree)
                    for index, (start, _stop) in enumerate(operator.mutation_positions(node))
                ]
            return self.found[name]

    def mutated(self, name: str, occurrence: int) -> str | None:
        sites = self.positions(name)
        if occurrence >= len(sites):
            return None
        node, index, _line = sites[occurrence]
        with self.lock:  # the copy stops at the node: its parent is shared, not copied
            clone = copy.deepcopy(node, {id(node.parent): node.parent})
            changed = _operators()[name]().mutate(clone, index)
        start = self._offset(node.get_start_pos_of_prefix())
        end = self._offset(node.end_pos)
        text = "" if changed is None else changed.get_code(include_prefix=True)
        return self.source[:start] + text + self.source[end:]

    def _offset(self, position: tuple[int, int]) -> int:
        line, column = position
        return self.starts[line - 1] + column


@functools.lru_cache(maxsize=16)
def _parse(source: str) -> _Parsed:
    _quiet_import()
    return _Parsed(source)


def _scopes(source: str) -> dict[int, str]:
    """Line number to the innermost function or class around it."""
    import ast

    scopes: dict[int, str] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return scopes

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                for line in range(child.lineno, (child.end_lineno or child.lineno) + 1):
                    scopes[line] = name
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return scopes


def compiles(project_dir: Path) -> Callable[[Mutant], bool]:
    """Whether a mutant is still Python: cosmic-ray also changes the ``/`` that marks
    positional-only parameters, and a mutant that cannot compile is caught by any suite."""
    sources: dict[str, str] = {}

    def check(mutant: Mutant) -> bool:
        if mutant.file not in sources:
            sources[mutant.file] = (project_dir / mutant.file).read_text(encoding="utf-8")
        mutated = mutated_source(sources[mutant.file], mutant)
        try:
            return mutated is not None and bool(compile(mutated, mutant.file, "exec"))
        except (SyntaxError, ValueError):
            return False

    return check


def definitions(source: str) -> list[tuple[int, int, bool]]:
    """The line span of every function and class, decorators included, innermost first, and
    whether it is a function: a line run only at import (a decorator, a default) is judged
    by the tests that run the body it defines."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    spans = [
        (
            min([node.lineno, *(d.lineno for d in node.decorator_list)]),
            node.end_lineno or 0,
            not isinstance(node, ast.ClassDef),
        )
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    return sorted(spans, key=lambda span: span[1] - span[0])


def sample(
    found: Sequence[Mutant],
    size: int,
    seed: int = 0,
    valid: Callable[[Mutant], bool] = lambda mutant: True,
) -> list[Mutant]:
    """``size`` mutants spread over files, then over the functions in each file (round
    robin, each group shuffled with ``seed``), so no one big function takes the sample.
    A mutant that is not ``valid`` is passed over for the next in its group."""
    rng = random.Random(seed)
    by_file: dict[str, dict[str, list[Mutant]]] = defaultdict(lambda: defaultdict(list))
    for mutant in found:
        by_file[mutant.file][mutant.scope].append(mutant)
    queues: list[list[list[Mutant]]] = []
    for file in sorted(by_file):
        groups = [by_file[file][scope] for scope in sorted(by_file[file])]
        for group in groups:
            rng.shuffle(group)
        queues.append(groups)
    chosen: list[Mutant] = []
    while len(chosen) < size and any(any(g) for g in queues):
        for groups in queues:
            for group in groups:
                while group and len(chosen) < size:
                    if valid(mutant := group.pop()):
                        chosen.append(mutant)
                        break
                else:
                    continue
                break
            groups.sort(key=len, reverse=True)  # the next pick comes from the fullest scope
    return sorted(chosen, key=lambda m: (m.file, m.line, m.operator, m.occurrence))


def controls(files: Sequence[str], seed: int) -> list[Mutant]:
    """Two controls (``controls.py``: a comment, an unused name), each on a file picked with
    ``seed``; where in the file, and how spelt, is picked afresh on every run."""
    rng = random.Random(seed)
    return [Mutant(rng.choice(list(files)), 0, CONTROL, n) for n in range(2)] if files else []


def mutated_source(source: str, mutant: Mutant) -> str | None:
    """``source`` with ``mutant`` applied (None: the site is not there any more)."""
    if mutant.operator == CONTROL:
        return control_source(source, mutant.occurrence)
    if mutant.operator not in _operators():
        return None
    return _parse(source).mutated(mutant.operator, mutant.occurrence)


def describe(source: str, mutant: Mutant) -> str:
    """``line N: before -> after`` for feedback."""
    after = mutated_source(source, mutant)
    before_line = source.splitlines()[mutant.line - 1].strip()
    if after is None:
        return f"line {mutant.line}: {before_line} ({mutant.operator})"
    after_line = after.splitlines()[mutant.line - 1].strip()
    return f"line {mutant.line}: `{before_line}` -> `{after_line}`"
