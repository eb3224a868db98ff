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

import dataclasses
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .decision import Decision, allow, deny
from .git import check_git
from .paths import PathPolicy, resolve

BASE_COMMANDS = frozenset(
    {"ls", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "pwd", "echo", "printf",
     "diff", "cmp", "sort", "uniq", "cut", "tr", "mkdir", "touch", "cp", "mv", "date", "true",
     "false", "test", "[", "basename", "dirname", "realpath", "readlink", "which", "file",
     "stat", "du", "df", "tee", "comm", "paste", "join", "fold", "nl", "rev", "seq", "sleep",
     "cd", "tree", "md5sum", "sha1sum", "sha256sum", "whoami", "uname", "env", "timeout",
     "nice", "nohup", "stdbuf", "column", "expand", "unexpand", "od", "hexdump", "strings",
     "yes", "export", "unset", "read", "shift", "local", "return", "exit", "break",
     "continue", "wait", "jobs", "type"}
)  # fmt: skip
"""Harmless on their own; ``rm`` is not here (a project adds it deliberately)."""

CODE_RUNNERS = frozenset(
    {"python", "python3", "node", "deno", "bun", "bash", "sh", "zsh", "dash", "ksh", "fish",
     "perl", "ruby", "php", "lua", "find", "xargs", "awk", "gawk", "sed", "make", "npm", "npx",
     "yarn", "pnpm", "pip", "pip3", "uv", "poetry", "cargo", "go", "java", "mvn", "gradle",
     "docker", "ssh", "curl", "wget", "git", "pytest", "tox", "nox", "env", "timeout", "nice",
     "nohup", "watch", "parallel", "sudo", "su"}
)  # fmt: skip
"""Programs that can run arbitrary code; ``verify`` names them when a project allows them."""

NEVER = frozenset(
    {
        "eval",
        "exec",
        "source",
        ".",
        "command",
        "builtin",
        "enable",
        "trap",
        "alias",
        "let",
        "coproc",
        "declare",
        "typeset",
        "readonly",
        "mapfile",
        "readarray",
        "sudo",
        "su",
        "hash",
        "fc",
        "history",
        "bind",
        "complete",
        "compgen",
    }
)
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
WRAPPERS = frozenset({"env", "timeout", "nice", "nohup", "stdbuf", "time", "xargs"})
FIND_ACTIONS = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls"}
)
WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>", ">&", "&>|"})
SAFE_TARGETS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})
ARITH_COMPARE = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
VALIDATED = frozenset({"pkill", "chmod", "init.sh"})
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


def _check_script(script: str, policy: BashPolicy, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _no("too-complex", "commands nested too deeply (shells in shells); simplify")
    tree = _parser().parse(script.encode())
    if tree.root_node.has_error:
        raise _no("parse-error", "the command does not parse as bash; fix the syntax")
    functions = frozenset(_function_names(tree.root_node))
    if functions:
        # Calling a function runs its body, and the walk checks every body.
        policy = dataclasses.replace(policy, allowed_commands=policy.allowed_commands | functions)
    _walk(tree.root_node, policy, depth)


def _function_names(node: Any) -> list[str]:
    names = []
    if node.type == "function_definition":
        name = node.child_by_field_name("name")
        if name is not None:
            names.append(name.text.decode(errors="replace"))
    for child in node.children:
        names.extend(_function_names(child))
    return names


def _walk(node: Any, policy: BashPolicy, depth: int) -> None:
    kind = node.type
    if node.is_missing or kind == "ERROR":
        raise _no("parse-error", "the command does not parse as bash; fix the syntax")
    if kind == "command":
        _command(node, policy, depth)
    elif kind == "expansion":
        _expansion(node)
    elif kind in ("arithmetic_expansion", "let_command") or kind.startswith("arithmetic"):
        _arithmetic(node)
    elif kind in ("file_redirect",):
        _redirect(node, policy)
    elif kind == "test_command":
        _test(node)
    elif kind == "declaration_command":
        keyword = node.children[0].text.decode() if node.children else ""
        if keyword in NEVER:
            raise _no("never", f"'{keyword}' can evaluate code in its arguments; assign plainly")
    elif kind == "heredoc_body" and "`" in node.text.decode(errors="replace"):
        raise _no(
            "heredoc-expands",
            "backticks in a heredoc run commands; quote the "
            "delimiter (<<'EOF') to keep the text literal",
        )
    elif kind == "ansi_c_string" and node.parent is not None and node.parent.type == "command_name":
        raise _no("dynamic-name", "a command name must be a plain word")
    for child in node.children:
        _walk(child, policy, depth)


def _static(node: Any) -> str | None:
    """The value of a word with no expansions, or None when it depends on run-time state."""
    kind = node.type
    text: str = node.text.decode(errors="replace")
    if kind in ("word", "number"):
        return None if "\\" in text or any(c in text for c in "*?[") else text
    if kind == "raw_string":
        return text[1:-1]
    if kind == "string":
        parts = [c for c in node.children if c.type not in ('"',)]
        if all(c.type == "string_content" for c in parts):
            return "".join(c.text.decode(errors="replace") for c in parts)
        return None
    if kind == "concatenation":
        values = [_static(c) for c in node.children]
        return None if any(v is None for v in values) else "".join(v or "" for v in values)
    return None


def _command(node: Any, policy: BashPolicy, depth: int) -> None:
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
    name = _static(words[0])
    if name is None:
        raise _no("dynamic-name", f"'{words[0].text.decode()}' is not a plain command name")
    args = [c for c in node.children_by_field_name("argument")]
    argv: list[str | None] = [name, *(_static(a) for a in args)]
    _argv(argv, policy, depth)


def _argv(argv: Sequence[str | None], policy: BashPolicy, depth: int) -> None:
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
        verdict = check_git([a or "" for a in argv])
        if not verdict.allowed:
            raise _Denied(verdict)
    elif base in SHELLS:
        _shell(argv, policy, depth)
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
        if target is None or not policy.paths.allows(resolve(target, policy.project_dir)):
            raise _no("cd-outside", "cd may only go to a literal directory inside the project")
    elif base in ("printf",) and "-v" in argv[1:]:
        raise _no("printf-v", "printf -v assigns through bash evaluation; use plain printf")


def _shell(argv: Sequence[str | None], policy: BashPolicy, depth: int) -> None:
    if "-c" not in argv[1:]:
        return  # running a script file: the shell itself was allowed
    index = list(argv).index("-c")
    script = argv[index + 1] if index + 1 < len(argv) else None
    if script is None:
        raise _no("dynamic-args", f"{argv[0]} -c needs a literal script to be checked")
    _check_script(script, policy, depth + 1)


def _wrapper(base: str, argv: Sequence[str | None], policy: BashPolicy, depth: int) -> None:
    rest = list(argv[1:])
    if base == "env":
        while rest and rest[0] is not None and (rest[0].startswith("-") or "=" in rest[0]):
            if rest[0] in ("-S", "--split-string") or rest[0].startswith(("-S", "--split")):
                raise _no("env-split", "env -S runs a string as a command; call it directly")
            rest.pop(0)
    elif base == "timeout":
        while rest and rest[0] is not None and rest[0].startswith("-"):
            rest.pop(0)
        rest = rest[1:]  # the duration
    elif base in ("nice", "stdbuf", "nohup", "time"):
        while rest and rest[0] is not None and rest[0].startswith("-"):
            flag = rest.pop(0)
            if base == "nice" and flag == "-n" and rest:
                rest.pop(0)
    elif base == "xargs":
        while rest and rest[0] is not None and rest[0].startswith("-"):
            flag = rest.pop(0)
            if flag in ("-I", "-n", "-P", "-L", "-d", "-s", "-E", "-a") and rest:
                rest.pop(0)
        if not rest:
            rest = ["echo"]
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


def _test(node: Any) -> None:
    for child in node.children:
        if child.type == "binary_expression":
            operators = {c.text.decode() for c in child.children if c.type.startswith("-")}
            operator = next(
                (c.text.decode() for c in child.children if c.text.decode() in ARITH_COMPARE), None
            )
            if operators & ARITH_COMPARE or operator:
                values = [_static(c) for c in child.children if c.type not in ("test_operator",)]
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
    target = _static(destination)
    if target is None:
        raise _no("redirect-dynamic", "redirect to a literal path inside the project")
    if target in SAFE_TARGETS or target == "-":
        return
    path = resolve(os.path.expanduser(target), policy.project_dir)
    if not policy.paths.allows(path) or policy.paths.is_protected(path):
        raise _no(
            "redirect-outside",
            f"writing to {target} is not allowed: it is outside the "
            "project or belongs to the harness",
        )
