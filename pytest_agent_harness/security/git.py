"""The git policy: what a coding agent may do with git, decided on argv alone.

Global options are parsed (``-C``, ``-c``, ``--git-dir``, ...) and long options are matched the
way git matches abbreviations, so ``reset --har`` is ``reset --hard``. Anything that destroys
uncommitted work, untracked files, stashes, branches or history, rewrites remotes, or runs
arbitrary programs is denied; an unknown subcommand (an alias can be anything) is denied too.
Which subcommand calls destroy work is decided, one check per subcommand, in ``git_destructive``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .decision import Decision, allow, deny
from .git_destructive import destructive
from .git_paths import Place, check_places, enter

SAFE_CONFIG_KEYS = frozenset(
    {"color.ui", "core.quotepath", "user.name", "user.email", "advice.detachedhead",
     "init.defaultbranch", "log.showsignature", "core.pager-none"}
)  # fmt: skip
GLOBAL_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env"}
)
GLOBAL_FLAGS = frozenset(
    {"--no-pager", "-p", "--paginate", "-P", "--no-replace-objects", "--literal-pathspecs",
     "--glob-pathspecs", "--noglob-pathspecs", "--icase-pathspecs", "--no-optional-locks",
     "--bare"}
)  # fmt: skip
READ_ONLY = frozenset(
    {"status", "diff", "log", "show", "rev-parse", "ls-files", "blame", "grep", "shortlog",
     "describe", "rev-list", "cat-file", "ls-tree", "show-ref", "whatchanged", "version",
     "merge-base", "name-rev", "count-objects", "check-ignore", "var", "ls-remote"}
)  # fmt: skip
EVERYDAY = frozenset(
    {
        "add",
        "commit",
        "init",
        "fetch",
        "pull",
        "merge",
        "cherry-pick",
        "mv",
        "rm",
        "tag",
        "notes",
        "revert",
        "am",
        "apply",
        "format-patch",
        "archive",
        "clone",
    }
)
RUNS_PROGRAMS = (
    "--upload-pack", "--receive-pack", "--exec", "--ext-diff", "--extcmd", "--open-files-in-pager",
    "--refmap",
)  # fmt: skip
"""Long options that run a program (or, --refmap, force-update local refs); their unique
prefixes are the same option to git, so a prefix of any of them is denied."""

LONG_OPTIONS = {
    "reset": ("--hard", "--merge", "--keep", "--soft", "--mixed", "--quiet", "--patch"),
    "checkout": ("--force", "--detach", "--quiet", "--track", "--no-track", "--orphan",
                 "--patch", "--ours", "--theirs", "--merge", "--conflict", "--overwrite-ignore"),
    "switch": ("--force", "--discard-changes", "--create", "--force-create", "--detach",
               "--quiet", "--track", "--no-track", "--orphan", "--merge", "--conflict"),
    "push": ("--force", "--force-with-lease", "--force-if-includes", "--mirror", "--delete",
             "--prune", "--all", "--tags", "--set-upstream", "--dry-run", "--quiet",
             "--verbose", "--no-verify", "--receive-pack", "--exec", "--follow-tags"),
    "branch": ("--delete", "--force", "--move", "--copy", "--list", "--all", "--remotes",
               "--show-current", "--verbose", "--set-upstream-to", "--unset-upstream"),
    "stash": (),
    "rebase": ("--exec", "--interactive", "--onto", "--continue", "--abort", "--skip",
               "--autosquash", "--root"),
    "gc": ("--prune", "--aggressive", "--auto", "--quiet", "--no-prune"),
    "clean": (),
    "commit": ("--amend", "--all", "--message", "--no-verify", "--allow-empty", "--fixup",
               "--file", "--quiet", "--signoff", "--author"),
    "rm": ("--force", "--cached", "--dry-run", "--quiet", "--ignore-unmatch", "--sparse",
           "--pathspec-from-file", "--pathspec-file-nul"),
    "mv": ("--force", "--dry-run", "--verbose", "--sparse"),
    "tag": ("--delete", "--force", "--list", "--annotate", "--message", "--file", "--sign",
            "--local-user", "--verify", "--contains", "--no-contains", "--points-at",
            "--sort", "--format", "--column", "--merged", "--no-merged", "--create-reflog",
            "--edit", "--cleanup", "--ignore-case", "--omit-empty", "--trailer"),
    "fetch": ("--prune", "--prune-tags", "--force", "--all", "--tags", "--no-tags", "--depth",
              "--dry-run", "--quiet", "--verbose", "--append", "--atomic", "--multiple",
              "--update-head-ok", "--unshallow", "--recurse-submodules", "--jobs",
              "--set-upstream", "--progress", "--porcelain", "--write-fetch-head", "--stdin"),
    "pull": ("--rebase", "--no-rebase", "--ff-only", "--ff", "--no-ff", "--prune", "--force",
             "--all", "--tags", "--depth", "--dry-run", "--quiet", "--verbose", "--autostash",
             "--squash", "--commit", "--no-commit", "--edit", "--no-edit", "--stat",
             "--update-head-ok", "--append", "--set-upstream", "--progress", "--signoff"),
    "init": ("--quiet", "--initial-branch", "--bare", "--shared", "--template",
             "--separate-git-dir", "--object-format", "--ref-format"),
    "worktree": ("--force", "--detach", "--checkout", "--lock", "--reason", "--orphan",
                 "--quiet", "--track", "--guess-remote", "--expire", "--porcelain",
                 "--verbose", "--dry-run"),
}  # fmt: skip


def _expand(subcommand: str, option: str) -> str:
    """The long option ``option`` abbreviates, as git resolves unique prefixes."""
    name = option.split("=", 1)[0]
    known = LONG_OPTIONS.get(subcommand, ())
    if name in known:
        return name
    matches = [k for k in known if k.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        return "<ambiguous>"
    return name


def _options(subcommand: str, args: Sequence[str]) -> tuple[set[str], list[str]]:
    """Long options (expanded), short letters (``-uf`` gives u and f), and the other arguments."""
    opts: set[str] = set()
    rest: list[str] = []
    after_dashdash = False
    for arg in args:
        # git may take "--" as an option's value (push --repo --, branch --format --), so the
        # words after it are read as options too: over-reading denies, under-reading would not.
        if arg == "--":
            after_dashdash = True
            opts.add("--")
        elif after_dashdash and not arg.startswith("-"):
            rest.append(arg)
        elif arg.startswith("--"):
            opts.add(_expand(subcommand, arg))
        elif arg.startswith("-") and len(arg) > 1:
            opts.update(f"-{letter}" for letter in arg[1:])
        else:
            rest.append(arg)
    return opts, rest


def check_git(
    argv: Sequence[str],
    project_dir: Path | None = None,
    *,
    writes: bool = True,
    protected: tuple[Path, ...] = (),
    remotes: tuple[str, ...] = (),
) -> Decision:
    """Allow or deny one git invocation; the project's repository, where known, names branches.

    ``writes=False`` allows only what reads the repository (status, diff, log, ...). The
    directories git is sent to must be inside the project and outside ``protected``; the
    repositories it talks to must be configured remotes or listed in ``remotes``.
    """
    repo = project_dir
    place = Place.of(project_dir, protected, remotes)
    args = list(argv[1:])
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        name = arg.split("=", 1)[0]
        if name in ("-c", "--config-env"):
            value = (
                arg.split("=", 1)[1]
                if "=" in arg and name != "-c"
                else (args[i + 1] if i + 1 < len(args) else "")
            )
            key = value.split("=", 1)[0].lower()
            if key not in SAFE_CONFIG_KEYS:
                return deny(
                    "git-config-override",
                    f"git -c {key}: overriding git settings can run programs; drop it",
                )
            i += 1 if ("=" in arg and name != "-c") else 2
            continue
        if name in ("--exec-path",) and "=" in arg:
            return deny("git-exec-path", "git --exec-path=... runs other programs; drop it")
        if name in GLOBAL_WITH_VALUE:
            if name in ("--git-dir", "--work-tree"):
                return deny(
                    "git-unknown-option",
                    f"git {name}: another repository over these files; run git in the project",
                )
            if name == "-C":
                repo = None  # another directory: its branches are unknown
                place, denied = enter(args[i + 1] if i + 1 < len(args) else "", place)
                if arg != "-C" or denied:
                    return denied or deny("git-unknown-option", f"git {arg}: write -C DIR")
            i += 1 if "=" in arg else 2
            continue
        if name == "--bare":
            return deny("git-unknown-option", "git --bare treats this directory as a repository")
        if name in GLOBAL_FLAGS or name == "--exec-path":
            i += 1
            continue
        return deny("git-unknown-option", f"git {arg}: unknown global option")
    if i >= len(args):
        return allow()
    sub, rest = args[i], args[i + 1 :]
    return _any_subcommand(sub, rest) or _subcommand(sub, rest, repo, writes, place)


def _any_subcommand(sub: str, rest: list[str]) -> Decision | None:
    """Options denied on every subcommand: those that run programs or write over a file."""
    for arg in rest:
        name = arg.split("=", 1)[0]
        short = arg.startswith("-") and not arg.startswith("--")
        if (len(name) > 2 and any(p.startswith(name) for p in RUNS_PROGRAMS)) or (
            sub == "grep" and short and "O" in arg
        ):
            return deny("git-runs-programs", f"git {sub} {arg} runs another program; drop it")
        if (len(name) > 2 and "--output".startswith(name)) or (
            sub == "archive" and short and "o" in arg
        ):
            return deny("git-writes-files", f"git {sub} {arg} writes over a file; drop it")
    return None


def _subcommand(
    sub: str, rest: list[str], repo: Path | None, writes: bool, place: Place
) -> Decision:
    opts, plain = _options(sub, rest)
    why = destructive(sub, rest, opts, plain, repo)
    if why:
        return deny(
            "git-destructive", f"git {sub}: {why}. It could destroy work; it is not allowed"
        )
    if denied := check_places(sub, rest, place):
        return denied
    if not writes and (why := _changes_repository(sub, opts, plain)):
        return deny(
            "git-read-only",
            f"git {sub}: {why}. The harness commits your work after each session, so git is "
            "read-only here (status, diff, log, show, ...); a project lets the agent write "
            "with `[security.git] agent_writes = true`",
        )
    if sub in READ_ONLY or sub in EVERYDAY or sub in LONG_OPTIONS or sub in (
        "switch", "checkout", "stash", "restore", "worktree", "remote", "config", "submodule",
        "bisect", "reflog",
    ):  # fmt: skip
        return allow()
    return deny(
        "git-unknown-subcommand",
        f"git {sub}: not a subcommand the policy knows (aliases are not allowed)",
    )


LISTS = frozenset({"--list", "-l", "--contains", "--no-contains", "--merged", "--no-merged",
                   "--points-at"})  # fmt: skip
"""Options that make ``branch``/``tag`` words patterns or commits to list by, not names."""
LISTING = {
    "branch": LISTS | {"--all", "-a", "--remotes", "-r", "--show-current", "--verbose", "-v",
                       "--sort", "--format", "--color", "--no-color", "--column", "--no-column",
                       "--abbrev", "--no-abbrev", "--ignore-case", "-i", "--quiet", "-q"},
    "tag": LISTS | {"-n", "--sort", "--format", "--color", "--no-color", "--column",
                    "--no-column", "--ignore-case", "-i", "--omit-empty"},
}  # fmt: skip
"""The options of a ``branch``/``tag`` call that only lists (any other may create or change)."""
READS_WHEN = {
    "stash": ("list", "show"),
    "worktree": ("list",),
    "notes": ("list", "show"),
}
"""Subcommands that read only with one of these first words (``notes`` alone lists too)."""


def _changes_repository(sub: str, opts: set[str], plain: list[str]) -> str:
    """Why an allowed call changes the repository, the index or the working tree; "" when it
    only reads. (``config`` and ``remote`` writes are denied whatever the mode.)"""
    if sub in READ_ONLY or sub in ("config", "remote", "reflog", "archive"):
        return ""
    if sub in LISTING:
        if opts <= LISTING[sub] and (not plain or opts & LISTS):
            return ""
        return f"with a name (or these options) it creates, moves or deletes a {sub}"
    if sub in READS_WHEN and (
        (plain[:1] and plain[0] in READS_WHEN[sub]) or (sub == "notes" and not plain)
    ):
        return ""
    return "it changes the repository, the index, the working tree or a remote"
