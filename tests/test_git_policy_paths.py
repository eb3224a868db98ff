"""The agent's git stays in the project: directories it names resolve inside and outside the
protected set, and the repositories it talks to are configured remotes or listed ones.

Each attack in the table worked before (``git worktree add ../x``, ``git -C OTHER rm f``,
``format-patch -o DIR``, ``git init /any/dir``, ``push URL``); the neighbours stay allowed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_agent_harness.security.git import check_git

# (git's arguments, rule when read-only, rule when the agent may write; "" means allowed)
CASES = [
    # -C: inside the project's own work tree only
    ("-C src status", "", ""), ("-C . log", "", ""), ("-C src -C .. status", "", ""),
    ("-C OUTSIDE rm f", "git-outside-project", "git-outside-project"),
    ("-C .. status", "git-outside-project", "git-outside-project"),
    ("-C src -C ../.. status", "git-outside-project", "git-outside-project"),
    ("-C link-out log", "git-outside-project", "git-outside-project"),
    ("-C nested status", "git-outside-project", "git-outside-project"),
    ("-C nested/deeper status", "git-outside-project", "git-outside-project"),
    ("-C .git status", "protected-path", "protected-path"),
    ("-C .agent-harness log", "protected-path", "protected-path"),
    ("-Csrc status", "git-unknown-option", "git-unknown-option"),
    ("-C=src status", "git-unknown-option", "git-unknown-option"),
    ("--git-dir=OUTSIDE/.git status", "git-unknown-option", "git-unknown-option"),
    ("--work-tree=.. status", "git-unknown-option", "git-unknown-option"),
    # worktrees
    ("worktree add wt", "git-read-only", ""), ("worktree add -b new wt HEAD", "git-read-only", ""),
    ("worktree list", "", ""),
    ("worktree add ../x", "git-outside-project", "git-outside-project"),
    ("worktree add -b new OUTSIDE/x", "git-outside-project", "git-outside-project"),
    ("worktree add --detach link-out/x", "git-outside-project", "git-outside-project"),
    ("worktree add .git/wt", "protected-path", "protected-path"),
    ("worktree add .agent-harness/wt", "protected-path", "protected-path"),
    ("worktree move wt ../y", "git-outside-project", "git-outside-project"),
    ("-C src worktree add ../../x", "git-outside-project", "git-outside-project"),
    ("worktree add --frobnicate wt", "git-unknown-option", "git-unknown-option"),
    # init
    ("init", "git-read-only", ""), ("init sub/repo", "git-read-only", ""),
    ("init OUTSIDE/dir", "git-outside-project", "git-outside-project"),
    ("init /any/dir", "git-outside-project", "git-outside-project"),
    ("init ../dir", "git-outside-project", "git-outside-project"),
    ("init .agent-harness", "protected-path", "protected-path"),
    ("-C .. init x", "git-outside-project", "git-outside-project"),
    # clone: a source inside the project or listed, a destination inside
    ("clone . copy", "git-read-only", ""), ("clone -q --no-checkout src/r copy", "git-read-only", ""),
    ("clone . ../copy", "git-outside-project", "git-outside-project"),
    ("clone OUTSIDE/repo copy", "git-outside-project", "git-outside-project"),
    ("clone .git copy", "protected-path", "protected-path"),
    ("clone https://example.com/x.git", "git-remote", "git-remote"),
    ("clone host:path copy", "git-remote", "git-remote"),
    ("clone file:///etc copy", "git-remote", "git-remote"),
    ("clone -c core.fsmonitor=x . copy", "git-destructive", "git-destructive"),
    ("clone --config=core.fsmonitor=x . copy", "git-destructive", "git-destructive"),
    ("clone -u x . copy", "git-destructive", "git-destructive"),
    ("clone --template=t . copy", "git-destructive", "git-destructive"),
    ("clone --recurse-submodules . copy", "git-destructive", "git-destructive"),
    ("clone --separate-git-dir=../g . copy", "git-destructive", "git-destructive"),
    # format-patch: -o in every spelling, and a / in --suffix
    ("format-patch -1", "git-read-only", ""), ("format-patch -o patches -1", "git-read-only", ""),
    ("format-patch -1 --stdout", "git-read-only", ""),
    ("format-patch -o OUTSIDE -1", "git-outside-project", "git-outside-project"),
    ("format-patch -oOUTSIDE -1", "git-outside-project", "git-outside-project"),
    ("format-patch -ko OUTSIDE -1", "git-outside-project", "git-outside-project"),
    ("format-patch -ko../x -1", "git-outside-project", "git-outside-project"),
    ("format-patch --output-directory OUTSIDE -1", "git-outside-project", "git-outside-project"),
    ("format-patch --output-directory=OUTSIDE -1", "git-outside-project", "git-outside-project"),
    ("format-patch --output-dir=../x -1", "git-outside-project", "git-outside-project"),
    ("format-patch --output-d ../x -1", "git-outside-project", "git-outside-project"),
    ("format-patch --outp=x -1", "git-writes-files", "git-writes-files"),
    ("format-patch -o .git/p -1", "protected-path", "protected-path"),
    ("format-patch -o link-out -1", "git-outside-project", "git-outside-project"),
    ("format-patch -1 --suffix=/../../x", "git-outside-project", "git-outside-project"),
    ("format-patch -1 --suf /../x", "git-outside-project", "git-outside-project"),
    ("format-patch -1 --suffix=.diff", "git-read-only", ""),
    ("-C src format-patch -o ../../x -1", "git-outside-project", "git-outside-project"),
    # remotes: configured names only, unless listed
    ("push", "git-read-only", ""), ("push origin main", "git-read-only", ""),
    ("push -u upstream feature", "git-read-only", ""), ("push -o ci.skip origin main", "git-read-only", ""),
    ("push --repo=origin", "git-read-only", ""), ("fetch", "git-read-only", ""),
    ("fetch origin", "git-read-only", ""), ("fetch --depth 1 origin", "git-read-only", ""),
    ("fetch --multiple origin upstream", "git-read-only", ""), ("pull origin main", "git-read-only", ""),
    ("pull -s ours origin", "git-read-only", ""),
    ("push https://example.com/x.git main", "git-remote", "git-remote"),
    ("push OUTSIDE/repo main", "git-remote", "git-remote"), ("push ../x.git main", "git-remote", "git-remote"),
    ("push . main:other", "git-remote", "git-remote"), ("push evil main", "git-remote", "git-remote"),
    ("push host:repo main", "git-remote", "git-remote"), ("push --repo=https://x/y", "git-remote", "git-remote"),
    ("push --repo https://x/y", "git-remote", "git-remote"), ("push --rep=../x", "git-remote", "git-remote"),
    ("push -o x ../x main", "git-remote", "git-remote"), ("push -- ../x main", "git-remote", "git-remote"),
    ("push -uo x ../x main", "git-remote", "git-remote"),
    ("push --frobnicate ../x", "git-unknown-option", "git-unknown-option"),
    ("push -Z ../x", "git-unknown-option", "git-unknown-option"),
    ("fetch ../x", "git-remote", "git-remote"), ("fetch --multiple origin ../x", "git-remote", "git-remote"),
    ("fetch --depth 1 ../x", "git-remote", "git-remote"), ("fetch -j 2 ../x", "git-remote", "git-remote"),
    ("fetch --stdin origin", "git-destructive", "git-destructive"),
    ("pull ../x", "git-remote", "git-remote"), ("pull -s ours ../x", "git-remote", "git-remote"),
    ("pull -Sx ../x", "git-remote", "git-remote"),
    ("ls-remote", "", ""), ("ls-remote origin", "", ""), ("ls-remote --heads origin main", "", ""),
    ("ls-remote https://example.com/x.git", "git-remote", "git-remote"),
    ("ls-remote --sort refname ../x", "git-remote", "git-remote"),
    ("ls-remote OUTSIDE/repo", "git-remote", "git-remote"),
    ("archive --remote=origin HEAD", "", ""), ("archive HEAD", "", ""),
    ("archive --remote=https://x/y HEAD", "git-remote", "git-remote"),
    ("archive --remote ../x HEAD", "git-remote", "git-remote"),
    ("archive --rem=../x HEAD", "git-remote", "git-remote"),
    ("remote -v", "", ""), ("remote show origin", "", ""), ("remote get-url origin", "", ""),
    ("remote show https://x/y", "git-remote", "git-remote"),
    ("remote show -n ../x", "git-remote", "git-remote"),
    ("submodule add https://x/y sub", "git-remote", "git-remote"),
    ("submodule init", "git-remote", "git-remote"),
    ("submodule update --init", "git-remote", "git-remote"),
    ("submodule sync", "git-remote", "git-remote"),
    ("submodule update", "git-read-only", ""),
    # --output and its prefixes on any subcommand
    ("log --outp=x", "git-writes-files", "git-writes-files"),
    ("diff --ou=x", "git-writes-files", "git-writes-files"),
    ("log --output-indicator-new=+", "", ""), ("log --oneline", "", ""),
]  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose repository has remotes origin and upstream, a nested repository, a link
    to a directory outside, and the harness dir; OUTSIDE is a directory beside it."""
    root = tmp_path_factory.mktemp("git-paths")
    project = root / "project"
    for directory in (".git", ".agent-harness", "src/r", "nested/.git", "nested/deeper"):
        (project / directory).mkdir(parents=True, exist_ok=True)
    (project / ".git" / "config").write_text(
        '[core]\n\tbare = false\n[remote "origin"]\n\turl = ../origin.git\n'
        '[remote "upstream"]\n\turl = https://example.com/up.git\n[branch "main"]\n'
    )
    (root / "outside").mkdir()
    (project / "link-out").symlink_to(root / "outside")
    return project


def verdict(project: Path, args: str, *, writes: bool, remotes: tuple[str, ...] = ()) -> str:
    outside = str(project.parent / "outside")
    argv = ["git", *args.replace("OUTSIDE", outside).split()]
    protected = (project / ".git", project / ".agent-harness")
    decision = check_git(argv, project, writes=writes, protected=protected, remotes=remotes)
    assert decision.allowed or (decision.rule and decision.reason), decision
    return "" if decision.allowed else decision.rule


@pytest.mark.parametrize(("args", "read_only", "writes"), CASES, ids=[c for c, _, _ in CASES])
def test_git_places(project: Path, args: str, read_only: str, writes: str) -> None:
    assert verdict(project, args, writes=False) == read_only
    assert verdict(project, args, writes=True) == writes


def test_the_table_is_unique_and_covers_both_verdicts() -> None:
    commands = [c for c, _, _ in CASES]
    assert len(commands) == len(set(commands)) >= 120
    assert sum(w == "" for _, _, w in CASES) >= 30


@pytest.mark.parametrize(
    "args",
    ["push https://mirror.example/x.git main", "fetch OUTSIDE/mirror", "ls-remote OUTSIDE/mirror",
     "clone https://mirror.example/x.git copy", "submodule add https://mirror.example/x.git s",
     "archive --remote=OUTSIDE/mirror HEAD"],
)  # fmt: skip
def test_listed_remotes_may_be_named(project: Path, args: str) -> None:
    listed = ("https://mirror.example/x.git", str(project.parent / "outside" / "mirror"))
    assert verdict(project, args, writes=True) != ""
    assert verdict(project, args, writes=True, remotes=listed) == ""


def test_without_a_readable_config_a_bare_name_is_a_remote(tmp_path: Path) -> None:
    assert check_git(["git", "push", "origin", "main"], tmp_path).allowed
    assert check_git(["git", "push", "anything"], tmp_path).allowed
    assert check_git(["git", "push", "../x"], tmp_path).rule == "git-remote"


def test_old_style_remote_sections_count(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[remote.mirror]\n\turl = x\n")
    assert check_git(["git", "fetch", "mirror"], tmp_path).allowed
    assert check_git(["git", "fetch", "origin"], tmp_path).rule == "git-remote"


def test_unknown_project_denies_directories() -> None:
    assert check_git(["git", "-C", "src", "status"]).rule == "git-outside-project"
    assert check_git(["git", "status"]).allowed


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_denied_forms_really_write_outside(tmp_path: Path) -> None:
    """Run directly, bypassing the policy: each denied form writes beside the project."""
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q", "-b", "main")
    (work / "f").write_text("x\n")
    _git(work, "add", "f")
    _git(work, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "one")
    (work / "0001-one").mkdir()  # an ordinary directory, named as the first patch would be
    attacks = [
        "format-patch -1 --suffix=/../../by-suffix",
        "format-patch -1 -o../by-o",
        "worktree add -q ../by-worktree",
        "init -q ../by-init",
    ]
    for attack in attacks:
        assert verdict(work, attack, writes=True) != "", attack
        _git(work, *attack.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "by-init", "by-o", "by-suffix", "by-worktree", "work",
    ]  # fmt: skip
