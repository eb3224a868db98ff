"""Named sets of commands the bash policy and ``verify`` reason about."""

from __future__ import annotations

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
     "docker", "ssh", "curl", "wget", "git", "pytest", "tox", "nox", "watch", "parallel",
     "sudo", "su"}
)  # fmt: skip
"""Programs that can run arbitrary code; ``verify`` names them when a project allows them. The
wrappers the policy checks through (``env``, ``timeout``, ``nice``, ``nohup``, ``stdbuf``,
``time``: ``wrappers.WRAPPERS``) are not among them: the command they run is checked as such."""

NEVER = frozenset(
    {"eval", "exec", "source", ".", "command", "builtin", "enable", "trap", "alias", "let",
     "coproc", "declare", "typeset", "readonly", "mapfile", "readarray", "sudo", "su", "hash",
     "fc", "history", "bind", "complete", "compgen"}
)  # fmt: skip
"""Builtins that evaluate strings as code or change what a name runs: denied everywhere."""

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
SHELL_FLAGS = frozenset("ceuvnabfhkmpBCEHPT")
"""Short options a shell may get with -c: not -x (its PS4 runs code), -i or -s."""
SHELL_LONG_OPTIONS = frozenset({"--norc", "--noprofile", "--posix"})
FIND_ACTIONS = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls"}
)
VALIDATED = frozenset({"pkill", "chmod", "init.sh"})
"""Allowed only with arguments an extra validator accepts."""
