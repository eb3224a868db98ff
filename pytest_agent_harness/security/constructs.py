"""Checks on the bash constructs around commands: expansions, arithmetic, tests, declarations.

Each check looks at one parsed node (tree-sitter, though this module does not import it) and
raises ``Denied`` when bash could run code through it; the walk in ``bash.py`` visits every
node and calls ``check_construct`` on those that are not commands or redirections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .commands import NEVER
from .denial import no
from .words import dangerous_variable, static_value

ARITH_COMPARE = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})


@dataclass
class Scope:
    """What one script has defined so far: functions callable by name, and its dialect."""

    functions: set[str] = field(default_factory=set)
    posix: bool = False


def check_construct(node: Any, scope: Scope) -> None:
    """Deny ``node`` when it is a construct that can run code the walk would not see."""
    kind = node.type
    if kind == "expansion":
        _expansion(node)
    elif kind in ("arithmetic_expansion", "let_command") or kind.startswith("arithmetic"):
        _arithmetic(node)
    elif kind == "test_command":
        _test(node, scope)
    elif kind == "declaration_command":
        _declaration(node)
    elif kind == "unset_command":
        _unset(node, scope)
    elif kind in ("variable_assignment", "for_statement"):
        name = node.child_by_field_name("name" if kind == "variable_assignment" else "variable")
        if name is not None:
            check_variable(name.text.decode(errors="replace"))
    elif kind == "heredoc_body" and "`" in node.text.decode(errors="replace"):
        raise no(
            "heredoc-expands",
            "backticks in a heredoc run commands; quote the "
            "delimiter (<<'EOF') to keep the text literal",
        )
    elif kind == "ansi_c_string" and node.parent is not None and node.parent.type == "command_name":
        raise no("dynamic-name", "a command name must be a plain word")


def check_variable(name: str) -> None:
    """Deny setting a variable through which the shell or its programs find code to run."""
    if dangerous_variable(name):
        raise no(
            "variable",
            f"setting {name} changes which programs run or what the shell executes; "
            "leave it as it is",
        )


def _declaration(node: Any) -> None:
    keyword = node.children[0].text.decode() if node.children else ""
    if keyword in NEVER:
        raise no("never", f"'{keyword}' can evaluate code in its arguments; assign plainly")
    for child in node.children:
        if child.type == "variable_name":
            check_variable(child.text.decode(errors="replace"))


def _unset(node: Any, scope: Scope) -> None:
    names = {c.text.decode(errors="replace") for c in node.children[1:]}
    if names & (scope.functions | {"-f"}):
        raise no("unset-function", "unsetting a function makes its name run a program again")


def _expansion(node: Any) -> None:
    text: str = node.text.decode(errors="replace")
    if "@" in text[2:-1] and not text.startswith("${@"):
        raise no("expansion-code", f"{text}: transforming expansions can run code; avoid them")
    if text.startswith("${!"):
        raise no("expansion-code", f"{text}: indirect expansion is not allowed")


def _arithmetic(node: Any) -> None:
    def names(n: Any) -> bool:
        return n.type in ("variable_name", "simple_expansion", "expansion", "word") or any(
            names(c) for c in n.children
        )

    if names(node):
        raise no(
            "arithmetic-variable",
            "arithmetic on variables can run code hidden in their "
            "values; use literal numbers, or compute in an allowed program",
        )


def _test(node: Any, scope: Scope) -> None:
    opener = node.children[0].text.decode() if node.children else ""
    if opener == "[[" and scope.posix:
        raise no("posix-test", "sh has no [[ ]]: its > would be a redirection; use test or [ ]")
    for child in node.children:
        if child.type != "binary_expression":
            continue
        if opener == "[" and any(c.type in (">", "<") for c in child.children):
            raise no(
                "test-redirect",
                "inside [ ], > and < are redirections; compare with [[ ]] or test -gt/-lt",
            )
        _arithmetic_comparison(child)


def _arithmetic_comparison(expression: Any) -> None:
    """``a -eq b`` evaluates a and b as arithmetic: only literal numbers are safe there."""
    children = expression.children
    operators = {c.text.decode() for c in children if c.type.startswith("-")}
    operator = next((c.text.decode() for c in children if c.text.decode() in ARITH_COMPARE), None)
    if not (operators & ARITH_COMPARE or operator):
        return
    values = [static_value(c) for c in children if c.type != "test_operator"]
    if any(v is None or not v.lstrip("-").isdigit() for v in values if v not in ARITH_COMPARE):
        raise no(
            "arithmetic-variable",
            "[[ a -eq b ]] evaluates its operands as "
            "arithmetic, which can run code; compare strings with == instead",
        )
