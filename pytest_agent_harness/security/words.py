"""Words of a parsed bash command as bash will see them, or None where that is not knowable.

The policy only trusts a word whose value does not depend on run-time state: no expansions,
globs, brace expansions or escapes it cannot undo exactly. Works on tree-sitter nodes without
importing tree_sitter (the nodes come from ``bash.py``).
"""

from __future__ import annotations

import re
from typing import Any

BRACE_EXPANSION = re.compile(r"\{[^{}]*(,|\.\.)[^{}]*\}")
DOUBLE_QUOTE_ESCAPES = re.compile(r'\\([\\"$`\n])')

DANGEROUS_VARIABLES = frozenset(
    {"PATH", "HOME", "CDPATH", "OLDPWD", "PS0", "PS1", "PS2", "PS3", "PS4",
     "PROMPT_COMMAND", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "BASH_XTRACEFD",
     "BASH_LOADABLES_PATH", "EXECIGNORE", "XDG_CONFIG_HOME", "PAGER", "EDITOR", "VISUAL",
     "LESSOPEN", "LESSCLOSE", "NODE_OPTIONS", "PYTHONSTARTUP", "PERL5OPT", "RUBYOPT",
     "TAR_OPTIONS", "UNZIP", "UNZIPOPT", "ZIPOPT", "GZIP", "BZIP", "BZIP2", "XZ_OPT",
     "XZ_DEFAULTS", "TMPDIR"}
)  # fmt: skip
"""Variables through which a shell or the programs it starts find and run other code, and
those that give a program options its command line does not show (``TAR_OPTIONS``)."""
DANGEROUS_PREFIXES = ("LD_", "GIT_", "BASH_FUNC_")
UNSURE = re.compile(r"[\\*?\[{]")
"""Where a bare word's text stops being surely its value: escapes, globs, braces."""


def dangerous_variable(name: str) -> bool:
    return name in DANGEROUS_VARIABLES or name.startswith(DANGEROUS_PREFIXES)


def static_value(node: Any) -> str | None:
    """The value of a word with no expansions, or None when it depends on run-time state."""
    kind = node.type
    text: str = node.text.decode(errors="replace")
    if kind in ("word", "number"):
        if "\\" in text or any(c in text for c in "*?[") or BRACE_EXPANSION.search(text):
            return None
        return text
    if kind == "raw_string":
        return text[1:-1]
    if kind == "string":
        parts = [c for c in node.children if c.type != '"']
        if all(c.type == "string_content" for c in parts):
            # Inside double quotes bash removes the backslash before \ " $ ` and newline.
            raw = "".join(c.text.decode(errors="replace") for c in parts)
            return DOUBLE_QUOTE_ESCAPES.sub(lambda m: "" if m[1] == "\n" else m[1], raw)
        return None
    if kind == "concatenation":
        # A brace expansion can span parts: {-c,'curl x'} is two words to bash.
        shape = "".join(
            c.text.decode(errors="replace") if c.type == "word" else "_" for c in node.children
        )
        if BRACE_EXPANSION.search(shape):
            return None
        values = [static_value(c) for c in node.children]
        return None if any(v is None for v in values) else "".join(v or "" for v in values)
    return None


def literal_prefix(node: Any) -> str:
    """The text a word surely starts with, whatever its expansions give ("" when unknown)."""
    value = static_value(node)
    if value is not None:
        return value
    if node.type == "word":
        return UNSURE.split(node.text.decode(errors="replace"), maxsplit=1)[0]
    if node.type == "string":
        parts = [c for c in node.children if c.type != '"']
        first = parts[0] if parts else None
        if first is None or first.type != "string_content":
            return ""
        return str(first.text.decode(errors="replace")).split("\\", 1)[0]
    if node.type == "concatenation":
        prefix = ""
        for child in node.children:
            value = static_value(child)
            if value is None:
                return prefix + literal_prefix(child)
            prefix += value
        return prefix
    return ""


SPLITTING = frozenset({"simple_expansion", "expansion", "command_substitution"})


def splits(node: Any) -> bool:
    """Whether bash may split the word into several, or glob it (an unquoted expansion)."""
    if node.type in SPLITTING:
        return True
    return node.type == "concatenation" and any(c.type in SPLITTING for c in node.children)
