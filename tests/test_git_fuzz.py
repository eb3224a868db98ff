"""Random git command lines: whenever the git policy allows one, really running it with the real git
in a scratch repository loses no work and runs no program, because an argv-based policy is only as
good as its agreement with what git actually does.

Each allowed command runs on a fresh copy of one prepared repository (branches, an annotated tag,
a stash entry, staged, unstaged, untracked and ignored changes, a local bare ``origin``) with a
shim named ``evilprog`` first on PATH; afterwards every commit, tag, uncommitted change and remote
commit that existed before must still be there, the config unchanged and the shim never run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_agent_harness.security.decision import Decision
from pytest_agent_harness.security.git import check_git

pytestmark = pytest.mark.fuzz

EVIL = "evilprog"
TIMEOUT = 20

# The uncommitted work in the scratch repository. Every content is distinct from every committed
# blob, so finding its blob id reachable after a command means the work was really kept.
TRACKED_EDIT = b"tracked: committed line\ntracked: UNSTAGED edit\n"
STAGED_EDIT = b"staged: committed line\nstaged: STAGED edit\n"
UNTRACKED = b"untracked: never added\n"
IGNORED = b"ignored: a build log nobody committed\n"
STASHED_EDIT = b"stashed: committed line\nstashed: STASHED edit\n"


def blob_id(data: bytes) -> str:
    """The id git gives ``data`` as a blob (what ``git hash-object`` prints), computed in Python."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


WORK = {
    "unstaged edit of tracked.txt": blob_id(TRACKED_EDIT),
    "staged edit of staged.txt": blob_id(STAGED_EDIT),
    "untracked untracked.txt": blob_id(UNTRACKED),
    "ignored build.log": blob_id(IGNORED),
    "stashed edit of stashed.txt": blob_id(STASHED_EDIT),
}
"""What must survive every allowed command: in the working tree, the index or a reachable object."""


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class State:
    """What the invariants compare: taken once on the template, again after each command."""

    objects: frozenset[str]
    origin: frozenset[str]
    config: tuple[str, ...]


@dataclass(frozen=True)
class Scratch:
    template: Path
    """Holds ``origin.git`` (bare) and ``work/`` (its clone, remote URL ``../origin.git``)."""
    base: Path
    env: dict[str, str]
    evil_log: Path
    home_config: Path
    home_config_text: str
    before: State


def run(args: Sequence[str], cwd: Path, env: dict[str, str]) -> Outcome:
    """``git ARGS`` with no stdin and a timeout; the whole process group dies on a timeout."""
    proc = subprocess.Popen(
        ["git", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"git {' '.join(args)} hung for {TIMEOUT}s")
    return Outcome(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


def git(args: Sequence[str], cwd: Path, env: dict[str, str]) -> str:
    """A setup or inspection command, which must succeed."""
    outcome = run(args, cwd, env)
    assert outcome.returncode == 0, f"git {' '.join(args)}: {outcome.stderr}"
    return outcome.stdout


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def build(root: Path, env: dict[str, str]) -> None:
    """The prepared repository (see the module docstring), built once and then copied."""
    no_templates = ["--template="]  # no sample hooks, fewer files to copy
    git(["init", "-q", "--bare", *no_templates, "-b", "main", "origin.git"], root, env)
    work = root / "work"
    work.mkdir()
    git(["init", "-q", *no_templates, "-b", "main"], work, env)
    git(["remote", "add", "origin", "../origin.git"], work, env)  # relative: copies stay whole
    write(work / ".gitignore", b"*.log\n")
    write(work / "tracked.txt", b"tracked: committed line\n")
    write(work / "staged.txt", b"staged: committed line\n")
    write(work / "stashed.txt", b"stashed: committed line\n")
    write(work / "README.md", b"# scratch\n")
    git(["add", "-A"], work, env)
    git(["commit", "-q", "-m", "first"], work, env)
    write(work / "README.md", b"# scratch\n\nsecond\n")
    git(["commit", "-q", "-am", "second"], work, env)
    git(["tag", "-a", "v1", "-m", "release v1"], work, env)  # annotated: the tag is an object
    git(["switch", "-q", "-c", "feature"], work, env)
    write(work / "tracked.txt", b"tracked: committed line\ntracked: feature line\n")
    write(work / "feature.txt", b"feature: pushed\n")
    git(["add", "-A"], work, env)
    git(["commit", "-q", "-m", "feature, pushed"], work, env)
    git(["switch", "-q", "main"], work, env)
    write(work / "README.md", b"# scratch\n\nsecond\nthird\n")
    git(["commit", "-q", "-am", "third"], work, env)
    git(["push", "-q", "-u", "origin", "main", "feature", "v1"], work, env)
    git(["tag", "-a", "local", "-m", "a tag nobody pushed", "HEAD~1"], work, env)
    # One commit on feature that only this repository has: the remote-tracking ref origin/feature
    # keeps the pushed commits reachable, so only an unpushed commit shows a lost branch.
    git(["switch", "-q", "feature"], work, env)
    write(work / "feature.txt", b"feature: pushed\nfeature: NOT pushed\n")
    git(["commit", "-q", "-am", "feature, not pushed"], work, env)
    git(["switch", "-q", "main"], work, env)
    write(work / "stashed.txt", STASHED_EDIT)
    git(["stash", "push", "-q", "-m", "stashed work"], work, env)
    write(work / "tracked.txt", TRACKED_EDIT)
    write(work / "staged.txt", STAGED_EDIT)
    git(["add", "staged.txt"], work, env)
    write(work / "untracked.txt", UNTRACKED)
    write(work / "build.log", IGNORED)
    for repo in (root / "origin.git", work):
        git(["gc", "-q"], repo, env)  # packed objects and refs: fewer files to copy


def file_blobs(root: Path) -> set[str]:
    """Blob ids of every file under ``root`` (working trees, worktrees), skipping git dirs."""
    blobs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.endswith(".git")]  # .git, origin.git, ...
        for name in filenames:
            path = Path(dirpath, name)
            if path.is_file() and not path.is_symlink():
                blobs.add(blob_id(path.read_bytes()))
    return blobs


def reachable(work: Path, env: dict[str, str], *, stash: bool = True) -> frozenset[str]:
    """Objects reachable from refs and HEAD; with ``stash``, from every stash entry too.

    A rebase or merge stopped on a conflict keeps its ``--autostash`` in a file, not a ref, and
    applies it on ``--continue``/``--abort``: those count as kept.
    """
    roots: list[str] = []
    if stash:
        roots += run(["stash", "list", "--format=%H"], work, env).stdout.split()
        gitdir = Path(run(["rev-parse", "--git-dir"], work, env).stdout.strip() or ".git")
        gitdir = gitdir if gitdir.is_absolute() else work / gitdir
        for name in ("rebase-merge/autostash", "rebase-apply/autostash", "MERGE_AUTOSTASH"):
            if (gitdir / name).is_file():
                roots.append((gitdir / name).read_text().strip())
        args = ["rev-list", "--objects", "--all", *roots]
    else:
        args = ["rev-list", "--objects", "--exclude=refs/stash", "--all"]
    out = run(args, work, env).stdout
    return frozenset(line.split(" ", 1)[0] for line in out.splitlines())


def snapshot(example: Path, env: dict[str, str], *, before: bool = False) -> State:
    work = example / "work"
    config = run(["config", "--list", "--local"], work, env).stdout.splitlines()
    origin = run(["--git-dir=origin.git", "rev-list", "--objects", "--all"], example, env).stdout
    return State(
        objects=reachable(work, env, stash=not before),
        origin=frozenset(line.split(" ", 1)[0] for line in origin.splitlines()),
        # git adds branch.<name>.remote/merge (push -u, branch -u, switch -c --track) itself.
        config=tuple(sorted(line for line in config if not line.startswith("branch."))),
    )


def losses(example: Path, scratch: Scratch) -> list[str]:
    """Every way the invariants fail after a command ran in ``example`` (a copy of the template).

    Commits are compared by reachability from refs (branches, tags, remote-tracking refs, HEAD);
    objects git drops that no ref reached (gc of loose objects, reflog-only entries) are not work.
    The stash is compared by content: ``stash pop`` rightly drops an entry it applied.
    """
    work, env, before = example / "work", scratch.env, scratch.before
    found: list[str] = []
    after = snapshot(example, env)
    lost = before.objects - after.objects
    if lost:
        found.append(f"history: {len(lost)} commits, tags or trees no longer reachable from a ref")
    kept = after.objects | file_blobs(example)
    kept |= {line.split()[1] for line in run(["ls-files", "-s"], work, env).stdout.splitlines()}
    found += [f"work: lost the {what}" for what, blob in WORK.items() if blob not in kept]
    if before.origin - after.origin:
        found.append(f"origin: lost {len(before.origin - after.origin)} objects")
    if after.config != before.config:
        added = sorted(set(after.config) - set(before.config))
        removed = sorted(set(before.config) - set(after.config))
        found.append(f"config: +{added} -{removed}")
    if scratch.home_config.read_text() != scratch.home_config_text:
        scratch.home_config.write_text(scratch.home_config_text)  # shared by all examples
        found.append("config: the global ~/.gitconfig changed")
    strays = sorted(set(os.listdir(example)) - {"work", "origin.git"})
    if strays:
        found.append(f"outside: wrote {strays} beside the project")
    if scratch.evil_log.exists() and scratch.evil_log.read_text():
        found.append(f"program: {EVIL} ran as {scratch.evil_log.read_text().strip()!r}")
    return found


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    root = tmp_path_factory.mktemp("git-fuzz")
    shims, home, template, base = (root / n for n in ("shims", "home", "template", "examples"))
    for d in (shims, home, template, base):
        d.mkdir()
    evil_log = root / "evil.log"
    shim = shims / EVIL
    shim.write_text(f'#!/bin/sh\necho "{EVIL} $*" >> "{evil_log}"\n')
    shim.chmod(0o755)
    home_config = home / ".gitconfig"
    home_config.write_text(
        "[user]\n\tname = Fuzz\n\temail = fuzz@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n"
        # No background maintenance outliving an example and racing its deletion.
        "[maintenance]\n\tauto = false\n[gc]\n\tautoDetach = false\n"
    )
    env = {
        "PATH": f"{shims}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(home),
        "LANG": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(root),  # never find a repository above the scratch dir
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_EDITOR": "true",
        "EDITOR": "true",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "GIT_AUTHOR_NAME": "Fuzz",
        "GIT_AUTHOR_EMAIL": "fuzz@example.invalid",
        "GIT_COMMITTER_NAME": "Fuzz",
        "GIT_COMMITTER_EMAIL": "fuzz@example.invalid",
    }
    build(template, env)
    return Scratch(
        template=template,
        base=base,
        env=env,
        evil_log=evil_log,
        home_config=home_config,
        home_config_text=home_config.read_text(),
        before=snapshot(template, env, before=True),
    )


def verdict(args: Sequence[str], scratch: Scratch) -> Decision:
    """The policy's verdict as the harness asks for it: with the project, whose branches it reads.

    Every copy has the template's refs, so the template answers for all of them.
    """
    work = scratch.template / "work"
    return check_git(["git", *args], work, protected=(work / ".git", work / ".agent-harness"))


def attempt(args: Sequence[str], scratch: Scratch) -> tuple[Outcome, list[str]]:
    """Run ``git ARGS`` on a fresh copy of the template; what it did and what it lost."""
    example = Path(tempfile.mkdtemp(dir=scratch.base))
    try:
        shutil.copytree(scratch.template / "origin.git", example / "origin.git", symlinks=True)
        shutil.copytree(scratch.template / "work", example / "work", symlinks=True)
        scratch.evil_log.unlink(missing_ok=True)
        outcome = run(args, example / "work", scratch.env)
        return outcome, losses(example, scratch)
    finally:
        shutil.rmtree(example, ignore_errors=True)


# The grammar. Values are argv words; "evil" values always name the evilprog shim.
GLOBALS: list[list[str]] = [
    ["-C", "."], ["-c", "color.ui=never"], ["-c", "user.name=x"], ["-c", f"core.pager={EVIL}"],
    ["-c", f"alias.st=!{EVIL}"], ["-c", "core.hooksPath=/tmp"], ["--no-pager"], ["-p"],
    ["--git-dir=.git"], ["--work-tree=."], ["--exec-path=/tmp"], ["--bare"],
    ["--literal-pathspecs"], ["-c", f"core.sshCommand={EVIL}"], ["--no-optional-locks"],
    ["--namespace=x"], ["-C", "../origin.git"], ["--git-dir=../origin.git", "--work-tree=."],
    ["-C", ".."], ["-C", ".git"], ["-C", "sub"],
]  # fmt: skip
REFS = ["HEAD", "HEAD~1", "main", "feature", "v1", "origin/main", "stash@{0}", "refs/heads/feature"]
FILES = ["tracked.txt", "staged.txt", "untracked.txt", "build.log", ".", "--"]
POOLS: dict[str, list[str]] = {
    "status": ["-s", "--ignored", "--porcelain", "-uall", "."],
    "diff": ["--cached", "--staged", "--stat", "--ext-diff", "--no-index", "--name-only",
             "--output=untracked.txt", "--output=tracked.txt", *REFS, *FILES],
    "log": ["--oneline", "-p", "--all", "-1", "-g", "--output=staged.txt", *REFS, *FILES],
    "show": ["--stat", "-s", "HEAD:tracked.txt", "--output=tracked.txt", *REFS],
    "grep": ["line", "-n", "--cached", "-O", f"-O{EVIL}", f"--open-files-in-pager={EVIL}",
             f"-nO{EVIL}", "-e", "--",
             f"--open-files-in={EVIL}", EVIL, "--untracked", "HEAD"],
    "add": ["-A", "-u", "-f", "-n", "--dry-run", "-N", "-p", "--chmod=+x", *FILES],
    "commit": ["-m", "msg", "-mmsg", "-a", "-am", "--amend", "--am", "--amen", "--no-verify",
               "-n", "--allow-empty", "--fixup=HEAD", "--no-edit", "-C", "HEAD", "--only", "-i",
               "--squash=HEAD", *FILES],
    "reset": ["--hard", "--har", "--h", "--soft", "--mixed", "--keep", "--merge", "--m", "-q",
              "-p", "-N", *REFS, *FILES],
    "checkout": ["-f", "--force", "--forc", "-b", "-B", "new-branch", "--detach", "--orphan", "-m",
                 "--merge", "--ours", "--theirs", "-p", ":/", "-q", "-t", *REFS, *FILES],
    "switch": ["-f", "--force", "--discard-changes", "--disc", "-c", "-C", "--create",
               "--force-create", "new-branch", "--detach", "-d", "--orphan", "-m", "--merge",
               "-t", "--guess", "-", *REFS],
    "restore": ["--staged", "--worktree", "-s", "--source=HEAD~1", "-p", *REFS, *FILES],
    "stash": ["drop", "clear", "pop", "apply", "list", "show", "push", "save", "branch", "store",
              "create", "new-branch", "-u", "-a", "--include-untracked", "--all", "-k", "--index",
              "-m", "msg", "-p", "-q", "stash@{0}", "stash@{1}", "--", "tracked.txt",
              "--output=untracked.txt"],
    "branch": ["-D", "-d", "--delete", "--del", "-f", "--force", "--forc", "-df", "-fd", "-m", "-M",
               "-c", "-C", "new-branch", "--list", "-a", "-r", "-v", "-u", "origin/feature",
               "--set-upstream-to=origin/main", "--unset-upstream", "--edit-description", "--format",
               "--", *REFS],
    "tag": ["-d", "--delete", "-f", "--force", "v2", "-a", "-m", "msg", "-l", "--list", "--",
            *REFS],
    "push": ["origin", ".", "../origin.git", "-o", "--repo", "--", f"--e={EVIL}", "--force", "--forc", "-f", "--force-with-lease", "--force-w", "--mirror",
             "--delete", "--del", "-d", "--prune", "--all", "--tags", "-u", "-uf", "-fu", "+main",
             ":feature", "+main:main", "+main:feature", "main:feature", "HEAD~1:main",
             "HEAD:refs/heads/new-branch", "--dry-run", "-n", "--no-verify", "--repo=origin",
             f"--receive-pack={EVIL}", f"--recei={EVIL}", f"--exec={EVIL}", f"--exe={EVIL}",
             "--follow-tags", "--atomic", *REFS],
    "pull": ["origin", "../origin.git", "--rebase", "-r", "--ff-only", "--no-edit", "--autostash", "--force", "-f",
             "+main:feature", "main:feature", f"--upload-pack={EVIL}", f"--upload-p={EVIL}",
             "--prune", "--all", "--tags", "-s", "ours", "--no-rebase", "main", "feature"],
    "fetch": ["origin", "../origin.git", "-o", "--", "--all", "--prune", "-p", "--tags", "--force", "-f", "+main:feature",
              "main:feature", "+main:main", "main:refs/tags/v1", f"--upload-pack={EVIL}",
              f"--upload-p={EVIL}", "--update-head-ok", "--dry-run", "--prune-tags", "-P",
              "main", "feature"],
    "merge": ["--abort", "--no-ff", "--ff-only", "--squash", "--autostash", "-s", "ours", "-X",
              "theirs", "--no-edit", "--quit", "--continue", "-m", "msg", *REFS],
    "rebase": ["-i", "--interactive", "--exec", f"--exec={EVIL}", "-x", EVIL, "--onto", "--abort",
               "--continue", "--skip", "--autostash", "--root", "--quit", "--no-verify",
               "--keep-base", *REFS],
    "cherry-pick": ["--abort", "--quit", "-n", "--no-commit", "-x", "--continue", "--skip", "-m",
                    "1", "--allow-empty", *REFS],
    "revert": ["--no-edit", "-n", "--abort", "--quit", "--skip", *REFS],
    "clean": ["-f", "-d", "-x", "-X", "-n", "-fd", "-df", "-fdx", "-i", "--dry-run", "-q", "-e",
              "untracked.txt"],
    "rm": ["-f", "--force", "-r", "--cached", "-n", "--dry-run", "-q", "--ignore-unmatch", *FILES],
    "mv": ["-f", "-k", "-n", "-v", "new.txt", "sub", *FILES],
    "config": ["--get", "--list", "-l", "--get-all", "--get-regexp", "--unset", "--add",
               "--unset-all", "--replace-all", "--local", "--global", "-e", "--includes", "get",
               "list", "set", "alias.x", f"!{EVIL}", "core.editor", "core.pager", EVIL,
               "user.name", "x", "remote.origin.url", "."],
    "remote": ["-v", "show", "get-url", "set-url", "add", "remove", "rename", "prune", "update",
               "set-head", "-a", "--delete", "origin", "x", "../origin.git"],
    "gc": ["--prune", "--prune=now", "--pru", "--aggressive", "--auto", "--no-prune", "--quiet",
           "--keep-largest-pack"],
    "prune": ["--expire=now", "-n", "-v", "--expire", "now"],
    "reflog": ["expire", "delete", "show", "exists", "--expire=now", "--all", "--output=tracked.txt",
               "--expire-unreachable=now", "HEAD@{1}", "refs/stash", *REFS],
    "update-ref": ["-d", "--stdin", "-m", "msg", "--no-deref", "--create-reflog",
                   "refs/tags/v1", "refs/stash", "refs/heads/new-branch", *REFS],
    "worktree": ["add", "list", "remove", "prune", "move", "lock", "-f", "--force", "-b", "-B",
                 "--lock", "--reason", "--",
                 "new-branch", "--detach", "wt", "../wt", ".git/wt", *REFS],
    "bisect": ["start", "run", EVIL, "good", "bad", "reset", "skip", "log", "--no-checkout",
               "terms", *REFS],
    "submodule": ["foreach", EVIL, "update", "--init", "status", "add", "../origin.git", "sub",
                  "deinit", "-f", "--all", "sync", "init", "--recursive", "absorbgitdirs"],
    "filter-branch": ["--tree-filter", EVIL, "-f", "--", "--all", "HEAD"],
    "notes": ["add", "-m", "msg", "remove", "prune", "show", "list", "copy", "-f", "edit",
              "append", *REFS],
    "am": ["--abort", "--skip", "--continue", "--quit", "-3", "--show-current-patch",
           "untracked.txt"],
    "apply": ["-R", "--index", "--cached", "--check", "--reject", "--3way", "--stat", *FILES],
    "difftool": ["-x", EVIL, f"--extcmd={EVIL}", "-y", "--tool=x", "-d", *REFS],
    "mergetool": ["-t", EVIL, f"--tool={EVIL}", "-y", "--no-prompt"],
    "shortlog": ["-s", "--output=staged.txt", *REFS],
    "rev-list": ["--all", "--count", "--output=tracked.txt", *REFS],
    "blame": ["-s", "--output=untracked.txt", "README.md", "tracked.txt", "HEAD"],
    "rev-parse": ["--git-dir", "--show-toplevel", "--verify", "--abbrev-ref", "--all", *REFS],
    "archive": ["-o", "untracked.txt", "--output=tracked.txt", "--format=tar", "--prefix=x/",
                "--remote=../origin.git", f"--exec={EVIL}", f"--exe={EVIL}", *REFS],
    "init": ["-q", "--bare", "--shared=all", "-b", "x", "--separate-git-dir=../sep.git", ".",
             "../newrepo", "newrepo", ".agent-harness/r"],
    "format-patch": ["-1", "-o", "-o../fp", "-ko", "--output-directory=../fp",
                     "--output-directory", "--output-d=../fp", "--suffix=/../../../fp",
                     "--numbered-files", "--stdout", "-k", "../fp", "patches", "HEAD~1"],
    "clone": ["-c", f"core.fsmonitor={EVIL}", f"--upload-pack={EVIL}", "--no-checkout", "-q",
              "--template=..", "--bare", "-b", "--depth", "../origin.git", ".", "copy",
              "../copy", "main", "1", "file://../origin.git"],
    "ls-remote": ["--heads", "--tags", f"--upload-pack={EVIL}", "--sort", "-o", "origin",
                  "../origin.git", ".", "refname", "x"],
    "st": ["-s", "."],
    "co": ["main", "tracked.txt"],
    "frobnicate": ["--force", "x"],
}  # fmt: skip


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """``git``'s arguments: global options, a subcommand, then up to five words of its pool.

    Up to two options and three other arguments (``--`` among them), in a random order: an
    option that matters meets an argument it acts on far more often than words drawn from the
    whole pool, and ``push -o -- --force origin X:main`` needs five.
    """
    # Half the commands have no global option: a third of those options are denied outright.
    globals_ = draw(st.just([]) | st.lists(st.sampled_from(GLOBALS), min_size=1, max_size=2))
    sub = draw(st.sampled_from(sorted(POOLS)))
    options = [w for w in POOLS[sub] if w.startswith("-") and w != "--"]
    others = [w for w in POOLS[sub] if not w.startswith("-") or w == "--"]
    words = draw(st.lists(st.sampled_from(options), max_size=2, unique=True)) if options else []
    words += draw(st.lists(st.sampled_from(others), max_size=3, unique=True)) if others else []
    return [*(word for option in globals_ for word in option), sub, *draw(st.permutations(words))]


@dataclass(frozen=True)
class Finding:
    """A command the policy once allowed that breaks the property, minimised; now denied."""

    id: str
    argv: tuple[str, ...]
    loses: str


FINDINGS = [
    Finding("checkout-of-a-path", ("checkout", "tracked.txt"), "work: lost the unstaged edit of tracked.txt"),
    Finding("rm-force", ("rm", "-f", "tracked.txt"), "work: lost the unstaged edit of tracked.txt"),
    Finding("mv-force", ("mv", "-f", "tracked.txt", "untracked.txt"), "work: lost the untracked untracked.txt"),
    Finding("output-of-a-reader", ("diff", "--output=tracked.txt"), "work: lost the unstaged edit of tracked.txt"),
    Finding("output-of-other-readers", ("reflog", "--output=tracked.txt"), "work: lost the unstaged edit of tracked.txt"),
    Finding("archive-output", ("archive", "--output=untracked.txt", "HEAD"), "work: lost the untracked untracked.txt"),
    Finding("grep-open-files-in-pager", ("grep", f"-O{EVIL}", "line"), f"program: {EVIL} ran"),
    Finding("grep-O-in-a-cluster", ("grep", f"-nO{EVIL}", "line"), f"program: {EVIL} ran"),
    Finding("upload-pack-abbreviated", ("fetch", f"--upload-p={EVIL}"), f"program: {EVIL} ran"),
    Finding("receive-pack-abbreviated", ("push", f"--recei={EVIL}"), f"program: {EVIL} ran"),
    Finding("push-e-prefix", ("push", f"--e={EVIL}"), f"program: {EVIL} ran"),
    # git config stops reading options at the first other argument: KEY --get sets KEY.
    Finding("config-option-after-the-key", ("config", "remote.origin.url", "--get"), "config:"),
    Finding("init-shared", ("init", "--shared=all"), "config:"),
    Finding("init-bare-of-the-repository", ("--git-dir=.git", "init", "--bare"), "config:"),
    Finding("branch-force", ("branch", "-f", "feature", "main"), "history:"),
    Finding("checkout-B", ("checkout", "-B", "feature"), "history:"),
    Finding("worktree-add-B", ("worktree", "add", "-B", "feature", "wt"), "history:"),
    Finding("update-ref", ("update-ref", "refs/heads/feature", "HEAD"), "history:"),
    Finding("tag-delete", ("tag", "-d", "v1"), "history:"),
    Finding("fetch-into-a-local-ref", ("fetch", "origin", "+main:feature"), "history:"),
    Finding("fetch-prune-tags", ("fetch", "-p", "-P"), "history:"),
    Finding("rebase-of-a-named-branch", ("rebase", "--autostash", "--onto", "main", "feature", "feature"), "history:"),
    # git takes "--" as the value of an option that wants one; the options after it are live.
    Finding("dashdash-as-a-value-push", ("push", "--repo", "--", "--force", "origin", "HEAD~1:main"), "origin:"),
    Finding("dashdash-as-a-value-branch", ("branch", "--format", "--", "-D", "feature"), "history:"),
    Finding("dashdash-as-a-value-fetch", ("fetch", "-o", "--", f"--upload-pack={EVIL}"), f"program: {EVIL} ran"),
    # Another repository with this directory as its work tree: to it the project's files are
    # untracked, and stash ends in a reset --hard that writes its own files over them.
    # Directories outside the project: worktrees, new repositories, clones, patch files.
    Finding("worktree-add-outside", ("worktree", "add", "../wt"), "outside:"),
    Finding("init-outside", ("init", "-q", "../newrepo"), "outside:"),
    Finding("C-outside", ("-C", "..", "init", "-q", "newrepo"), "outside:"),
    Finding("clone-outside", ("clone", "-q", ".", "../copy"), "outside:"),
    Finding("format-patch-o-outside", ("format-patch", "-1", "-o", "../fp"), "outside:"),
    Finding("format-patch-o-attached", ("format-patch", "-1", "-ko../fp"), "outside:"),
    Finding("format-patch-output-directory", ("format-patch", "-1", "--output-directory=../fp"), "outside:"),
    Finding("another-repository-on-this-work-tree", ("--git-dir=../origin.git", "--work-tree=.", "stash"),
            "work: lost the unstaged edit of tracked.txt"),
]  # fmt: skip


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=command_lines())
def test_allowed_git_commands_lose_no_work(scratch: Scratch, args: list[str]) -> None:
    decision = verdict(args, scratch)
    if not decision.allowed:
        assert decision.rule and decision.reason, args  # denied: never run
        return
    outcome, lost = attempt(args, scratch)
    assert not lost, (
        f"the policy allows `git {' '.join(args)}` (exit {outcome.returncode}), which broke: "
        f"{lost}\n{outcome.stderr}"
    )


def test_the_grammar_draws_both_verdicts(scratch: Scratch) -> None:
    """The property only says something if a fair share of the drawn commands is allowed."""
    verdicts: list[bool] = []

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(args=command_lines())
    def draw(args: list[str]) -> None:
        verdicts.append(verdict(args, scratch).allowed)

    draw()
    assert len(verdicts) >= 250
    assert 0.15 <= sum(verdicts) / len(verdicts) <= 0.85, sum(verdicts) / len(verdicts)


@pytest.mark.parametrize(
    ("args", "loss"),
    [
        (["reset", "--hard"], "work: lost the unstaged edit of tracked.txt"),
        (["reset", "--hard"], "work: lost the staged edit of staged.txt"),
        (["clean", "-fdx"], "work: lost the untracked untracked.txt"),
        (["clean", "-fdx"], "work: lost the ignored build.log"),
        (["stash", "clear"], "work: lost the stashed edit of stashed.txt"),
        (["branch", "-D", "feature"], "history:"),
        (["tag", "-d", "v1"], "history:"),
        (["push", "--force", "origin", "HEAD~1:main"], "origin:"),
        (["push", "origin", ":feature"], "origin:"),
        (["-c", f"alias.x=!{EVIL}", "x"], f"program: {EVIL} ran"),
        (["fetch", f"--upload-pack={EVIL}", "origin"], f"program: {EVIL} ran"),
        (["config", "alias.y", "status"], "config: +['alias.y=status']"),
        (["remote", "set-url", "origin", "../elsewhere.git"], "config:"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_the_checks_catch_destructive_commands(
    scratch: Scratch, args: list[str], loss: str
) -> None:
    """Run directly, bypassing the policy: each check can fail, so its silence means something."""
    _, lost = attempt(args, scratch)
    assert any(found.startswith(loss) for found in lost), lost


@pytest.mark.parametrize("args", [["status"], ["stash", "pop"], ["commit", "-am", "wip"]])
def test_everyday_commands_lose_nothing(scratch: Scratch, args: list[str]) -> None:
    """The checks are not so strict that ordinary work fails them (pop applies what it drops)."""
    outcome, lost = attempt(args, scratch)
    assert outcome.returncode == 0, outcome.stderr
    assert lost == []


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda f: f.id)
def test_policy_findings_stay_denied(scratch: Scratch, finding: Finding) -> None:
    """Each hole the fuzz found was real (running it breaks the property) and is denied now."""
    argv = list(finding.argv)
    decision = verdict(argv, scratch)
    assert not decision.allowed and decision.rule and decision.reason, (argv, decision)
    _, lost = attempt(argv, scratch)
    assert any(loss.startswith(finding.loses) for loss in lost), lost
