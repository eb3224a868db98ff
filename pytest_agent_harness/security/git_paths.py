"""Where the agent's git may go: directories inside the project, remotes by their names.

``-C``, ``worktree``, ``init``, ``clone`` and ``format-patch -o`` name directories git works in
or writes to: each must resolve (``..``, links) inside the project and outside its protected
set, and ``-C`` may not enter another repository. ``push``, ``fetch``, ``pull``, ``ls-remote``,
``remote show``, ``archive --remote``, ``clone`` and ``submodule add`` name repositories: a
remote configured in the project's ``.git/config`` (or, when that cannot be read, a bare name),
or a URL or path the project lists in ``[security.git] allowed_remotes``. Where a command's
positions cannot be read with confidence (an option the tables below do not know), it is denied.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .decision import Decision, deny
from .git_options import SPECS, OptionSpec, UnknownOption, parse

REMOTE_SECTION = re.compile(r'^\s*\[\s*remote\s+"([^"\n]+)"\s*\]|^\s*\[\s*remote\.([^\]\s]+)\s*\]')


@dataclass(frozen=True)
class Place:
    """The project, where git runs in it (``-C``), and what it may reach."""

    project: Path | None
    cwd: Path | None
    protected: tuple[Path, ...] = ()
    remotes: tuple[str, ...] = ()

    @classmethod
    def of(cls, project: Path | None, protected: Sequence[Path], remotes: Sequence[str]) -> Place:
        root = Path(os.path.realpath(project)) if project is not None else None
        shielded = tuple(Path(os.path.realpath(p)) for p in protected)
        return cls(root, root, shielded, tuple(remotes))

    @cached_property
    def names(self) -> frozenset[str] | None:
        """The remote names the project's ``.git/config`` configures; None if it is unreadable."""
        if self.project is None:
            return None
        config = self.project / ".git" / "config"
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        found = set()
        for line in text.splitlines():
            match = REMOTE_SECTION.match(line)
            if match:
                found.add(match[1] or match[2])
        return frozenset(found)


def _outside(rule: str, reason: str) -> Decision:
    return deny(rule, f"{reason}; git here works in the project only")


def directory(raw: str, place: Place, what: str) -> Decision | None:
    """Deny ``raw`` (relative to where git runs) unless it is inside and unprotected."""
    if place.project is None or place.cwd is None:
        return _outside("git-outside-project", f"git {what} {raw}: the project is not known")
    if raw.startswith("~") or "\\" in raw:
        return _outside("git-outside-project", f"git {what} {raw}: not a plain relative path")
    path = Path(os.path.realpath(place.cwd / raw))
    root = place.project
    if path != root and root not in path.parents:
        return _outside(
            "git-outside-project", f"git {what} {raw}: {path} is outside the project {root}"
        )
    if any(path == p or p in path.parents for p in place.protected):
        return deny(
            "protected-path",
            f"git {what} {raw}: {path} belongs to the harness or the repository; never there",
        )
    return None


def enter(raw: str, place: Place) -> tuple[Place, Decision | None]:
    """``git -C raw``: a directory of the project's own work tree, never another repository."""
    denied = directory(raw, place, "-C")
    if denied or place.project is None or place.cwd is None:
        return place, denied
    path = Path(os.path.realpath(place.cwd / raw))
    here = path
    while here != place.project:
        if os.path.lexists(here / ".git"):
            return place, deny(
                "git-outside-project",
                f"git -C {raw}: {here} is another repository; run git on the project",
            )
        here = here.parent
    return Place(place.project, path, place.protected, place.remotes), None


def remote(raw: str, place: Place, what: str) -> Decision | None:
    """Deny ``raw`` as a repository unless it is a configured remote's name or listed."""
    if raw in place.remotes:
        return None
    names = place.names
    bare = bool(raw) and not any(c in raw for c in "/:\\") and raw not in (".", "..")
    bare = bare and not raw.startswith(("-", "~"))
    if bare and (raw in names if names is not None else True):
        return None
    known = ", ".join(sorted(names)) if names else "none readable"
    return deny(
        "git-remote",
        f"git {what} {raw}: only a remote configured in the repository ({known}) or one "
        "listed in [security.git] allowed_remotes may be named; a URL or path could send "
        "the project's files anywhere",
    )


def check_places(sub: str, rest: list[str], place: Place) -> Decision | None:
    """The directories and repositories ``git SUB REST`` names, each checked."""
    if sub == "format-patch":
        return _format_patch(rest, place)
    if sub == "archive":
        return _archive(rest, place)
    spec = SPECS.get(sub)
    if spec is None:
        return None
    try:
        values, positional = parse(spec, rest)
    except UnknownOption as unknown:
        return deny(
            "git-unknown-option",
            f"git {sub} {unknown.option}: an option the policy cannot read here; drop it",
        )
    return CHECKS[sub](values, positional, place)


Values = list[tuple[str, str]]


def _first_remote(sub: str, values: Values, positional: list[str], place: Place) -> Decision | None:
    named = [v for k, v in values if k == "--repo"]
    if sub == "fetch" and any(k in ("--multiple", "-m") for k, _ in values):
        named += positional
    else:
        named += positional[:1]
    for raw in named:
        if denied := remote(raw, place, sub):
            return denied
    return None


def _clone(values: Values, positional: list[str], place: Place) -> Decision | None:
    unsafe = sorted({k for k, _ in values} - SPECS["clone"].safe)
    if unsafe:
        return deny(
            "git-destructive",
            f"git clone {unsafe[0]}: clone options that run programs, set config or share "
            "objects with other repositories are not allowed",
        )
    if not positional:
        return None
    source = positional[0]
    if source not in place.remotes:
        # host:path is ssh to git, file://... a URL: only a listed one may be cloned
        denied = remote(source, place, "clone") if ":" in source else None
        if denied or (denied := directory(source, place, "clone")):
            return denied
    for raw in positional[1:]:
        if denied := directory(raw, place, "clone"):
            return denied
    return None


def _worktree(values: Values, positional: list[str], place: Place) -> Decision | None:
    if positional[:1] in ([], ["list"], ["prune"]):
        return None
    for raw in positional[1:]:  # add PATH [COMMIT], move WT NEW, remove/lock/repair WT...
        if denied := directory(raw, place, f"worktree {positional[0]}"):
            return denied
    return None


def _init(values: Values, positional: list[str], place: Place) -> Decision | None:
    for raw in positional + [v for k, v in values if k == "--separate-git-dir"]:
        if denied := directory(raw, place, "init"):
            return denied
    return None


def _remote(values: Values, positional: list[str], place: Place) -> Decision | None:
    if positional[:1] in (["show"], ["get-url"], ["prune"], ["update"]):
        for raw in positional[1:]:
            if denied := remote(raw, place, f"remote {positional[0]}"):
                return denied
    return None


def _submodule(values: Values, positional: list[str], place: Place) -> Decision | None:
    verb = positional[:1]
    if verb in (["init"], ["sync"], ["set-url"]) or (
        verb == ["update"] and any(k == "--init" for k, _ in values)
    ):
        return deny(
            "git-remote",
            f"git submodule {verb[0]} takes its URLs from .gitmodules, which anyone can edit",
        )
    if verb == ["add"] and positional[1:]:
        if positional[1] not in place.remotes:
            return deny("git-remote", f"git submodule add {positional[1]}: not an allowed remote")
        for raw in positional[2:]:
            if denied := directory(raw, place, "submodule add"):
                return denied
    return None


CHECKS = {
    "push": lambda v, p, place: _first_remote("push", v, p, place),
    "fetch": lambda v, p, place: _first_remote("fetch", v, p, place),
    "pull": lambda v, p, place: _first_remote("pull", v, p, place),
    "ls-remote": lambda v, p, place: _first_remote("ls-remote", v, p, place),
    "clone": _clone,
    "worktree": _worktree,
    "init": _init,
    "remote": _remote,
    "submodule": _submodule,
}


def _prefix_of(word: str, option: str) -> bool:
    name = word.split("=", 1)[0]
    return len(name) > 2 and option.startswith(name)


def _value(rest: list[str], i: int) -> str:
    word = rest[i]
    if word.startswith("--") and "=" in word:
        return word.split("=", 1)[1]
    return rest[i + 1] if i + 1 < len(rest) else ""


def _format_patch(rest: list[str], place: Place) -> Decision | None:
    """``-o DIR``, ``-oDIR``, ``-ko DIR``, ``--output-directory[=]DIR`` and any prefix of it;
    ``--suffix`` goes into every file name, so a ``/`` in it could climb out."""
    for i, word in enumerate(rest):
        value: str | None = None
        if word.startswith("--") and _prefix_of(word, "--output-directory"):
            value = _value(rest, i)
        elif word.startswith("-") and not word.startswith("--") and "o" in word:
            after = word[word.index("o") + 1 :]
            value = after or (rest[i + 1] if i + 1 < len(rest) else "")
        if value is not None and (denied := directory(value, place, "format-patch -o")):
            return denied
        if word.startswith("--") and _prefix_of(word, "--suffix"):
            suffix = _value(rest, i)
            if "/" in suffix or "\\" in suffix:
                return _outside("git-outside-project", f"git format-patch {word}: a / in it")
    return None


def _archive(rest: list[str], place: Place) -> Decision | None:
    for i, word in enumerate(rest):
        denied = None
        if word.startswith("--") and _prefix_of(word, "--remote"):
            denied = remote(_value(rest, i), place, "archive --remote")
        if denied:
            return denied
    return None


__all__ = ["OptionSpec", "Place", "check_places", "directory", "enter", "remote"]
