"""Checks on one program's command line (argv), as the bash walk found it.

A name must be allowed and never one of the builtins that evaluate code; some programs have
their arguments checked too: git by the git policy, wrappers (``env``, ``timeout``, ``xargs``,
...) on the command they run, ``find`` without actions, ``cd`` into the project but not into
its protected set, programs that write files on their file arguments (``writers``), and
shells on their options. A shell's ``-c`` script is not parsed here: ``check_program``
returns it for the walk to check like any other script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .builtins import check_builtin
from .commands import FIND_ACTIONS, NEVER, SHELL_FLAGS, SHELL_LONG_OPTIONS, SHELLS, VALIDATED
from .cwd import Dirs, at_root, change
from .denial import Denied, no
from .git import check_git
from .wrappers import WRAPPERS, XARGS_REFUSES, WrapperError, wrapped_command
from .writers import CHECKED_WRITERS, check_writes

if TYPE_CHECKING:
    from .bash import BashPolicy

Argv = Sequence[str | None]
"""A command line; None stands for a word whose value is not known before it runs."""


@dataclass(frozen=True)
class InnerScript:
    """A script a shell on the command line would run (``sh -c SCRIPT``), still to be checked."""

    text: str
    posix: bool
    levels: int = 1
    """How many programs deep it runs: 1 for ``sh -c``, 2 for ``env sh -c``."""

    def wrapped(self) -> InnerScript:
        return replace(self, levels=self.levels + 1)


def check_program(argv: Argv, policy: BashPolicy, dirs: Dirs) -> InnerScript | None:
    """Deny a command line the policy does not allow, run from any of ``dirs``; return the
    script it gives a shell."""
    name = _allowed_name(argv, policy)
    base = name.rsplit("/", 1)[-1]
    if "/" in name and not name.startswith("/") and not at_root(dirs, policy.project_dir):
        raise no(
            "cwd-program",
            f"{name} names a file relative to the directory a cd moved to, not the project's; "
            f"run it from the project root (cd back first, or (cd sub && ...) in a subshell)",
        )
    if base in VALIDATED and any(a is None for a in argv):
        raise no("dynamic-args", f"{name}'s arguments must be literal words to be checked")
    if policy.extra_check is not None and all(a is not None for a in argv):
        verdict = policy.extra_check([a or "" for a in argv], policy)
        if verdict is not None and not verdict.allowed:
            raise Denied(verdict)
    for cwd in dirs:
        check_writes(base, argv, policy.paths, cwd)
    check_builtin(base, argv)
    if base in SHELLS:
        return _shell(base, argv)
    if base in WRAPPERS:
        return _wrapper(base, argv, policy, dirs)
    if base == "git":
        _git(argv, policy, dirs)
    elif base == "find":
        _find(argv)
    elif base in ("cd", "pushd"):
        cd_target(argv, policy, dirs)
    return None


def _allowed_name(argv: Argv, policy: BashPolicy) -> str:
    """The program's name, once it is known, allowed and not one that is never allowed."""
    name = argv[0]
    if name is None:
        raise no("dynamic-name", "a wrapped command's name must be a plain word")
    if name in NEVER or name.rsplit("/", 1)[-1] in NEVER:
        raise no(
            "never",
            f"'{name}' can run arbitrary code and is never allowed; run the "
            "command it would run directly",
        )
    if name not in policy.allowed_commands:
        allowed = ", ".join(sorted(policy.allowed_commands)[:40])
        raise no(
            "not-allowed",
            f"'{name}' is not in the allowed commands "
            f"(security.bash.allowed_commands). Allowed: {allowed}",
        )
    return name


def _git(argv: Argv, policy: BashPolicy, dirs: Dirs) -> None:
    """git judged from each directory the shell may be in: after ``cd sub`` it is
    ``git -C sub``, so a repository the agent made in ``sub`` (whose config can run
    programs) is as unreachable as through ``-C``."""
    if any(a is None for a in argv):
        raise no("dynamic-args", "git arguments must be literal words here")
    words = [a or "" for a in argv]
    for cwd in dirs:
        if cwd is None:
            raise no("cwd-unknown", "git after a cd whose target is not known; cd back first")
        here = words if cwd == policy.project_dir else [words[0], "-C", str(cwd), *words[1:]]
        verdict = check_git(
            here,
            policy.project_dir,
            writes=policy.git_writes,
            protected=policy.protected,
            remotes=policy.git_remotes,
        )
        if not verdict.allowed:
            raise Denied(verdict)


def _find(argv: Argv) -> None:
    if any(a in FIND_ACTIONS or a is None for a in argv[1:]):
        raise no(
            "find-action",
            "find -exec/-delete/-fprint run or change things; use find "
            "to list files and act on them with separate, allowed commands",
        )


def cd_target(argv: Argv, policy: BashPolicy, dirs: Dirs) -> Dirs:
    """Where ``cd DIR`` goes from each of ``dirs``: into the project only, and never into a
    protected directory (a later relative redirection would land inside it unseen)."""
    name = argv[0]
    target = argv[1] if len(argv) > 1 else None
    if target is None or target.startswith(("-", "~", "+")) or len(argv) > 2:
        raise no("cd-outside", f"{name} may only go to a literal directory inside the project")
    return change(dirs, target, policy.paths, f"{name}")


def _shell(base: str, argv: Argv) -> InnerScript | None:
    """``sh -c SCRIPT`` gives its script; a shell running a file was itself allowed."""
    script_follows = False
    words = list(argv[1:])
    while words:
        word = words.pop(0)
        if word is None:
            raise no("dynamic-args", f"{base}'s arguments must be literal words to be checked")
        if word == "--" or not word.startswith(("-", "+")):
            if not script_follows:
                return None  # a script file (or stdin): the project allowed the shell itself
            script = words[0] if word == "--" and words else word
            if script is None or script == "--":
                raise no("dynamic-args", f"{base} -c needs a literal script to be checked")
            return InnerScript(script, posix=base != "bash")
        if word.startswith("--"):
            if word not in SHELL_LONG_OPTIONS:
                raise no("shell-option", f"{base} {word}: run the shell without that option")
        elif word[1:] in ("o", "O"):
            option = words.pop(0) if words else None
            if option is None or option == "xtrace":
                raise no("shell-option", f"{base} {word} xtrace: its PS4 can run code")
        elif not set(word[1:]) <= SHELL_FLAGS:
            raise no("shell-option", f"{base} {word}: run the shell with -c and -e only")
        else:
            script_follows = script_follows or "c" in word[1:]
    if script_follows:
        raise no("dynamic-args", f"{base} -c needs a script")
    return None


def _wrapper(base: str, argv: Argv, policy: BashPolicy, dirs: Dirs) -> InnerScript | None:
    """A wrapper is checked on the command it runs, one program deeper."""
    try:
        rest = wrapped_command(base, argv)
    except WrapperError as error:
        raise no(error.rule, error.reason) from None
    if base == "xargs":
        rest = rest or ["echo"]
        program = (rest[0] or "").rsplit("/", 1)[-1]
        if program in WRAPPERS.keys() | SHELLS | XARGS_REFUSES | VALIDATED | CHECKED_WRITERS:
            raise no(
                "xargs-arguments",
                f"xargs would give {program} arguments the policy never sees; "
                "call it directly with literal arguments",
            )
    if not rest:
        return None
    if rest[0] is None:
        raise no("dynamic-name", f"{base} must wrap a literal command name")
    inner = check_program(rest, policy, dirs)
    return None if inner is None else inner.wrapped()
