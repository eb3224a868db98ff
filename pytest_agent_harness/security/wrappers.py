"""Programs that run other programs: which of their arguments is the command they run.

Each wrapper's options are listed with whether they take an argument, because reading
``env -u ls curl`` as "env runs ls" is exactly the mistake that lets curl through. An option
not listed, or an argument whose value is unknown before the command, is denied: the policy
cannot say what would run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .words import dangerous_variable


class WrapperError(Exception):
    """Why a wrapper's command line cannot be checked; the message is the reason shown."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True)
class Options:
    flags: frozenset[str]
    with_argument: frozenset[str]


WRAPPERS: dict[str, Options] = {
    "env": Options(
        frozenset({"-i", "-0", "-v", "--ignore-environment", "--null", "--debug", "-"}),
        frozenset({"-u", "--unset"}),
    ),
    "timeout": Options(
        frozenset({"--preserve-status", "--foreground", "-v", "--verbose"}),
        frozenset({"-k", "--kill-after", "-s", "--signal"}),
    ),
    "nice": Options(frozenset(), frozenset({"-n", "--adjustment"})),
    "stdbuf": Options(
        frozenset(), frozenset({"-i", "-o", "-e", "--input", "--output", "--error"})
    ),
    "nohup": Options(frozenset(), frozenset()),
    "time": Options(frozenset({"-p"}), frozenset()),
    "xargs": Options(
        frozenset({"-0", "--null", "-r", "--no-run-if-empty", "-t", "--verbose", "-p",
                   "--interactive", "-x", "--exit", "-o", "--open-tty"}),
        frozenset({"-I", "-n", "-P", "-L", "-d", "-s", "-E", "-a", "--max-args", "--max-procs",
                   "--max-lines", "--delimiter", "--max-chars", "--eof", "--arg-file",
                   "--process-slot-var", "--replace"}),
    ),
}  # fmt: skip

XARGS_REFUSES = frozenset({"find", "git"})
"""Programs whose arguments the policy inspects: xargs would hand them arguments unseen."""


def wrapped_command(base: str, argv: Sequence[str | None]) -> list[str | None]:
    """The command line ``argv`` (a call of the wrapper ``base``) runs; [] when it runs none."""
    options = WRAPPERS[base]
    rest = list(argv[1:])
    while rest:
        word = rest[0]
        if word is None:
            raise WrapperError("dynamic-args", f"{base}'s arguments must be literal words")
        if word == "--":
            rest.pop(0)
            break
        if base == "env" and "=" in word and not word.startswith("-"):
            name = word.split("=", 1)[0]
            if dangerous_variable(name):
                raise WrapperError("variable", f"env may not set {name}: it decides what runs")
            rest.pop(0)
            continue
        if not word.startswith("-") or (word == "-" and base != "env"):
            break
        rest.pop(0)
        if base == "env" and word.startswith(("-S", "--split")):
            raise WrapperError("env-split", "env -S runs a string as a command; call it directly")
        if not (base == "nice" and word[1:].isdigit()):  # nice -5
            _take_option(base, options, word, rest)
    if base == "timeout" and rest:
        if rest[0] is None:
            raise WrapperError("dynamic-args", "timeout's duration must be a literal word")
        rest.pop(0)
    return rest


def _take_option(base: str, options: Options, word: str, rest: list[str | None]) -> None:
    """Accept one option, taking its separate argument from ``rest``; deny one not listed."""
    if word.startswith("--"):
        name, equals, _ = word.partition("=")
        if name in options.flags and not equals:
            return
        if name in options.with_argument:
            if not equals:
                _take_argument(base, word, rest)
            return
    elif word in options.flags:
        return
    elif word[:2] in options.with_argument:
        if len(word) == 2:  # -n 1, not -n1
            _take_argument(base, word, rest)
        return
    raise WrapperError(
        "wrapper-option",
        f"{base} {word}: an option the policy does not know; call the command directly",
    )


def _take_argument(base: str, option: str, rest: list[str | None]) -> None:
    if not rest or rest[0] is None:
        raise WrapperError("dynamic-args", f"{base} {option} needs a literal argument")
    rest.pop(0)
