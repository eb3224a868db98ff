"""The bash policy on a real parser (tree-sitter-bash): the only module that imports tree_sitter.

Every command that would run anywhere in a script (lists, pipelines, ``&``, subshells, groups,
command and process substitutions, expanding heredocs, loops, conditionals, functions) must
have an allowed, literal name. Anything the walk cannot prove safe is denied: parse errors,
names built from expansions or escapes, ``eval``/``exec``/``source`` and friends, expansions
that run code (``${x@P}``), arithmetic on variables (bash evaluates ``a[$(cmd)]`` there), and
writes outside the project or into its protected set, through redirections or a program's
own file arguments (``cp``, ``tee``, ``ln``, ...). Wrappers (``env``, ``timeout``, ``nice``,
``nohup``, ``stdbuf``, ``xargs``) and ``sh -c``/``bash -c`` are checked on what they run.

This module parses and walks the tree; the checks it applies live beside it: ``programs``
(a command's argv), ``constructs`` (expansions, arithmetic, tests, declarations) and
``redirects`` and ``writers`` (where writes go).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .constructs import Scope, check_construct
from .decision import Decision, allow, deny
from .denial import Denied, no
from .paths import PathPolicy
from .programs import check_program
from .redirects import check_redirect
from .words import static_value

MAX_DEPTH = 8


@dataclass(frozen=True, kw_only=True)
class BashPolicy:
    allowed_commands: frozenset[str]
    project_dir: Path
    writable_paths: tuple[str, ...] = ("./**",)
    protected: tuple[Path, ...] = ()
    git_writes: bool = True
    git_remotes: tuple[str, ...] = ()
    """URLs or paths the agent's git may push to or fetch from besides configured remote names."""
    """Whether the agent's git may change the repository (add, commit, branch, stash...)."""
    extra_check: Callable[[Sequence[str], BashPolicy], Decision | None] | None = field(
        default=None, compare=False
    )

    @functools.cached_property
    def paths(self) -> PathPolicy:
        return PathPolicy(
            project_dir=self.project_dir,
            allowed_paths=self.writable_paths,
            protected=self.protected,
        )


@functools.cache
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def check_command(script: str, policy: BashPolicy) -> Decision:
    """Allow or deny a whole Bash tool call."""
    try:
        _check_script(script, policy, 0)
    except Denied as denied:
        return denied.decision
    except RecursionError:
        return deny("too-complex", "the command nests too deeply to check; split it up")
    return allow()


def _check_script(script: str, policy: BashPolicy, depth: int, *, posix: bool = False) -> None:
    if depth > MAX_DEPTH:
        raise no("too-complex", "commands nested too deeply (shells in shells); simplify")
    tree = _parser().parse(script.encode())
    if tree.root_node.has_error:
        raise no("parse-error", "the command does not parse as bash; fix the syntax")
    # A function's name runs its (checked) body only after the definition ran, and only in this
    # shell: a definition counts from where it stands at the top level, and not through env,
    # xargs or a nested shell, which start programs.
    scope = Scope(posix=posix)
    for statement in tree.root_node.children:
        _walk(statement, policy, depth, scope)
        if statement.type == "function_definition":
            name = statement.child_by_field_name("name")
            if name is not None:
                scope.functions.add(name.text.decode(errors="replace"))


def _walk(node: Any, policy: BashPolicy, depth: int, scope: Scope) -> None:
    """Check ``node`` and everything under it."""
    kind = node.type
    if node.is_missing or kind == "ERROR":
        raise no("parse-error", "the command does not parse as bash; fix the syntax")
    if kind == "command":
        _command(node, policy, depth, scope)
    elif kind == "file_redirect":
        check_redirect(node, policy.paths)
    elif kind == "heredoc_redirect":
        _heredoc(node, policy, depth, scope)
    else:
        check_construct(node, scope)
    for child in node.children:
        _walk(child, policy, depth, scope)


def _command(node: Any, policy: BashPolicy, depth: int, scope: Scope) -> None:
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return  # only assignments; their values are walked
    words = [c for c in name_node.children]
    if len(words) != 1 or words[0].type != "word":
        raise no(
            "dynamic-name",
            f"'{name_node.text.decode()}' is not a plain command name; "
            "write the program's name literally",
        )
    name = static_value(words[0])
    if name is None:
        raise no("dynamic-name", f"'{words[0].text.decode()}' is not a plain command name")
    if name in scope.functions:
        return  # runs a body already checked; its arguments are walked as words
    args = [c for c in node.children_by_field_name("argument")]
    inner = check_program([name, *(static_value(a) for a in args)], policy)
    if inner is not None:  # sh -c SCRIPT, maybe wrapped: SCRIPT runs in a new shell
        _check_script(inner.text, policy, depth + inner.levels, posix=inner.posix)


def _heredoc(node: Any, policy: BashPolicy, depth: int, scope: Scope) -> None:
    """An expanding <<- heredoc: the parser leaves its body unparsed, so parse it as <<."""
    operator = node.children[0].text.decode() if node.children else ""
    start = next((c for c in node.children if c.type == "heredoc_start"), None)
    body = next((c for c in node.children if c.type == "heredoc_body"), None)
    if operator != "<<-" or start is None or body is None:
        return
    if any(q in start.text.decode(errors="replace") for q in "'\"\\"):
        return  # a quoted delimiter: the body is literal text
    text = "\n".join(line.lstrip("\t") for line in body.text.decode(errors="replace").split("\n"))
    delimiter = "AGENT_HARNESS_HEREDOC_END"
    tree = _parser().parse(f": <<{delimiter}\n{text}\n{delimiter}\n".encode())
    if tree.root_node.has_error or delimiter in text:
        raise no("heredoc-expands", "this heredoc cannot be checked; quote its delimiter")
    for child in _descendants(tree.root_node, "heredoc_body"):
        _walk(child, policy, depth, scope)


def _descendants(node: Any, kind: str) -> list[Any]:
    found = [node] if node.type == kind else []
    for child in node.children:
        found.extend(_descendants(child, kind))
    return found
