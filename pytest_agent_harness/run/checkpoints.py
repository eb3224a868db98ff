"""The git side of a run: a safety snapshot before each session, a commit of what it changed
after, the work of a session that was cut off, and the harness's own committed files.

A failed commit (a hook said no) is reported and the run goes on: the work stays in the tree.
Every git call carries the guard recorded at the start of the run, so a program planted in the
repository's config is refused and changed hooks are skipped (``gitops.GitGuard``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PlantedLinkError
from ..files import read_bytes, remove_stale_temp_files, write_atomic
from .authorship import ToolWindows, made_outside

if TYPE_CHECKING:
    from ..agent.display import Display
    from ..config import Config
    from ..gitops import GitGuard
    from ..layout import Layout
    from ..trackers.base import Progress
    from .books import RunState, StateStore


class Checkpoints:
    """Snapshots and commits for one project, as its config asks."""

    def __init__(self, config: Config, display: Display) -> None:
        self.config = config
        self.layout = config.layout
        self.display = display
        self.guard: GitGuard | None = None

    def prepare(self) -> None:
        """Before any session: clear what a killed run left, ignore runtime files, check git."""
        from .. import gitops

        layout = self.layout
        tracker_dir = (layout.project_dir / self.config.tracking.file).parent
        remove_stale_temp_files(layout.harness_dir, layout.project_dir, tracker_dir)
        if not layout.gitignore.exists():
            layout.gitignore.parent.mkdir(parents=True, exist_ok=True)
            layout.gitignore.write_text(layout.gitignore_text(), encoding="utf-8")
        for message in gitops.preflight(layout.project_dir).messages:
            self.display.line(message)
        self.guard = accepted_git(layout)
        self.guard.check()  # a filter planted since the last run stops it here
        self._warnings()

    def snapshot(self, session: int) -> str:
        """Record the whole working tree before the agent touches it."""
        from .. import gitops

        commit = gitops.snapshot(
            self.layout.project_dir, session, self.config.git.author, guard=self.guard
        )
        self._warnings()
        return commit

    def commit_session(
        self,
        snapshot: str,
        state: RunState,
        phase: str,
        progress: Progress,
        written: frozenset[str] = frozenset(),
        windows: ToolWindows | None = None,
    ) -> str | None:
        """Commit what the session's agent changed since its snapshot (``authorship``: what its
        file tools wrote, and new files made during its tool calls, ``windows``), and what an
        earlier checkpoint that failed left (``state.uncommitted``, kept until one succeeds)."""
        if not self.config.git.commit:
            return None
        from .. import gitops

        message = (
            f"agent-harness: session {state.session} ({phase}): "
            f"{progress.passing}/{progress.total} passing"
        )
        root = self.layout.project_dir
        elsewhere = None if windows is None else partial(made_outside, root, windows=windows)
        result = gitops.checkpoint(
            root,
            snapshot,
            message,
            self.config.git.author,
            guard=self.guard,
            written=written,
            pending=frozenset(state.uncommitted),
            made_elsewhere=elsewhere,
        )
        self._warnings()
        state.uncommitted = sorted(result.paths) if result.error else []
        if result.error:
            self.display.warn(
                f"checkpoint commit failed ({result.error}); the work is kept in the tree "
                "and the next checkpoint commits it"
            )
        elif result.commit:
            self.display.line(f"Committed {result.commit[:10]}: {_listed(result.paths)}")
        if result.left_out:
            self.display.line(
                "Not committed (not the agent's: untracked before the session, or made "
                f"outside its tool calls): {_listed(result.left_out)}"
            )
        return result.commit

    def recover_cut_off(self, session: int, store: StateStore) -> None:
        """Commit the work of a session the last run started but never recorded (it was killed)."""
        if not self.config.git.commit or session == 0:
            return
        ledger = store.ledger()
        if ledger and ledger[-1]["session"] >= session:
            return
        from .. import gitops

        message = f"agent-harness: session {session} (cut off): its changes, recovered"
        result = gitops.recover(
            self.layout.project_dir, session, message, self.config.git.author, guard=self.guard
        )
        self._warnings()
        if result.error:
            self.display.warn(f"could not commit session {session}'s work ({result.error})")
        elif result.commit:
            self.display.line(
                f"Session {session} was cut off; committed its {len(result.paths)} changed "
                f"file(s) as {result.commit[:10]}"
            )

    def commit_harness_files(self, progress: Progress) -> None:
        """Commit what the harness itself added (its .gitignore, the tamper baseline)."""
        if not self.config.git.commit:
            return
        from .. import gitops

        root = self.layout.project_dir
        candidates = [
            path.relative_to(root).as_posix()
            for path in self.layout.committed_files
            if path.exists() and root in path.parents
        ]
        changed = gitops.changed_since_head(root, guard=self.guard)
        wanted = [p for p in candidates if changed is None or p in changed]
        if wanted:
            baseline = self.layout.baseline.relative_to(root).as_posix()
            what = "tamper baseline" if baseline in wanted else ".gitignore"
            message = f"agent-harness: its {what}, {progress.summary()}"
            result = gitops.commit_paths(
                root, wanted, message, self.config.git.author, guard=self.guard
            )
            if result.error:
                self.display.warn(f"could not commit the harness's files ({result.error})")
        self._warnings()

    def _warnings(self) -> None:
        for warning in self.guard.take_warnings() if self.guard else ():
            self.display.warn(warning)


def accepted_git(layout: Layout, *, accept: bool = False) -> GitGuard:
    """The repository's program-running config and hooks as the harness last accepted them
    (the first run's, or the last ``agent-harness trust``); ``accept`` records them as they are
    now. Kept in the user's state dir: what changes between two runs is held to it too."""
    from .. import gitops

    saved = None
    if not accept:
        with contextlib.suppress(OSError, ValueError, PlantedLinkError):
            saved = gitops.GitGuard.from_json(
                layout.project_dir, json.loads(read_bytes(layout.git_record))
            )
    if saved is not None:
        return saved
    guard = gitops.GitGuard.record(layout.project_dir)
    write_atomic(layout.git_record, json.dumps(guard.to_json(), indent=1) + "\n")
    return guard


def _listed(paths: Sequence[str], shown: int = 5) -> str:
    """``N file(s): a, b, c`` with at most ``shown`` names, then how many more."""
    names = ", ".join(paths[:shown])
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return f"{len(paths)} file(s): {names}{more}"


def written_path(project_dir: Path, tool_input: object) -> str | None:
    """The project-relative path a file tool's input names (Write, Edit, NotebookEdit), if it
    is inside the project: its checkpoint commits it even when it was untracked before."""
    if not isinstance(tool_input, dict):
        return None
    path = tool_input.get("file_path") or tool_input.get("notebook_path")
    if not isinstance(path, str):
        return None
    root = project_dir.resolve()
    target = Path(os.path.normpath(root / path))
    return target.relative_to(root).as_posix() if root in target.parents else None
