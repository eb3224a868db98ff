"""Reading a program's command line the way getopt_long does, from a table of its options.

The write checks must know which words are file names: ``sort -o out`` writes ``out``,
``sort -k 2 out`` only reads it. Reading an option the program does not know, or guessing an
option's argument, is exactly how a destination slips past, so an unknown option is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

NONE, REQUIRED, OPTIONAL = 0, 1, 2


class OptionError(Exception):
    """The command line cannot be read with confidence; the message says why."""


@dataclass(frozen=True)
class Spec:
    """A program's options: alias -> (canonical name, how it takes an argument)."""

    short: dict[str, tuple[str, int]] = field(default_factory=dict)
    long: dict[str, tuple[str, int]] = field(default_factory=dict)
    digits: bool = False
    """Whether ``-1`` ... ``-9`` are flags (gzip's levels)."""
    posix: bool = False
    """Whether options end at the first operand, as for bash's builtins (``read x -a``
    reads into ``-a``)."""


def spec(*groups: str, digits: bool = False, posix: bool = False) -> Spec:
    """Build a Spec from groups such as ``"-o|--output:"`` (``:`` an argument, ``::`` optional).

    The first alias in a group is the canonical name a check asks for."""
    short: dict[str, tuple[str, int]] = {}
    long: dict[str, tuple[str, int]] = {}
    for group in groups:
        kind = OPTIONAL if group.endswith("::") else REQUIRED if group.endswith(":") else NONE
        aliases = group.rstrip(":").split("|")
        for alias in aliases:
            table = long if alias.startswith("--") else short
            table[alias] = (aliases[0], kind)
    return Spec(short, long, digits, posix)


@dataclass
class Parsed:
    options: list[tuple[str, str | None]] = field(default_factory=list)
    operands: list[str] = field(default_factory=list)
    ended: bool = False
    """Whether ``--`` ended the options (so the first operand cannot be one)."""

    def has(self, *names: str) -> bool:
        return any(name in names for name, _ in self.options)

    def values(self, *names: str) -> list[str]:
        return [value for name, value in self.options if name in names and value is not None]


def parse(name: str, words: Sequence[str], table: Spec) -> Parsed:
    """Options and operands of ``words`` (argv without the program), options anywhere (GNU)."""
    parsed = Parsed()
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word == "--":
            parsed.ended = True
            parsed.operands.extend(rest)
            break
        if word.startswith("--"):
            parsed.options.append(_long(name, word, rest, table))
        elif word.startswith("-") and word != "-":
            parsed.options.extend(_short(name, word, rest, table))
        else:
            parsed.operands.append(word)
            if table.posix:
                parsed.operands.extend(rest)
                break
    return parsed


def _long(name: str, word: str, rest: list[str], table: Spec) -> tuple[str, str | None]:
    given, equals, value = word.partition("=")
    canonical, kind = _unique(name, given, table.long)
    if kind == NONE and equals:
        raise OptionError(f"{name} {given} takes no value")
    if kind == REQUIRED and not equals:
        if not rest:
            raise OptionError(f"{name} {given} needs a value")
        return canonical, rest.pop(0)
    return canonical, value if equals else None


def _unique(name: str, given: str, table: dict[str, tuple[str, int]]) -> tuple[str, int]:
    """An exact long option, or the one option it is an unambiguous prefix of (getopt_long)."""
    if given in table:
        return table[given]
    matches = {table[k] for k in table if k.startswith(given)}
    if len(matches) != 1:
        what = "ambiguous" if matches else "unknown"
        raise OptionError(f"{name} {given}: an {what} option")
    return matches.pop()


def _short(name: str, word: str, rest: list[str], table: Spec) -> Iterable[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for index, letter in enumerate(word[1:], start=1):
        if table.digits and letter.isdigit():
            found.append(("-" + letter, None))
            continue
        if "-" + letter not in table.short:
            raise OptionError(f"{name} -{letter}: an option the policy does not know")
        canonical, kind = table.short["-" + letter]
        attached = word[index + 1 :]
        if kind == NONE:
            found.append((canonical, None))
            continue
        if attached or kind == OPTIONAL:
            found.append((canonical, attached if attached or kind == REQUIRED else None))
        elif rest:
            found.append((canonical, rest.pop(0)))
        else:
            raise OptionError(f"{name} -{letter} needs a value")
        break
    return found


def spellings(table: Spec, canonical: str) -> list[str]:
    """Every way to write the option ``canonical``: its short aliases and each long alias's
    unique prefixes (``--co`` is ``sort --compress-program``). For tests that generate them."""
    found = [alias for alias, (name, _) in table.short.items() if name == canonical]
    for alias, (name, _) in table.long.items():
        if name != canonical:
            continue
        for end in range(3, len(alias) + 1):
            prefix = alias[:end]
            if {table.long[k][0] for k in table.long if k.startswith(prefix)} == {canonical}:
                found.append(prefix)
    return found
