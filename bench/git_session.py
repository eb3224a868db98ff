"""Git work per session on a 5,000-file project: the safety snapshot plus the checkpoint commit.

Side by side, interleaved: the harness's snapshots, whose throwaway index starts as a copy of
the user's index (git re-hashes only files whose stat changed), against the same snapshot with
an index read from HEAD (git re-hashes every file). Each session changes one file. Target:
under 250 ms of git per session, and the copied index at least twice as fast.

    python bench/git_session.py [--files N] [--sessions S]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import Row, parser, report

from pytest_agent_harness import gitops

TARGET_MS = 250.0
SPEEDUP_TARGET = 2.0


def make_repo(root: Path, files: int) -> Path:
    for index in range(files):
        path = root / f"pkg{index // 100}" / f"module{index % 100}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"VALUE = {index}\n" * 200)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], cwd=root, check=True)
    return root


def tree_from_head(repo: Any) -> str:
    """The snapshot tree with a throwaway index read from HEAD: no stat cache to reuse."""
    fd, index = tempfile.mkstemp(prefix="bench-index-")
    os.close(fd)
    os.unlink(index)
    env = {"GIT_INDEX_FILE": index}
    try:
        repo.git.read_tree("HEAD", env=env)
        repo.git.add("-A", env=env)
        return str(repo.git.write_tree(env=env))
    finally:
        if os.path.exists(index):
            os.unlink(index)


def one_session(project: Path, session: int) -> float:
    start = time.perf_counter()
    snapshot = gitops.snapshot(project, session)
    (project / "pkg0" / "module0.py").write_text(f"VALUE = {session}\n")
    gitops.checkpoint(project, snapshot, f"session {session}")
    return time.perf_counter() - start


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--files", type=int, default=5000)
    options.add_argument("--sessions", type=int, default=10)
    args = options.parse_args()
    seeded: list[float] = []
    from_head: list[float] = []
    own_tree: Callable[[Any], str] = gitops.tree_of_worktree
    with tempfile.TemporaryDirectory() as tmp:
        project = make_repo(Path(tmp), args.files)
        one_session(project, 0)  # warm the page cache
        for session in range(1, args.sessions + 1):
            seeded.append(one_session(project, 2 * session))
            gitops.tree_of_worktree = tree_from_head
            try:
                from_head.append(one_session(project, 2 * session + 1))
            finally:
                gitops.tree_of_worktree = own_tree
    ours = statistics.median(seeded) * 1000
    naive = statistics.median(from_head) * 1000
    print(f"git per session, {args.files:,}-file project, median of {args.sessions} each:")
    print(f"  index copied from the user's {ours:6.0f} ms   index read from HEAD {naive:6.0f} ms")
    rows = [
        Row(
            what=f"git per session, {args.files:,} files",
            measured=f"{ours:.0f} ms ({naive / ours:.1f}x faster than from HEAD)",
            target=f"< {TARGET_MS:g} ms, >= {SPEEDUP_TARGET:g}x",
            holds=ours < TARGET_MS and naive / ours >= SPEEDUP_TARGET,
        )
    ]
    return report(rows, args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
