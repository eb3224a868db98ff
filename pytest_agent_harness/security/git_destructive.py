"""Which git calls could destroy work, move refs or run programs, and why: a check per subcommand.

``git.py`` parses the command line (global options, abbreviated long options); the verdict on a
known subcommand's options and words is made here. A subcommand with no check destroys nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FORCE = frozenset({"-f", "--force", "<ambiguous>"})
"""``--force`` as an option set: a short or long force, or an option git might read as one."""


@dataclass(frozen=True)
class _Call:
    """One git subcommand's arguments: as given, options expanded, and the plain words."""

    sub: str
    rest: list[str]
    opts: set[str]
    plain: list[str]
    repo: Path | None


def destructive(
    sub: str, rest: list[str], opts: set[str], plain: list[str], repo: Path | None
) -> str:
    """Why this call could destroy work, move refs or run programs; "" when it cannot."""
    if sub in ALWAYS_DESTRUCTIVE:
        return ALWAYS_DESTRUCTIVE[sub]
    check = DESTRUCTIVE_CHECKS.get(sub)
    return check(_Call(sub, rest, opts, plain, repo)) if check else ""


def _reset(call: _Call) -> str:
    if call.opts & {"--hard", "--merge", "--keep", "<ambiguous>"}:
        return "reset --hard/--merge/--keep discards uncommitted changes"
    if "--" in call.opts:
        return "reset of paths"
    if any(arg != "HEAD" for arg in call.plain):
        return "reset to another commit moves the branch and drops commits from it"
    return ""


def _switch(call: _Call) -> str:
    if call.opts & {"-f", "--force", "--discard-changes", "-C", "--force-create", "<ambiguous>"}:
        return "switch --discard-changes/--force throws away changes"
    return ""


def _checkout(call: _Call) -> str:
    if "-B" in call.opts:
        return "-B resets an existing branch and --force discards changes"
    if not _checkout_of_a_branch(call.opts, call.plain, call.repo):
        return (
            "checkout of anything but a local branch (or -b NEW) can write over files; "
            "use `git switch BRANCH`"
        )
    return ""


def _stash(call: _Call) -> str:
    if call.plain[:1] in (["drop"], ["clear"]):
        return "stash drop/clear deletes stashed work"
    return ""


def _branch(call: _Call) -> str:
    opts = call.opts
    if (
        {"-D", "-M", "-C"} & opts
        or ({"-d", "--delete"} & opts and {"-f", "--force"} & opts)
        or "<ambiguous>" in opts
    ):
        return "branch -D / --delete --force deletes unmerged work"
    return _forced(call)


def _tag(call: _Call) -> str:
    if forced := _forced(call):
        return forced
    return "tag --delete deletes a tag" if call.opts & {"-d", "--delete"} else ""


def _forced(call: _Call) -> str:
    if call.opts & FORCE:
        return f"{call.sub} --force overwrites or deletes what git would otherwise protect"
    return ""


def _push(call: _Call) -> str:
    if call.opts & {"--force-with-lease", "--force-if-includes", "--mirror", "--delete", "-d",
                    "--prune", *FORCE}:  # fmt: skip
        return "a forced or deleting push rewrites the remote"
    if any(
        arg.startswith(("+", ":")) or ":+" in arg or (":" in arg and arg.split(":", 1)[0] == "")
        for arg in call.plain[1:]
    ):
        return "a +refspec or :branch push rewrites or deletes remote branches"
    return ""


def _fetch_or_pull(call: _Call) -> str:
    if call.opts & {"-P", "--prune-tags", "-p", "--prune", *FORCE}:
        return f"{call.sub} --prune/--force deletes or moves refs"
    if "--stdin" in call.opts:
        return "fetch --stdin reads refspecs (+src:dst moves a local branch) nobody sees"
    if any(":" in arg or arg.startswith("+") for arg in call.plain):
        return f"{call.sub} into a named ref can move a local branch; fetch the remote alone"
    if call.sub == "pull" and call.opts & {"-r", "--rebase"}:
        return "pull --rebase rewrites local commits; pull with a merge"
    return ""


def _worktree(call: _Call) -> str:
    if call.plain[:1] == ["remove"] and call.opts & {"-f", "--force"}:
        return "worktree remove --force deletes changes"
    if call.opts & {"-B", *FORCE}:
        return "-B resets an existing branch and --force discards changes"
    return ""


def _submodule(call: _Call) -> str:
    if "foreach" in call.plain:
        return "submodule foreach runs arbitrary commands"
    if call.plain[:1] == ["deinit"] or call.opts & FORCE:
        return "submodule deinit/--force deletes submodule work"
    return ""


def _when(test: Callable[[_Call], object], reason: str) -> Callable[[_Call], str]:
    """A check that gives ``reason`` when ``test`` holds."""
    return lambda call: reason if test(call) else ""


ALWAYS_DESTRUCTIVE = {
    **dict.fromkeys(
        ("clean", "filter-branch", "filter-repo", "prune", "difftool", "mergetool"),
        "removes files or history, or runs other programs",
    ),
    "restore": "restore overwrites changes in files",
    **dict.fromkeys(("rebase", "update-ref", "replace"), "it rewrites history or moves refs"),
}
"""Subcommands denied whatever their arguments, and why."""

DESTRUCTIVE_CHECKS: dict[str, Callable[[_Call], str]] = {
    "reset": _reset,
    "switch": _switch,
    "checkout": _checkout,
    "stash": _stash,
    "branch": _branch,
    "tag": _tag,
    "rm": _forced,
    "mv": _forced,
    "push": _push,
    "fetch": _fetch_or_pull,
    "pull": _fetch_or_pull,
    "worktree": _worktree,
    "submodule": _submodule,
    "bisect": _when(lambda c: c.plain[:1] == ["run"], "bisect run runs arbitrary commands"),
    "reflog": _when(
        lambda c: c.plain[:1] in (["expire"], ["delete"]),
        "reflog expire/delete drops recovery points",
    ),
    "gc": _when(
        lambda c: "--prune" in c.opts or "<ambiguous>" in c.opts,
        "gc --prune drops unreachable work",
    ),
    "remote": _when(
        lambda c: c.plain[:1] and c.plain[0] not in ("-v", "show", "get-url"),
        "changing remotes is not allowed",
    ),
    "commit": _when(
        lambda c: "--amend" in c.opts,
        "--amend rewrites the last commit (the harness's checkpoint); make a new commit",
    ),
    "config": _when(
        lambda c: not _config_reads(c.rest, c.plain, c.opts), "config writes change how git runs"
    ),
    "init": _when(
        lambda c: c.opts - {"-q", "--quiet", "-b", "--initial-branch"},
        "init options (--bare, --shared, --template, ...) change the repository",
    ),
}
"""Per subcommand, the check that says why a call could destroy work ("" when it cannot)."""


CONFIG_READS = frozenset({"--get", "--get-all", "--get-regexp", "--get-urlmatch", "--list", "-l"})
CONFIG_SCOPES = frozenset(
    {"--global", "--local", "--system", "--worktree", "--show-origin", "--show-scope",
     "--name-only", "--null", "-z", "--includes", "--no-includes", "--type", "--bool",
     "--int", "--path"}
)  # fmt: skip


def _config_reads(rest: list[str], plain: list[str], opts: set[str]) -> bool:
    """Whether ``git config`` only reads: ``get``/``list``, or read options and no writes.

    git stops reading options at the first other argument, so in ``config KEY --get`` the
    ``--get`` is the value KEY is set to.
    """
    if plain[:1] in (["get"], ["list"]):
        return len(plain) <= 2
    if plain and any(arg.startswith("-") for arg in rest[rest.index(plain[0]) :]):
        return False
    return bool(opts & CONFIG_READS) and not opts - CONFIG_READS - CONFIG_SCOPES


def _checkout_of_a_branch(opts: set[str], plain: list[str], repo: Path | None) -> bool:
    """``checkout -b NEW [START]``, or ``checkout NAME`` of an existing local branch.

    To git, ``checkout NAME`` restores the file NAME when NAME is not a branch: only a branch
    the repository has is safe to name.
    """
    if opts - {"-b", "-q", "--quiet", "-t", "--track", "--no-track"}:
        return False
    if "-b" in opts:
        return 1 <= len(plain) <= 2
    if len(plain) != 1:
        return False
    return plain[0] == "-" or (repo is not None and _is_local_branch(repo / ".git", plain[0]))


def _is_local_branch(git_dir: Path, name: str) -> bool:
    if ".." in name or name.startswith(("-", "/")) or not git_dir.is_dir():
        return False
    if (git_dir / "refs" / "heads" / name).is_file():
        return True
    try:
        packed = (git_dir / "packed-refs").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.endswith(f" refs/heads/{name}") for line in packed.splitlines())
