"""The git policy: what a coding agent may do with git, decided on argv alone.

Global options are parsed (``-C``, ``-c``, ``--git-dir``, ...) and long options are matched the
way git matches abbreviations, so ``reset --har`` is ``reset --hard``. Anything that destroys
uncommitted work, untracked files, stashes, branches or history, rewrites remotes, or runs
arbitrary programs is denied; an unknown subcommand (an alias can be anything) is denied too.
"""

from __future__ import annotations

from collections.abc import Sequence

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
     "help", "merge-base", "name-rev", "count-objects", "check-ignore", "var"}
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
RUNS_PROGRAMS = ("--upload-pack", "--receive-pack", "--exec", "--ext-diff", "--extcmd")
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
        if after_dashdash:
            rest.append(arg)
        elif arg == "--":
            after_dashdash = True
            opts.add("--")
        elif arg.startswith("--"):
            opts.add(_expand(subcommand, arg))
        elif arg.startswith("-") and len(arg) > 1:
            opts.update(f"-{letter}" for letter in arg[1:])
        else:
            rest.append(arg)
    return opts, rest


def check_git(argv: Sequence[str]) -> Decision:
    """Allow or deny one git invocation."""
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
            i += 1 if "=" in arg else 2
            continue
        if name in GLOBAL_FLAGS or name == "--exec-path":
            i += 1
            continue
        return deny("git-unknown-option", f"git {arg}: unknown global option")
    if i >= len(args):
        return allow()
    sub, rest = args[i], args[i + 1 :]
    for arg in rest:
        if arg.split("=", 1)[0] in RUNS_PROGRAMS:
            return deny("git-runs-programs", f"git {sub} {arg} runs another program; drop it")
    return _subcommand(sub, rest)


def _subcommand(sub: str, rest: list[str]) -> Decision:
    opts, plain = _options(sub, rest)
    why = _destructive(sub, opts, plain)
    if why:
        return deny(
            "git-destructive", f"git {sub}: {why}. It could destroy work; it is not allowed"
        )
    if sub in READ_ONLY or sub in EVERYDAY or sub in LONG_OPTIONS or sub in (
        "switch", "checkout", "stash", "restore", "worktree", "remote", "config", "submodule",
        "bisect", "reflog", "update-ref",
    ):  # fmt: skip
        return allow()
    return deny(
        "git-unknown-subcommand",
        f"git {sub}: not a subcommand the policy knows (aliases are not allowed)",
    )


def _destructive(sub: str, opts: set[str], plain: list[str]) -> str:
    if sub in ("clean", "filter-branch", "filter-repo", "prune", "difftool", "mergetool"):
        return "removes files or history, or runs other programs"
    if sub == "reset" and opts & {"--hard", "--merge", "--keep", "<ambiguous>"}:
        return "reset --hard/--merge/--keep discards uncommitted changes"
    if sub == "reset" and "--" in opts:
        return "reset of paths"
    if sub == "checkout" and (
        opts & {"-f", "--force", "--", "-p", "--patch", "--ours", "--theirs", "<ambiguous>"}
        or len(plain) > 1
        or "." in plain
    ):
        return "checkout with --force, -- or paths overwrites changes; use `git switch BRANCH`"
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
    if sub == "rebase" and opts & {"--exec", "-x", "-i", "--interactive", "<ambiguous>"}:
        return "rebase --exec runs commands and -i needs an editor"
    if sub == "bisect" and plain[:1] == ["run"]:
        return "bisect run runs arbitrary commands"
    if sub == "submodule" and "foreach" in plain:
        return "submodule foreach runs arbitrary commands"
    if sub == "reflog" and plain[:1] in (["expire"], ["delete"]):
        return "reflog expire/delete drops recovery points"
    if sub == "update-ref" and opts & {"-d", "--stdin"}:
        return "update-ref -d deletes refs"
    if sub == "gc" and ("--prune" in opts or "<ambiguous>" in opts):
        return "gc --prune drops unreachable work"
    if sub == "worktree" and plain[:1] == ["remove"] and opts & {"-f", "--force"}:
        return "worktree remove --force deletes changes"
    if sub == "remote" and plain[:1] and plain[0] not in ("-v", "show", "get-url"):
        return "changing remotes is not allowed"
    if (
        sub == "config"
        and not opts & {"--get", "--list", "-l", "--get-all", "--get-regexp"}
        and not (plain[:1] == ["get"] or plain[:1] == ["list"])
    ):
        return "config writes change how git runs"
    if sub == "commit" and "--amend" in opts:
        return "--amend rewrites the last commit (the harness's checkpoint); make a new commit"
    return ""
