"""Checks on the bash constructs around commands: expansions, arithmetic, tests, declarations.

Each check looks at one parsed node (tree-sitter, though this module does not import it) and
raises ``Denied`` when bash could run code through it; the walk in ``bash.py`` visits every
node and calls ``check_construct`` on those that are not commands or redirections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .builtins import check_builtin, check_test
from .commands import NEVER
from .denial import no
from .words import dangerous_variable, literal_prefix, splits, static_value

ARITH_COMPARE = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
LITERAL_INDEX = re.compile(r"\s*\(?\s*-?\s*[0-9]+\s*\)?\s*")
"""A subscript, offset or length bash cannot evaluate into code: a literal integer."""
ARRAY_ELEMENT = re.compile(r"\[([^]]*)\]\+?=")


@dataclass
class Scope:
    """What one script has defined so far: functions callable by name, and its dialect."""

    functions: set[str] = field(default_factory=set)
    posix: bool = False
    function_dirs: dict[str, tuple[Any, frozenset[Path | None], frozenset[Path | None]]] = field(
        default_factory=dict
    )
    """Each function's definition, the directories its body was checked from, and after it."""


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
    elif kind == "subscript":
        _index(node.child_by_field_name("index"), node)
    elif kind == "array":
        _array(node)
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
    words = [keyword, *(_argument(c) for c in node.children[1:])]
    _array_reparse(node, words)
    check_builtin(keyword, [w.rstrip(DYNAMIC) if w else w for w in words])


DYNAMIC = "\x00"
"""Marks a declaration's NAME=value whose value is not literal."""


def _array_reparse(node: Any, words: list[str | None]) -> None:
    """Deny ``local -a b=$x`` (and ``declare b=$x`` for an array ``b``): for an array a
    declaration parses the expanded value again, so ``x='($(cmd))'`` runs ``cmd``."""
    arrays = _array_names(node)
    array_flag = any(w and w[:1] in "-+" and ("a" in w or "A" in w) for w in words[1:])
    for word in words[1:]:
        if word and word.endswith(DYNAMIC):
            name = word.split("=", 1)[0].rstrip("+")
            if array_flag or name in arrays:
                raise no(
                    "compound-assignment",
                    f"{words[0]} {name}=...: an array declaration parses a value that is not "
                    "literal again as code; assign the array with NAME=(...) instead",
                )


def _array_names(node: Any) -> set[str]:
    """Names the whole script declares as arrays (-a/-A) or assigns an array literal to."""
    root = node
    while root.parent is not None:
        root = root.parent
    names: set[str] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        stack.extend(item.children)
        if item.type == "variable_assignment":
            value = item.child_by_field_name("value")
            name = item.child_by_field_name("name")
            if value is not None and value.type == "array" and name is not None:
                names.add(name.text.decode(errors="replace"))
        elif item.type == "declaration_command":
            flags = [c.text.decode(errors="replace") for c in item.children if c.type == "word"]
            if any(f[:1] in "-+" and ("a" in f or "A" in f) for f in flags):
                names |= {
                    (c.child_by_field_name("name") or c).text.decode(errors="replace")
                    for c in item.children
                    if c.type in ("variable_name", "variable_assignment")
                }
    return names


def _argument(node: Any) -> str | None:
    """A declaration's or unset's word as the builtin sees it; NAME= for NAME=$value."""
    if node.type == "variable_name":
        return str(node.text.decode(errors="replace"))
    if node.type == "variable_assignment":
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        # A quoted value that reads "(...)" is parsed again as an array by a declaration.
        shown = static_value(value) if value is not None and value.type != "array" else None
        if name is None:
            return None
        text = str(name.text.decode(errors="replace")) + "="
        if shown is None and value is not None and value.type != "array":
            return text + literal_prefix(value) + DYNAMIC
        return text + (shown or "")
    value = static_value(node)
    if value is None and "=" in literal_prefix(node):
        # "NAME=$x": the name is known, the value is data (unless NAME is an array)
        return literal_prefix(node) + DYNAMIC
    return value


def _unset(node: Any, scope: Scope) -> None:
    words = _joined_words(node.children[1:])
    # As bash reads them: unset cu""rl names the function curl (tree-sitter splits that word).
    if set(words) & (scope.functions | {"-f"}) or (None in words and scope.functions):
        raise no("unset-function", "unsetting a function makes its name run a program again")
    check_builtin("unset", ["unset", *words])


def _joined_words(nodes: list[Any]) -> list[str | None]:
    """The words bash sees: nodes with no blank between them are one word (tree-sitter reads
    ``cu""rl`` as two); a word with any part not known is None."""
    groups: list[list[Any]] = []
    for item in nodes:
        if groups and groups[-1][-1].end_byte == item.start_byte:
            groups[-1].append(item)
        else:
            groups.append([item])
    words: list[str | None] = []
    for group in groups:
        parts = [
            c.text.decode(errors="replace") if c.type == "variable_name" else static_value(c)
            for c in group
        ]
        known = [p for p in parts if p is not None]
        words.append("".join(known) if len(known) == len(parts) else None)
    return words


def _expansion(node: Any) -> None:
    text: str = node.text.decode(errors="replace")
    children = node.children
    if text.startswith("${!"):
        raise no("expansion-code", f"{text}: indirect expansion is not allowed")
    if not children or children[-1].type != "}":
        raise no(
            "expansion-index",
            f"{text}: an expansion the policy cannot read; use ${{name}}, ${{name:-default}} "
            "or a literal offset (${name:1:2})",
        )
    if any(c.type == "@" for c in children):
        raise no("expansion-code", f"{text}: transforming expansions can run code; avoid them")
    first = next((i for i, c in enumerate(children[1:-1], 1) if c.type not in NAMES), None)
    if first is not None and children[first].type == ":":  # ${x:OFFSET:LENGTH}: arithmetic
        for part in children[first:-1]:
            if part.type != ":":
                _index(part, node)


NAMES = frozenset({"variable_name", "special_variable_name", "subscript", "#"})
"""What may stand between ``${`` and an expansion's operator: ``#``, then the parameter."""


def _index(index: Any, node: Any) -> None:
    """A subscript, offset or length is arithmetic: bash evaluates ``x`` there as the
    expression ``x`` holds, ``a[$(cmd)]`` included. Only literal integers (or @, *) pass."""
    text = "" if index is None else index.text.decode(errors="replace")
    if node.type == "subscript" and text in ("@", "*"):
        return
    if not LITERAL_INDEX.fullmatch(text):
        raise no(
            "expansion-index",
            f"{node.text.decode(errors='replace')}: bash evaluates a subscript, offset or "
            "length as arithmetic, which runs code hidden in a variable's value; use a literal "
            'index (${a[0]}, ${s:1:2}) or loop over the values (for v in "${a[@]}")',
        )


def _array(node: Any) -> None:
    """``a=([i]=v)``: each element's subscript is arithmetic too."""
    for child in node.children:
        element = ARRAY_ELEMENT.match(child.text.decode(errors="replace"))
        if element is not None and not LITERAL_INDEX.fullmatch(element[1]):
            raise no(
                "expansion-index",
                f"{child.text.decode(errors='replace')}: bash evaluates an array subscript as "
                "arithmetic, which can run code; use a literal index ([0]=v)",
            )


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
    leaves = _leaves(node)[1:-1]
    if opener == "[":
        deny_split("[", leaves)
    check_test([_leaf_value(leaf) for leaf in leaves], split=opener == "[")


def deny_split(name: str, words: list[Any]) -> None:
    """``[`` and ``test`` read their operators after word splitting: ``[ -f $f ]`` with
    ``f='x -o -v a[$(cmd)]'`` evaluates a subscript. Their expansions must be quoted."""
    for word in words:
        if splits(word):
            text = word.text.decode(errors="replace")
            raise no(
                "test-unquoted",
                f"{name} {text}: an unquoted expansion in test or [ ] may split into operators "
                f'(-v evaluates code); quote it: "{text}"',
            )


def _leaves(node: Any) -> list[Any]:
    if node.type == "test_command" or node.type.endswith("_expression"):
        return [leaf for child in node.children for leaf in _leaves(child)]
    return [node]


def _leaf_value(node: Any) -> str | None:
    if node.type == "test_operator" or not node.is_named:
        return str(node.text.decode(errors="replace"))
    return static_value(node)


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
