"""The bash policy on a real parser (tree-sitter-bash): the only module that imports tree_sitter.

Every command that would run anywhere in a script (lists, pipelines, ``&``, subshells, groups,
command and process substitutions, expanding heredocs, loops, conditionals, functions) must
have an allowed, literal name. Anything the walk cannot prove safe is denied: parse errors,
names built from expansions or escapes, ``eval``/``exec``/``source`` and friends, expansions
that run code (``${x@P}``), arithmetic on variables (bash evaluates ``a[$(cmd)]`` there), and
writes outside the project through redirections. Wrappers (``env``, ``timeout``, ``nice``,
``nohup``, ``stdbuf``, ``xargs``) and ``sh -c``/``bash -c`` are checked on what they run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .commands import (
    FIND_ACTIONS,
    NEVER,
    SHELL_FLAGS,
    SHELL_LONG_OPTIONS,
    SHELLS,
    VALIDATED,
)
from .decision import Decision, allow, deny
from .git import check_git
from .paths import PathPolicy, resolve
from .words import dangerous_variable, static_value
from .wrappers import WRAPPERS, XARGS_REFUSES, WrapperError, wrapped_command

WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&", "&>|"})
SAFE_TARGETS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})
ARITH_COMPARE = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
MAX_DEPTH = 8


@dataclass(frozen=True, kw_only=True)
class BashPolicy:
    allowed_commands: frozenset[str]
    project_dir: Path
    writable_paths: tuple[str, ...] = ("./**",)
    protected: tuple[Path, ...] = ()
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


class _Denied(Exception):
    def __init__(self, decision: Decision) -> None:
        self.decision = decision


def _no(rule: str, reason: str) -> _Denied:
    return _Denied(deny(rule, reason))


def check_command(script: str, policy: BashPolicy) -> Decision:
    """Allow or deny a whole Bash tool call."""
    try:
        _check_script(script, policy, 0)
    except _Denied as denied:
        return denied.decision
    except RecursionError:
        return deny("too-complex", "the command nests too deeply to check; split it up")
    return allow()


@dataclass
class _Scope:
    """What one script has defined so far: functions callable by name, and its dialect."""

    functions: set[str] = field(default_factory=set)
    posix: bool = False


def _check_script(script: str, policy: BashPolicy, depth: int, *, posix: bool = False) -> None:
    if depth > MAX_DEPTH:
        raise _no("too-complex", "commands nested too deeply (shells in shells); simplify")
    tree = _parser().parse(script.encode())
    if tree.root_node.has_error:
        raise _no("parse-error", "the command does not parse as bash; fix the syntax")
    # A function's name runs its (checked) body only after the definition ran, and only in this
    # shell: a definition counts from where it stands at the top level, and not through env,
    # xargs or a nested shell, which start programs.
    scope = _Scope(posix=posix)
    for statement in tree.root_node.children:
        _walk(statement, policy, depth, scope)
        if statement.type == "function_definition":
            name = statement.child_by_field_name("name")
            if name is not None:
                scope.functions.add(name.text.decode(errors="replace"))


def _walk(node: Any, policy: BashPolicy, depth: int, scope: _Scope) -> None:
    kind = node.type
    if node.is_missing or kind == "ERROR":
        raise _no("parse-error", "the command does not parse as bash; fix the syntax")
    if kind == "command":
        _command(node, policy, depth, scope)
    elif kind == "expansion":
        _expansion(node)
    elif kind in ("arithmetic_expansion", "let_command") or kind.startswith("arithmetic"):
        _arithmetic(node)
    elif kind in ("file_redirect",):
        _redirect(node, policy)
    elif kind == "test_command":
        _test(node, scope)
    elif kind == "declaration_command":
        keyword = node.children[0].text.decode() if node.children else ""
        if keyword in NEVER:
            raise _no("never", f"'{keyword}' can evaluate code in its arguments; assign plainly")
        for child in node.children:
            if child.type == "variable_name":
                _variable(child.text.decode(errors="replace"))
    elif kind == "unset_command":
        names = {c.text.decode(errors="replace") for c in node.children[1:]}
        if names & (scope.functions | {"-f"}):
            raise _no("unset-function", "unsetting a function makes its name run a program again")
    elif kind == "variable_assignment" or kind == "for_statement":
        name = node.child_by_field_name("name" if kind == "variable_assignment" else "variable")
        if name is not None:
            _variable(name.text.decode(errors="replace"))
    elif kind == "heredoc_redirect":
        _heredoc(node, policy, depth, scope)
    elif kind == "heredoc_body" and "`" in node.text.decode(errors="replace"):
        raise _no(
            "heredoc-expands",
            "backticks in a heredoc run commands; quote the "
            "delimiter (<<'EOF') to keep the text literal",
        )
    elif kind == "ansi_c_string" and node.parent is not None and node.parent.type == "command_name":
        raise _no("dynamic-name", "a command name must be a plain word")
    for child in node.children:
        _walk(child, policy, depth, scope)


def _variable(name: str) -> None:
    if dangerous_variable(name):
        raise _no(
            "variable",
            f"setting {name} changes which programs run or what the shell executes; "
            "leave it as it is",
        )


def _heredoc(node: Any, policy: BashPolicy, depth: int, scope: _Scope) -> None:
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
        raise _no("heredoc-expands", "this heredoc cannot be checked; quote its delimiter")
    for child in _descendants(tree.root_node, "heredoc_body"):
        _walk(child, policy, depth, scope)


def _descendants(node: Any, kind: str) -> list[Any]:
    found = [node] if node.type == kind else []
    for child in node.children:
        found.extend(_descendants(child, kind))
    return found


def _command(node: Any, policy: BashPolicy, depth: int, scope: _Scope) -> None:
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return  # only assignments; their values are walked
    words = [c for c in name_node.children]
    if len(words) != 1 or words[0].type != "word":
        raise _no(
            "dynamic-name",
            f"'{name_node.text.decode()}' is not a plain command name; "
            "write the program's name literally",
        )
    name = static_value(words[0])
    if name is None:
        raise _no("dynamic-name", f"'{words[0].text.decode()}' is not a plain command name")
    if name in scope.functions:
        return  # runs a body already checked; its arguments are walked as words
    args = [c for c in node.children_by_field_name("argument")]
    argv: list[str | None] = [name, *(static_value(a) for a in args)]
    _argv(argv, policy, depth, scope)


def _argv(
    argv: Sequence[str | None], policy: BashPolicy, depth: int, scope: _Scope | None = None
) -> None:
    """Check one program's command line; ``scope`` is None where functions do not apply."""
    name = argv[0]
    if name is None:
        raise _no("dynamic-name", "a wrapped command's name must be a plain word")
    base = name.rsplit("/", 1)[-1]
    if name in NEVER or base in NEVER:
        raise _no(
            "never",
            f"'{name}' can run arbitrary code and is never allowed; run the "
            "command it would run directly",
        )
    if name not in policy.allowed_commands:
        allowed = ", ".join(sorted(policy.allowed_commands)[:40])
        raise _no(
            "not-allowed",
            f"'{name}' is not in the allowed commands "
            f"(security.bash.allowed_commands). Allowed: {allowed}",
        )
    if base in VALIDATED and any(a is None for a in argv):
        raise _no("dynamic-args", f"{name}'s arguments must be literal words to be checked")
    if policy.extra_check is not None and all(a is not None for a in argv):
        verdict = policy.extra_check([a or "" for a in argv], policy)
        if verdict is not None and not verdict.allowed:
            raise _Denied(verdict)
    if base == "git":
        if any(a is None for a in argv):
            raise _no("dynamic-args", "git arguments must be literal words here")
        verdict = check_git([a or "" for a in argv], policy.project_dir)
        if not verdict.allowed:
            raise _Denied(verdict)
    elif base in SHELLS:
        _shell(base, argv, policy, depth)
    elif base in WRAPPERS:
        _wrapper(base, argv, policy, depth)
    elif base == "find":
        if any(a in FIND_ACTIONS or a is None for a in argv[1:]):
            raise _no(
                "find-action",
                "find -exec/-delete/-fprint run or change things; use find "
                "to list files and act on them with separate, allowed commands",
            )
    elif base == "cd":
        target = argv[1] if len(argv) > 1 else None
        if (
            target is None
            or target.startswith(("-", "~"))
            or not policy.paths.allows(resolve(target, policy.project_dir))
        ):
            raise _no("cd-outside", "cd may only go to a literal directory inside the project")
    elif base == "read":
        for word in argv[1:]:
            if word is not None and not word.startswith("-"):
                _variable(word)
    elif base in ("printf",) and "-v" in argv[1:]:
        raise _no("printf-v", "printf -v assigns through bash evaluation; use plain printf")


def _shell(base: str, argv: Sequence[str | None], policy: BashPolicy, depth: int) -> None:
    """``sh -c SCRIPT`` has its script checked; a shell running a file was itself allowed."""
    script_follows = False
    words = list(argv[1:])
    while words:
        word = words.pop(0)
        if word is None:
            raise _no("dynamic-args", f"{base}'s arguments must be literal words to be checked")
        if word == "--" or not word.startswith(("-", "+")):
            if not script_follows:
                return  # a script file (or stdin): the project allowed the shell itself
            script = words[0] if word == "--" and words else word
            if script is None or script == "--":
                raise _no("dynamic-args", f"{base} -c needs a literal script to be checked")
            _check_script(script, policy, depth + 1, posix=base != "bash")
            return
        if word.startswith("--"):
            if word not in SHELL_LONG_OPTIONS:
                raise _no("shell-option", f"{base} {word}: run the shell without that option")
        elif word[1:] in ("o", "O"):
            option = words.pop(0) if words else None
            if option is None or option == "xtrace":
                raise _no("shell-option", f"{base} {word} xtrace: its PS4 can run code")
        elif not set(word[1:]) <= SHELL_FLAGS:
            raise _no("shell-option", f"{base} {word}: run the shell with -c and -e only")
        else:
            script_follows = script_follows or "c" in word[1:]
    if script_follows:
        raise _no("dynamic-args", f"{base} -c needs a script")


def _wrapper(base: str, argv: Sequence[str | None], policy: BashPolicy, depth: int) -> None:
    try:
        rest = wrapped_command(base, argv)
    except WrapperError as error:
        raise _no(error.rule, error.reason) from None
    if base == "xargs":
        rest = rest or ["echo"]
        program = (rest[0] or "").rsplit("/", 1)[-1]
        if program in WRAPPERS.keys() | SHELLS | XARGS_REFUSES | VALIDATED:
            raise _no(
                "xargs-arguments",
                f"xargs would give {program} arguments the policy never sees; "
                "call it directly with literal arguments",
            )
    if not rest:
        return
    if rest[0] is None:
        raise _no("dynamic-name", f"{base} must wrap a literal command name")
    _argv(rest, policy, depth + 1)


def _expansion(node: Any) -> None:
    text: str = node.text.decode(errors="replace")
    if "@" in text[2:-1] and not text.startswith("${@"):
        raise _no("expansion-code", f"{text}: transforming expansions can run code; avoid them")
    if text.startswith("${!"):
        raise _no("expansion-code", f"{text}: indirect expansion is not allowed")


def _arithmetic(node: Any) -> None:
    def names(n: Any) -> bool:
        return n.type in ("variable_name", "simple_expansion", "expansion", "word") or any(
            names(c) for c in n.children
        )

    if names(node):
        raise _no(
            "arithmetic-variable",
            "arithmetic on variables can run code hidden in their "
            "values; use literal numbers, or compute in an allowed program",
        )


def _test(node: Any, scope: _Scope) -> None:
    opener = node.children[0].text.decode() if node.children else ""
    if opener == "[[" and scope.posix:
        raise _no("posix-test", "sh has no [[ ]]: its > would be a redirection; use test or [ ]")
    for child in node.children:
        if (
            opener == "["
            and child.type == "binary_expression"
            and any(c.type in (">", "<") for c in child.children)
        ):
            raise _no(
                "test-redirect",
                "inside [ ], > and < are redirections; compare with [[ ]] or test -gt/-lt",
            )
        if child.type == "binary_expression":
            operators = {c.text.decode() for c in child.children if c.type.startswith("-")}
            operator = next(
                (c.text.decode() for c in child.children if c.text.decode() in ARITH_COMPARE), None
            )
            if operators & ARITH_COMPARE or operator:
                values = [static_value(c) for c in child.children if c.type != "test_operator"]
                if any(
                    v is None or not v.lstrip("-").isdigit()
                    for v in values
                    if v not in ARITH_COMPARE
                ):
                    raise _no(
                        "arithmetic-variable",
                        "[[ a -eq b ]] evaluates its operands as "
                        "arithmetic, which can run code; compare strings with == instead",
                    )


def _redirect(node: Any, policy: BashPolicy) -> None:
    operator = next(
        (
            c.text.decode()
            for c in node.children
            if c.type in WRITE_REDIRECTS or c.text.decode() in WRITE_REDIRECTS
        ),
        None,
    )
    if operator is None:
        return  # reads (<, <<<) are fine; the file tools' read rules do not apply to Bash
    destination = node.child_by_field_name("destination")
    if destination is None:
        raise _no("redirect", "a redirection without a target")
    if operator == ">&" and destination.type == "number":
        return  # 2>&1
    target = static_value(destination)
    if target is None:
        raise _no("redirect-dynamic", "redirect to a literal path inside the project")
    if target in SAFE_TARGETS or target == "-":
        return
    if target.startswith("~"):
        raise _no("redirect-outside", f"{target}: ~ depends on the shell; write inside the project")
    path = resolve(target, policy.project_dir)
    if not policy.paths.allows(path) or policy.paths.is_protected(path):
        raise _no(
            "redirect-outside",
            f"writing to {target} is not allowed: it is outside the "
            "project or belongs to the harness",
        )
