"""The git policy: what a coding agent may do with git, decided on argv alone.

Global options are parsed (``-C``, ``-c``, ``--git-dir``, ...) and long options are matched the
way git matches abbreviations, so ``reset --har`` is ``reset --hard``. Anything that destroys
uncommitted work, untracked files, stashes, branches or history, rewrites remotes, or runs
arbitrary programs is denied; an unknown subcommand (an alias can be anything) is denied too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .decision import Decision, allow, deny

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
     "merge-base", "name-rev", "count-objects", "check-ignore", "var"}
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
              "--set-upstream", "--progress", "--porcelain", "--write-fetch-head"),
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


def check_git(argv: Sequence[str], project_dir: Path | None = None) -> Decision:
    """Allow or deny one git invocation; the project's repository, where known, names branches."""
    repo = project_dir
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
    for arg in rest:
        name = arg.split("=", 1)[0]
        short = arg.startswith("-") and not arg.startswith("--")
        if (len(name) > 2 and any(p.startswith(name) for p in RUNS_PROGRAMS)) or (
            sub == "grep" and short and "O" in arg
        ):
            return deny("git-runs-programs", f"git {sub} {arg} runs another program; drop it")
        if name == "--output" or (sub == "archive" and short and "o" in arg):
            return deny("git-writes-files", f"git {sub} {arg} writes over a file; drop it")
    return _subcommand(sub, rest, repo)


def _subcommand(sub: str, rest: list[str], repo: Path | None) -> Decision:
    opts, plain = _options(sub, rest)
    why = _destructive(sub, rest, opts, plain, repo)
    if why:
        return deny(
            "git-destructive", f"git {sub}: {why}. It could destroy work; it is not allowed"
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


def _destructive(
    sub: str, rest: list[str], opts: set[str], plain: list[str], repo: Path | None
) -> str:
    """Why this call could destroy work, move refs or run programs; "" when it cannot."""
    force = {"-f", "--force", "<ambiguous>"}
    if sub in ("clean", "filter-branch", "filter-repo", "prune", "difftool", "mergetool"):
        return "removes files or history, or runs other programs"
    if sub == "reset" and opts & {"--hard", "--merge", "--keep", "<ambiguous>"}:
        return "reset --hard/--merge/--keep discards uncommitted changes"
    if sub == "reset" and "--" in opts:
        return "reset of paths"
    if sub == "restore":
        return "restore overwrites changes in files"
    if sub == "switch" and opts & {
        "-f",
        "--force",
        "--discard-changes",
        "-C",
        "--force-create",
        "<ambiguous>",
    }:
        return "switch --discard-changes/--force throws away changes"
    if sub == "stash" and plain[:1] in (["drop"], ["clear"]):
        return "stash drop/clear deletes stashed work"
    if sub == "branch" and (
        {"-D", "-M", "-C"} & opts
        or ({"-d", "--delete"} & opts and {"-f", "--force"} & opts)
        or "<ambiguous>" in opts
    ):
        return "branch -D / --delete --force deletes unmerged work"
    if sub == "push":
        if opts & {
            "-f",
            "--force",
            "--force-with-lease",
            "--force-if-includes",
            "--mirror",
            "--delete",
            "-d",
            "--prune",
            "<ambiguous>",
        }:
            return "a forced or deleting push rewrites the remote"
        if any(
            arg.startswith(("+", ":")) or ":+" in arg or (":" in arg and arg.split(":", 1)[0] == "")
            for arg in plain[1:]
        ):
            return "a +refspec or :branch push rewrites or deletes remote branches"
    if sub == "bisect" and plain[:1] == ["run"]:
        return "bisect run runs arbitrary commands"
    if sub == "submodule" and "foreach" in plain:
        return "submodule foreach runs arbitrary commands"
    if sub == "reflog" and plain[:1] in (["expire"], ["delete"]):
        return "reflog expire/delete drops recovery points"
    if sub == "gc" and ("--prune" in opts or "<ambiguous>" in opts):
        return "gc --prune drops unreachable work"
    if sub == "worktree" and plain[:1] == ["remove"] and opts & {"-f", "--force"}:
        return "worktree remove --force deletes changes"
    if sub == "remote" and plain[:1] and plain[0] not in ("-v", "show", "get-url"):
        return "changing remotes is not allowed"
    if sub in ("rebase", "update-ref", "replace"):
        return "it rewrites history or moves refs"
    if sub == "commit" and "--amend" in opts:
        return "--amend rewrites the last commit (the harness's checkpoint); make a new commit"
    if sub == "config" and not _config_reads(rest, plain, opts):
        return "config writes change how git runs"
    if sub in ("branch", "tag", "rm", "mv") and opts & force:
        return f"{sub} --force overwrites or deletes what git would otherwise protect"
    if sub == "tag" and opts & {"-d", "--delete"}:
        return "tag --delete deletes a tag"
    if (sub == "checkout" and "-B" in opts) or (sub == "worktree" and opts & {"-B", *force}):
        return "-B resets an existing branch and --force discards changes"
    if sub == "checkout" and not _checkout_of_a_branch(opts, plain, repo):
        return (
            "checkout of anything but a local branch (or -b NEW) can write over files; "
            "use `git switch BRANCH`"
        )
    if sub in ("fetch", "pull"):
        if opts & {"-P", "--prune-tags", "-p", "--prune", *force}:
            return f"{sub} --prune/--force deletes or moves refs"
        if any(":" in arg or arg.startswith("+") for arg in plain):
            return f"{sub} into a named ref can move a local branch; fetch the remote alone"
        if sub == "pull" and opts & {"-r", "--rebase"}:
            return "pull --rebase rewrites local commits; pull with a merge"
    if sub == "reset" and any(arg != "HEAD" for arg in plain):
        return "reset to another commit moves the branch and drops commits from it"
    if sub == "init" and opts - {"-q", "--quiet", "-b", "--initial-branch"}:
        return "init options (--bare, --shared, --template, ...) change the repository"
    if sub == "submodule" and (plain[:1] == ["deinit"] or opts & force):
        return "submodule deinit/--force deletes submodule work"
    return ""


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
