"""What bash's builtins do with their arguments: names of variables, and options that run code.

A variable *name* is code to bash: ``read 'a[$(cmd)]'``, ``unset 'a[$(cmd)]'``,
``wait -p 'a[$(cmd)]'`` and ``[ -v 'a[$(cmd)]' ]`` evaluate the subscript, command
substitutions included, and ``local -n r='a[$(cmd)]'`` does it on every later use of ``r``.
So each builtin's command line is read from a table (options end at the first operand, as
bash's own getopt ends them): a name must be literal, hold no ``[`` and not be a variable
that decides what runs; options that run a command (``jobs -x``), assign through evaluation
(``printf -v``) or make later assignments evaluate (``-n``, ``-i``) are denied, and so is any
option the table does not know.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .denial import no
from .options import OptionError, Parsed, Spec, parse, spec
from .words import dangerous_variable

UNKNOWN = "\x00"
"""Stands for a word whose value is not known before it runs."""


@dataclass(frozen=True)
class Builtin:
    """One builtin's options, and the parts its arguments play."""

    options: Spec
    names: tuple[str, ...] = ()
    """Options whose value is a variable name (``read -a NAME``, ``wait -p NAME``)."""
    operands: str = "any"
    """What the operands are: "names", "assignments" (NAME or NAME=value), "getopts" (the
    second is a name), "format" (printf) or "any"."""
    denied: Mapping[str, str] = field(default_factory=dict)
    """Options that are refused, with the reason shown."""
    rule: str = "builtin-option"


NAMEREF = ("-n makes a name reference, which evaluates the name it points at on every use; "
           "use the variable itself")  # fmt: skip
INTEGER = ("-i makes every later assignment arithmetic, which can run code; keep the variable "
           "a string")  # fmt: skip
DECLARE = ("-a", "-A", "-f", "-F", "-g", "-i", "-I", "-l", "-n", "-p", "-r", "-t", "-u", "-x")

BUILTINS: dict[str, Builtin] = {
    "read": Builtin(
        spec("-a:", "-d:", "-e", "-E", "-i:", "-n:", "-N:", "-p:", "-r", "-s", "-t:", "-u:",
             posix=True),
        names=("-a",), operands="names",
    ),
    "wait": Builtin(spec("-f", "-n", "-p:", posix=True), names=("-p",)),
    "jobs": Builtin(
        spec("-l", "-n", "-p", "-r", "-s", "-x", posix=True),
        denied={"-x": "jobs -x runs its arguments as a command; run the command directly"},
    ),
    "printf": Builtin(
        spec("-v:", posix=True), operands="format",
        denied={"-v": "printf -v assigns through bash evaluation; use plain printf"},
        rule="printf-v",
    ),
    "unset": Builtin(spec("-f", "-v", "-n", posix=True), operands="names"),
    "local": Builtin(
        spec(*DECLARE, posix=True), operands="assignments", denied={"-n": NAMEREF, "-i": INTEGER}
    ),
    "declare": Builtin(
        spec(*DECLARE, posix=True), operands="assignments", denied={"-n": NAMEREF, "-i": INTEGER}
    ),
    "export": Builtin(spec("-f", "-n", "-p", posix=True), operands="assignments"),
    "readonly": Builtin(spec("-a", "-A", "-f", "-p", posix=True), operands="assignments"),
    "getopts": Builtin(spec(posix=True), operands="getopts"),
    "mapfile": Builtin(
        spec("-d:", "-n:", "-O:", "-s:", "-t", "-u:", "-C:", "-c:", posix=True),
        operands="names", denied={"-C": "mapfile -C runs a callback; read the lines plainly"},
    ),
}  # fmt: skip
BUILTINS["typeset"] = BUILTINS["declare"]
BUILTINS["readarray"] = BUILTINS["mapfile"]
NAME_TESTS = frozenset({"-v", "-R"})
"""test operators whose operand is a variable name."""


def check_builtin(name: str, argv: Sequence[str | None]) -> None:
    """Deny a builtin's command line that evaluates a name, runs code, or cannot be read."""
    if name in ("test", "["):
        check_test(argv[1:], split=True)
        return
    builtin = BUILTINS.get(name)
    if builtin is None:
        return
    words = [UNKNOWN if w is None else w for w in argv[1:]]
    if builtin.operands == "assignments":  # declare +x NAME turns an attribute off
        words = ["-" + w[1:] if w[:1] == "+" and len(w) > 1 else w for w in words]
    try:
        parsed = parse(name, words, builtin.options)
    except OptionError as error:
        raise no(
            "builtin-option",
            f"{error}; leave it out (put -- before an operand that starts with -)",
        ) from None
    for option, reason in builtin.denied.items():
        if parsed.has(option):
            raise no(builtin.rule, reason)
    for option in builtin.names:
        for value in parsed.values(option):
            check_name(name, None if value == UNKNOWN else value)
    _operands(name, builtin, parsed)


def _operands(name: str, builtin: Builtin, parsed: Parsed) -> None:
    operands = parsed.operands
    if operands and operands[0] == UNKNOWN and not parsed.ended:
        raise no(
            "dynamic-args",
            f"{name}: a word whose value is not known may be an option (printf -v NAME, "
            f'jobs -x); write it literally, or after -- ({name} -- "$x")',
        )
    if builtin.operands == "names":
        for operand in operands:
            check_name(name, None if operand == UNKNOWN else operand)
    elif builtin.operands == "assignments":
        for operand in operands:
            if operand != "-":  # local -: save the shell's options
                target = None if operand == UNKNOWN else operand.split("=", 1)[0].rstrip("+")
                check_name(name, target)
                _check_compound(name, operand)
    elif builtin.operands == "getopts" and len(operands) > 1:
        check_name(name, None if operands[1] == UNKNOWN else operands[1])


def _check_compound(builtin: str, operand: str) -> None:
    """Deny ``local -a 'b=($(cmd))'``: a declaration re-parses a value that starts with ``(``
    as an array assignment and runs the expansions in it, though the word was quoted."""
    value = operand.partition("=")[2]
    if "=" in operand and value.lstrip().startswith("("):
        raise no(
            "compound-assignment",
            f"{builtin}: a quoted NAME=(...) is parsed again by bash as an array assignment, "
            "and its expansions run; write the array unquoted (NAME=(a b)) or assign it apart",
        )


def check_test(words: Sequence[str | None], *, split: bool) -> None:
    """``test``/``[``: deny ``-v``/``-R`` before a name that is not literal or has a ``[``.

    With ``split`` (``test`` and ``[``, not ``[[``) a word whose value is unknown may itself
    be ``-v``, since bash reads the operators from the expanded words."""
    for first, second in itertools.pairwise(words):
        operator = first in NAME_TESTS or (split and first is None)
        if operator and (second is None or "[" in second):
            raise no(
                "variable-name",
                "test -v NAME evaluates a subscript in NAME, which can run code; name a "
                'plain variable literally ([ -v name ]), or compare strings ([ -n "$x" ])',
            )


def check_name(builtin: str, name: str | None) -> None:
    """Deny a variable name bash would evaluate (a subscript), or one that decides what runs."""
    if name is None:
        raise no(
            "variable-name",
            f"{builtin}: a variable name must be a literal word (its value may hold a "
            "subscript, which bash evaluates as code)",
        )
    if "[" in name:
        raise no(
            "variable-name",
            f"{builtin} {name}: bash evaluates the subscript in a variable name, which can run "
            "code; use a plain variable name",
        )
    if dangerous_variable(name):
        raise no(
            "variable",
            f"{builtin} {name}: {name} decides which programs run or what the shell executes; "
            "leave it as it is",
        )
