"""The options of the git subcommands that name places, read the way git's parse-options does.

Each table lists a subcommand's options (from ``git SUB -h``): which take a value, attached or
as the next word, so that the words left are the positions (a repository, a directory). A long
option may be abbreviated to a unique prefix and negated with ``--no-``; an option the table
does not know, or a prefix that could mean an option with a value, cannot be read with
confidence and raises ``UnknownOption``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace


class UnknownOption(Exception):
    def __init__(self, option: str) -> None:
        super().__init__(option)
        self.option = option


@dataclass(frozen=True)
class OptionSpec:
    flags: frozenset[str]
    """Long options without a value, or whose value must be attached (``--signed=yes``)."""
    valued: frozenset[str]
    """Long options with a value, attached (``--repo=x``) or the next word."""
    short: str
    """Short letters without a value."""
    short_valued: str = ""
    """Short letters with a value: the rest of the cluster, or the next word."""
    short_attached: str = ""
    """Short letters whose value, if any, is the rest of the cluster (``-S<key>``)."""
    safe: frozenset[str] = frozenset()
    """For ``clone``: the options it may use (the others set config, run programs, ...)."""

    def resolve(self, name: str) -> str:
        """The long option ``name`` abbreviates, as git resolves it."""
        known = self.flags | self.valued
        negated = {f"--no-{o[2:]}" for o in known if not o.startswith("--no-")}
        everything = known | negated | {f"--{o[5:]}" for o in known if o.startswith("--no-")}
        if name in everything:
            return name
        matches = sorted(o for o in everything if o.startswith(name))
        if len(matches) == 1 or (matches and not set(matches) & self.valued):
            return matches[0]  # several flags: git refuses it as ambiguous
        raise UnknownOption(name)


def parse(spec: OptionSpec, args: Sequence[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Options with their values (long names expanded; "" for a flag) and the positions."""
    values: list[tuple[str, str]] = []
    positional: list[str] = []
    words = list(args)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            positional += words[i:]
            break
        if word.startswith("--"):
            name, eq, attached = word.partition("=")
            option = spec.resolve(name)
            if option in spec.valued and not eq:
                attached, i = (words[i] if i < len(words) else ""), i + 1
            values.append((option, attached))
        elif word.startswith("-") and word != "-":
            i = _cluster(spec, word, words, i, values)
        else:
            positional.append(word)
    return values, positional


def _cluster(
    spec: OptionSpec, word: str, words: list[str], i: int, values: list[tuple[str, str]]
) -> int:
    """Read ``-abc`` into ``values``; the index of the word after it (and its value)."""
    for at, letter in enumerate(word[1:], start=2):
        rest = word[at:]
        if letter in spec.short_valued:
            if not rest:
                rest, i = (words[i] if i < len(words) else ""), i + 1
            values.append((f"-{letter}", rest))
            return i
        if letter in spec.short_attached:
            values.append((f"-{letter}", rest))
            return i
        if letter not in spec.short:
            raise UnknownOption(f"-{letter}")
        values.append((f"-{letter}", ""))
    return i


def _longs(names: str) -> frozenset[str]:
    return frozenset(f"--{n}" for n in names.split())


def _spec(
    flags: str, valued: str, short: str, short_valued: str = "", short_attached: str = ""
) -> OptionSpec:
    return OptionSpec(_longs(flags), _longs(valued), short, short_valued, short_attached)


FETCH_COMMON = (
    "verbose quiet progress all set-upstream append atomic force tags prune prune-tags "
    "recurse-submodules dry-run write-fetch-head keep update-head-ok unshallow refetch "
    "update-shallow ipv4 ipv6 show-forced-updates negotiate-only auto-maintenance auto-gc "
    "write-commit-graph prefetch multiple stdin"
)
FETCH_VALUED = (
    "upload-pack depth shallow-since shallow-exclude deepen refmap server-option "
    "negotiation-tip filter submodule-prefix recurse-submodules-default"
)


def _clone_spec() -> OptionSpec:
    spec = _spec(
        "verbose quiet progress reject-shallow no-checkout checkout bare mirror local "
        "hardlinks shared recursive recurse-submodules dissociate single-branch tags "
        "shallow-submodules also-filter-submodules remote-submodules sparse",
        "jobs template reference reference-if-able origin branch upload-pack depth "
        "shallow-since shallow-exclude separate-git-dir config server-option filter bundle-uri",
        "vqnls46",
        "jobuc",
    )
    safe = (
        "--verbose --quiet --progress --no-progress --reject-shallow --no-checkout --checkout "
        "--single-branch --no-single-branch --no-tags --tags --origin --branch --depth "
        "--shallow-since --shallow-exclude --filter --sparse --ipv4 --ipv6 -v -q -n -o -b -4 -6"
    )
    return replace(spec, safe=frozenset(safe.split()))


SPECS: dict[str, OptionSpec] = {
    "push": _spec(
        "verbose quiet all branches mirror delete tags dry-run porcelain force "
        "force-with-lease force-if-includes thin set-upstream progress prune verify "
        "follow-tags signed atomic ipv4 ipv6",
        "repo receive-pack exec push-option recurse-submodules",
        "vqdnfu46",
        "o",
    ),
    "fetch": _spec(FETCH_COMMON, f"{FETCH_VALUED} jobs", "vqaftmnpPku46", "jo"),
    "pull": _spec(
        f"{FETCH_COMMON} rebase stat summary log signoff squash commit edit ff ff-only verify "
        "verify-signatures autostash allow-unrelated-histories gpg-sign jobs",
        f"{FETCH_VALUED} cleanup strategy strategy-option",
        "vqnaftpk46e",
        "sXo",
        short_attached="rSj",
    ),
    "ls-remote": _spec(
        "quiet tags heads refs get-url exit-code symref",
        "upload-pack sort server-option",
        "qth",
        "o",
    ),
    "clone": _clone_spec(),
    "worktree": _spec(
        "force detach checkout lock quiet track guess-remote orphan porcelain verbose "
        "dry-run relative-paths",
        "reason expire",
        "fdqvnz",
        "bB",
    ),
    "init": _spec(
        "quiet bare shared",
        "template separate-git-dir initial-branch object-format ref-format",
        "q",
        "b",
    ),
    "remote": _spec(
        "verbose fetch tags mirror push add delete all auto dry-run prune progress",
        "track master",
        "vfnapd",
        "tm",
    ),
    "submodule": _spec(
        "quiet cached recursive init remote no-fetch checkout merge rebase force "
        "single-branch recommend-shallow progress all default dissociate files for-status "
        "require-init",
        "depth reference name branch jobs filter summary-limit",
        "qNfc",
        "bjn",
    ),
}
"""Per subcommand that names a directory or a repository, its options."""
