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

from .constructs import Scope, check_construct, deny_split
from .cwd import UNKNOWN, Dirs, start
from .decision import Decision, allow, deny
from .denial import Denied, no
from .paths import PathPolicy
from .programs import cd_target, check_program
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
        _check_script(script, policy, 0, start(policy.project_dir))
    except Denied as denied:
        return denied.decision
    except RecursionError:
        return deny("too-complex", "the command nests too deeply to check; split it up")
    return allow()


LITERAL_CONTEXTS = frozenset({"raw_string", "comment"})


def _check_continuations(source: bytes, root: Any) -> None:
    """Deny a backslash-newline where bash joins the lines before reading the words.

    tree-sitter splits ``tee .\\<newline>git/config`` into two words; bash joins them into
    ``.git/config`` first. Both agree after a blank (``ls \\<newline> -la``: two words either
    way), in single quotes, comments and quoted heredocs; anywhere else it is denied.
    """
    at = source.find(b"\\\n")
    while at != -1:
        run = len(source[: at + 1]) - len(source[: at + 1].rstrip(b"\\"))
        between_words = at > 0 and source[at - 1 : at] in (b" ", b"\t")
        if run % 2 == 1 and not between_words and not _literal_at(root, at):
            raise no(
                "line-continuation",
                "a backslash at the end of a line joins it to the next before bash reads "
                "the words; write the command on one line",
            )
        at = source.find(b"\\\n", at + 1)


def _literal_at(root: Any, offset: int) -> bool:
    node = root.descendant_for_byte_range(offset, offset + 1)
    while node is not None:
        if node.type in LITERAL_CONTEXTS:
            return True
        if node.type == "heredoc_body":
            start = next((c for c in node.parent.children if c.type == "heredoc_start"), None)
            quoted = start is not None and any(q in start.text for q in (b"'", b'"', b"\\"))
            return quoted
        node = node.parent
    return False


@dataclass(frozen=True)
class Walk:
    """What every check in one script needs besides the node and the directories."""

    policy: BashPolicy
    depth: int
    scope: Scope


Flow = tuple[Dirs, Dirs]
"""The directories the shell may be in after a statement: when it succeeded, when it failed."""


def _check_script(
    script: str, policy: BashPolicy, depth: int, dirs: Dirs, *, posix: bool = False
) -> None:
    if depth > MAX_DEPTH:
        raise no("too-complex", "commands nested too deeply (shells in shells); simplify")
    source = script.encode()
    tree = _parser().parse(source)
    if tree.root_node.has_error:
        raise no("parse-error", "the command does not parse as bash; fix the syntax")
    _check_continuations(source, tree.root_node)
    # A function's name runs its (checked) body only after the definition ran, and only in this
    # shell: a definition counts from where it stands at the top level, and not through env,
    # xargs or a nested shell, which start programs.
    walk = Walk(policy, depth, Scope(posix=posix))
    for statement, background in _statements(tree.root_node.children):
        ok, failed = _walk(statement, walk, dirs)
        dirs = dirs if background else ok | failed
        if statement.type == "function_definition":
            name = statement.child_by_field_name("name")
            if name is not None:
                walk.scope.functions.add(name.text.decode(errors="replace"))


def _statements(children: list[Any]) -> list[tuple[Any, bool]]:
    """Each child with whether ``&`` follows it (it then runs in a subshell of its own)."""
    return [
        (child, index + 1 < len(children) and children[index + 1].type == "&")
        for index, child in enumerate(children)
    ]


def _walk(node: Any, walk: Walk, dirs: Dirs) -> Flow:
    """Check ``node`` and everything under it, run from any of ``dirs``."""
    kind = node.type
    if node.is_missing or kind == "ERROR":
        raise no("parse-error", "the command does not parse as bash; fix the syntax")
    if kind == "command":
        return _command(node, walk, dirs)
    if kind == "file_redirect":
        for cwd in dirs:
            check_redirect(node, walk.policy.paths, cwd)
    elif kind == "heredoc_redirect":
        _heredoc(node, walk, dirs)
    else:
        check_construct(node, walk.scope)
    if kind == "list":
        return _list(node, walk, dirs)
    if kind == "redirected_statement" and node.children and node.children[0].type == "list":
        # tree-sitter hangs the redirection of ``a && b > f`` on the list; bash, on b alone
        return _list(node.children[0], walk, dirs, node.children[1:])
    if kind == "negated_command":
        ok, failed = _sequence(node.children, walk, dirs)
        return failed, ok
    if kind == "function_definition":
        return _function(node, walk, dirs)
    after = _sequence(node.children, walk, dirs)
    if kind in SUBSHELLS:
        return dirs, dirs
    if kind in LOOPS and after[0] | after[1] != dirs:  # a cd that repeats: sub, sub/sub, ...
        again = dirs | after[0] | after[1] | UNKNOWN
        after = _sequence(node.children, walk, again)
        return again | after[0], again | after[1]
    if kind in BRANCHES:  # a branch may not run at all
        return dirs | after[0] | after[1], dirs | after[0] | after[1]
    return after


SUBSHELLS = frozenset({"subshell", "pipeline", "command_substitution", "process_substitution"})
LOOPS = frozenset({"while_statement", "for_statement", "c_style_for_statement"})
BRANCHES = frozenset({"if_statement", "elif_clause", "else_clause", "case_statement"})
REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})


def _sequence(children: list[Any], walk: Walk, dirs: Dirs) -> Flow:
    """Children one after another; a redirection applies from where its statement starts."""
    ok = failed = start_dirs = dirs
    last = len(children) - 1
    for index, child in enumerate(children):
        if child.type in REDIRECTS:
            _walk(child, walk, start_dirs)
            continue
        ok, failed = _walk(child, walk, dirs)
        if index < last and children[index + 1].type == "&":
            ok = failed = dirs  # a background job runs in a subshell of its own
        dirs = ok if ok is failed else ok | failed
    return ok, failed


def _list(node: Any, walk: Walk, dirs: Dirs, redirects: Sequence[Any] = ()) -> Flow:
    """``a && b`` runs b only where a succeeded, ``a || b`` only where it failed."""
    left, operator, right = node.children[0], node.children[1], node.children[-1]
    ok, failed = _walk(left, walk, dirs)
    if operator.type == "&&":
        right_ok, right_failed = _sequence([right, *redirects], walk, ok)
        return right_ok, failed | right_failed
    right_ok, right_failed = _sequence([right, *redirects], walk, failed)
    return ok | right_ok, right_failed


def _function(node: Any, walk: Walk, dirs: Dirs) -> Flow:
    """The body is checked from where the function is defined; calls are held to that."""
    ok, failed = _sequence(node.children, walk, dirs)
    name = node.child_by_field_name("name")
    if name is not None:
        walk.scope.function_dirs[name.text.decode(errors="replace")] = (node, dirs, ok | failed)
    return dirs, dirs


def _command(node: Any, walk: Walk, dirs: Dirs) -> Flow:
    name_node = node.child_by_field_name("name")
    if name_node is None:  # only assignments; their values are walked
        return _sequence(node.children, walk, dirs)
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
    if name in walk.scope.functions:
        _sequence(node.children, walk, dirs)  # its arguments are walked as words
        return _call(name, walk, dirs)
    args = [c for c in node.children_by_field_name("argument")]
    if name in ("test", "["):
        deny_split(name, args)
    argv = [name, *(static_value(a) for a in args)]
    inner = check_program(argv, walk.policy, dirs)
    if inner is not None:  # sh -c SCRIPT, maybe wrapped: SCRIPT runs in a new shell
        _check_script(inner.text, walk.policy, walk.depth + inner.levels, dirs, posix=inner.posix)
    _sequence(node.children, walk, dirs)
    return _moved(argv, walk.policy, dirs)


def _call(name: str, walk: Walk, dirs: Dirs) -> Flow:
    """A call runs the body from where the caller is: checked again if that is elsewhere."""
    definition = walk.scope.function_dirs.get(name)
    if definition is None:
        return dirs, dirs
    node, defined, after = definition
    if not dirs <= defined:
        return _sequence(node.children, walk, dirs)
    return (dirs, dirs) if after == defined else (dirs | after, dirs | after)


def _moved(argv: list[str | None], policy: BashPolicy, dirs: Dirs) -> Flow:
    """Where the shell is after a command: only cd, pushd and popd (and ``time cd``) move it."""
    words = argv[1:] if argv[0] == "time" else argv
    while words and words[0] in ("-p", "--") and argv[0] == "time":
        words = words[1:]
    program = words[0] if words else None
    if program in ("cd", "pushd"):
        return cd_target(words, policy, dirs), dirs
    if program == "popd":
        return UNKNOWN, dirs
    return dirs, dirs


def _heredoc(node: Any, walk: Walk, dirs: Dirs) -> None:
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
        _walk(child, walk, dirs)


def _descendants(node: Any, kind: str) -> list[Any]:
    found = [node] if node.type == kind else []
    for child in node.children:
        found.extend(_descendants(child, kind))
    return found
