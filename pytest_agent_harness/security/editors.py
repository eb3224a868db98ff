"""Programs that edit files in place: ``sed -i`` and ``patch``.

``sed`` also writes through its script (``w FILE``, ``s///w FILE``) and runs commands
(``e``); a script is read just far enough to find those, and one that cannot be read is
denied (``--sandbox``, which makes sed refuse them itself, is accepted instead). ``patch``
takes the files it changes from the diff, which the policy cannot see, so it must be told the
file: ``patch FILE < DIFF``.
"""

from __future__ import annotations

from collections.abc import Callable

from .denial import no
from .options import OptionError, Parsed, Spec, parse, spec
from .targets import Targets, join

SED = spec("-i|--in-place::", "-e|--expression:", "-f|--file:", "-n|--quiet|--silent",
           "-E|-r|--regexp-extended", "-s|--separate", "-z|--null-data|--zero-terminated",
           "-u|--unbuffered", "-l|--line-length:", "-b|--binary", "--posix", "--debug",
           "--sandbox", "--follow-symlinks", "--help", "--version")  # fmt: skip
PATCH = spec("-p|--strip:", "-d|--directory:", "-i|--input:", "-o|--output:",
             "-r|--reject-file:", "-R|--reverse", "-N|--forward", "-f|--force", "-t|--batch",
             "-s|--silent|--quiet", "-b|--backup", "--no-backup-if-mismatch",
             "--backup-if-mismatch", "-E|--remove-empty-files", "-l|--ignore-whitespace",
             "-u|--unified", "-c|--context", "-n|--normal", "-F|--fuzz:", "--dry-run",
             "--verbose", "--binary", "--posix", "-T|--set-time", "-Z|--set-utc",
             "--help", "-v|--version")  # fmt: skip
SED_SIMPLE = set("=dDgGhHlnNpPqQxzFIM")
"""Commands that write nothing (and the I and M address flags)."""
SED_TO_EOL = set("aicrRv#")
"""Commands whose argument runs to the end of the line."""
SED_LABELS = set(":btT")
"""Commands whose label ends at ; or a newline (GNU)."""


def _sed(t: Targets, words: list[str]) -> None:
    p = parse("sed", words, SED)
    operands = list(p.operands)
    scripts = p.values("-e")
    if not scripts and not p.has("-f"):
        if not operands:
            raise OptionError("sed needs a script")
        scripts = [operands.pop(0)]
    if not p.has("--sandbox"):
        if p.has("-f"):
            raise no("write-unchecked", "sed -f FILE: the script cannot be checked; use -e")
        for script in scripts:
            _sed_script(script)
    if not p.has("-i"):
        return
    suffix = next((v for v in p.values("-i") if v), "")
    if "/" in suffix or "*" in suffix:
        raise no("write-unchecked", f"sed -i{suffix}: a backup name with / or * is not checked")
    if not operands:
        raise OptionError("sed -i needs files")
    for operand in operands:
        t.prefix(operand)  # the file, and its backup next to it


def _sed_script(script: str) -> None:
    """Deny a script with a command that writes a file or runs one (w, W, e, s///w, s///e)."""
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c in " \t\n;{}!0123456789$,~+":
            i += 1
        elif c in "/\\":  # an address /re/ or \cREc
            delimiter = script[i + 1] if c == "\\" and i + 1 < n else "/"
            i = _skip_delimited(script, i + (2 if c == "\\" else 1), delimiter)
        elif c in "sy":
            if i + 1 >= n or script[i + 1] in "\\\n":
                raise no("write-unchecked", "sed: a script the policy cannot read")
            delimiter = script[i + 1]
            i = _skip_delimited(script, _skip_delimited(script, i + 2, delimiter), delimiter)
            flags_end = i
            while flags_end < n and script[flags_end] not in ";\n}":
                flags_end += 1
            if c == "s" and any(f in script[i:flags_end] for f in "wWe"):
                raise no("write-unchecked", "sed s///w or s///e writes a file or runs a command")
            i = flags_end
        elif c in SED_TO_EOL or c in SED_LABELS:
            ends = [
                e
                for e in (script.find("\n", i), -1 if c in SED_TO_EOL else script.find(";", i))
                if e >= 0
            ]
            i = min(ends) if ends else n
        elif c in SED_SIMPLE:
            i += 1
        else:
            raise no(
                "write-unchecked",
                f"sed {c!r}: a command that writes files or runs commands, or one the policy "
                "does not know; use sed --sandbox, or write the file another way",
            )


def _skip_delimited(script: str, i: int, delimiter: str) -> int:
    """The index just past the next unescaped ``delimiter`` at or after ``i``."""
    while i < len(script):
        if script[i] == "\\":
            i += 2
            continue
        if script[i] == delimiter:
            return i + 1
        i += 1
    raise no("write-unchecked", "sed: an unterminated expression in the script")


def _patch(t: Targets, words: list[str]) -> None:
    p = parse("patch", words, PATCH)
    if p.has("--dry-run"):
        return
    if len(p.operands) > 2:
        raise OptionError("patch takes at most a file and a patch")
    directory = (p.values("-d") or [""])[-1]
    if directory:
        t.write(directory)
    outputs = p.values("-o")
    if not p.operands and not outputs:
        raise no(
            "write-unchecked",
            "patch takes the files it changes from the diff, which the policy cannot see; "
            "name the file: patch FILE < DIFF (or patch -o OUT)",
        )
    for name in [*p.operands[:1], *outputs, *p.values("-r")]:
        t.prefix(join(directory, name) if directory and not name.startswith("/") else name)


def _adapt(handler: Callable[[Targets, list[str]], None]) -> Callable[[Targets, Parsed], None]:
    return lambda t, p: handler(t, p.operands)


EDITORS: dict[str, tuple[Spec, Callable[[Targets, Parsed], None]]] = {
    "sed": (spec(), _adapt(_sed)),
    "patch": (spec(), _adapt(_patch)),
}
"""Programs that read their own command lines here: their words arrive as operands."""
