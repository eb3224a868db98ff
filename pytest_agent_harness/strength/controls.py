"""Controls: changes that cannot alter behaviour, run exactly like mutants. A suite that fails
on one noticed that the source changed, not what it does: it detects mutant runs, and none of
its kills count.

Each control is placed afresh on every run, at a random statement of the file (never before a
docstring or a ``from __future__`` import, never in a class body, where a new name could be
an enum member or a field), and spelt with a fresh random token, so that a suite cannot learn
where or what the control will be: a comment line (the syntax tree is unchanged), or an
assignment to an unused name (the tree changes, the behaviour does not).
"""

from __future__ import annotations

import ast
import secrets

CONTROL = "control"
"""The operator name of a control mutant."""
KINDS = ("a comment", "an unused name")


def control_source(source: str, kind: int) -> str | None:
    """``source`` with control ``kind`` (an index of KINDS) inserted at a random statement."""
    lines = source.splitlines(keepends=True)
    places = _places(source, lines)
    if not places:
        return None
    pick = secrets.SystemRandom()
    line, indent = pick.choice(places)
    token = secrets.token_hex(pick.randint(3, 8))
    text = f"{indent}# {token}\n" if kind == 0 else f"{indent}_{token} = None\n"
    changed = "".join([*lines[: line - 1], text, *lines[line - 1 :]])
    try:
        compile(changed, "<control>", "exec")
    except (SyntaxError, ValueError):
        return None
    return changed


def _places(source: str, lines: list[str]) -> list[tuple[int, str]]:
    """(line, indentation) of each statement of the module's or a function's own body that a
    line can be inserted before."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    owners: list[ast.Module | ast.FunctionDef | ast.AsyncFunctionDef] = [tree]
    owners += [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    places: list[tuple[int, str]] = []
    for owner in owners:
        statements = owner.body
        if statements and _is_docstring(statements[0]):
            statements = statements[1:]
        if owner is tree:
            futures = [
                i
                for i, node in enumerate(statements)
                if isinstance(node, ast.ImportFrom) and node.module == "__future__"
            ]
            statements = statements[futures[-1] + 1 :] if futures else statements
        for node in statements:
            decorators = getattr(node, "decorator_list", [])
            first = min([node.lineno, *(d.lineno for d in decorators)])
            text = lines[first - 1]
            indent = text[: len(text) - len(text.lstrip())]
            if text.lstrip().startswith("@") or len(indent) == node.col_offset:
                places.append((first, indent))
    return places


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )
