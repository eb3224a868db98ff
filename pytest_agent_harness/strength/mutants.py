"""Mutants of the code under test: every site cosmic-ray's operators can change, and a seeded,
stratified sample of them that is stored so the same mutants are judged before and after.

Only cosmic-ray's operators and its apply-one-mutation function are used, as a library, in
the harness's process: they parse and rewrite source text and run none of it.
"""

from __future__ import annotations

import random
import sys
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


def _operators() -> dict[str, Any]:
    _quiet_import()
    from cosmic_ray.operators.provider import OperatorProvider

    provider = OperatorProvider()
    return {name: provider[name] for name in provider if name not in SKIPPED_OPERATORS}


def sites(project_dir: Path, files: Iterable[str]) -> list[Mutant]:
    """Every mutation site in ``files`` (relative paths), in a stable order."""
    _quiet_import()
    from cosmic_ray.ast import ast_nodes, get_ast

    operators = _operators()
    found: list[Mutant] = []
    for file in sorted(set(files)):
        source = (project_dir / file).read_text(encoding="utf-8")
        tree = get_ast(source)
        scopes = _scopes(source)
        for name, operator_class in operators.items():
            operator = operator_class()
            occurrence = 0
            for node in ast_nodes(tree):
                for start, _stop in operator.mutation_positions(node):
                    line = int(start[0])
                    found.append(Mutant(file, line, name, occurrence, scopes.get(line, "")))
                    occurrence += 1
    return found


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


def definitions(source: str) -> list[tuple[int, int]]:
    """The line span of every function and class, decorators included, innermost first: a
    line run only at import (a decorator, a default) is tried first against the tests that
    run the body it defines."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    spans = [
        (min([node.lineno, *(d.lineno for d in node.decorator_list)]), node.end_lineno or 0)
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


def mutated_source(source: str, mutant: Mutant) -> str | None:
    """``source`` with ``mutant`` applied (None: the site is not there any more)."""
    _quiet_import()
    from cosmic_ray.mutating import mutate_code

    if mutant.operator == CONTROL:
        return control_source(source, mutant.occurrence)

    operator = _operators().get(mutant.operator)
    if operator is None:
        return None
    result = mutate_code(source, operator(), mutant.occurrence)
    return None if result is None else str(result)


def describe(source: str, mutant: Mutant) -> str:
    """``line N: before -> after`` for feedback."""
    after = mutated_source(source, mutant)
    before_line = source.splitlines()[mutant.line - 1].strip()
    if after is None:
        return f"line {mutant.line}: {before_line} ({mutant.operator})"
    after_line = after.splitlines()[mutant.line - 1].strip()
    return f"line {mutant.line}: `{before_line}` -> `{after_line}`"
