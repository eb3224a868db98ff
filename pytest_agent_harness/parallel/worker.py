"""A worker: a process of its own that runs sessions of units, each in its unit's worktree.

The coordinator starts ``python -m pytest_agent_harness.parallel.worker PARENT_PID`` once per
worker and names a spec file on its standard input for each session. For each, the worker
loads the run's config (the coordinator checked that it is trusted), roots it at the worktree
(``rooted``), narrows the tracker to the unit, and runs one session of the ordinary loop:
snapshot, audit, session, evidence, checkpoint commit on the unit's branch. Its books (state,
ledger, transcript, evidence) are kept in the unit's folder of the run's harness dir, outside
the worktree, where its agent cannot write. Events go to standard output as JSON lines (``run
--json``) for the coordinator; the human lines go to standard error, a log file.

The worker dies with the coordinator: the kernel sends it SIGTERM when its parent goes
(``PR_SET_PDEATHSIG``), which ends its session the way Ctrl+C does, recorded, so a
coordinator killed with SIGKILL leaves no process running and no session unrecorded.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import INTERRUPTIONS, ExitCode
from ..files import read_text, write_atomic
from ..layout import Layout
from ..trackers.base import Item, Progress
from .slots import DONE
from .units import Unit, of_unit

if TYPE_CHECKING:
    from ..agent.display import Display
    from ..config import Config
    from ..plugins import Plugins
    from ..trackers.base import Tracker
    from .books import UnitState

PR_SET_PDEATHSIG = 1

UNIT_NOTE = """

## Your unit of this job
Your unit: `{key}`. Your copy of the project: `{tree}`.
Other agents work on the other units of this job at the same time, each in its own copy of the
project. Make this unit's tests or items pass, and change no more of what other units depend on
than this unit needs.
"""


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker session needs, written by the coordinator as JSON."""

    project: str
    harness: str
    worktree: str
    books: str
    unit_key: str
    items: tuple[str, ...]
    label: str
    note: str = ""
    model: str | None = None
    budget: dict[str, Any] | None = None
    progress: dict[str, Any] | None = None
    """The unit as the run's tree measured it when the worktree was made from it: the first
    session of an attempt starts from it instead of measuring the same tree again."""

    def known(self) -> Progress | None:
        if self.progress is None:
            return None
        items = tuple(Item(**item) for item in self.progress["items"])
        return Progress(items=items, warnings=tuple(self.progress["warnings"]),
                        source=str(self.progress["source"]),
                        completable=bool(self.progress.get("completable", True)))  # fmt: skip

    def save(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.__dict__, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> WorkerSpec:
        data = json.loads(read_text(path))
        data["items"] = tuple(data["items"])
        return cls(**data)

    @property
    def unit(self) -> Unit:
        return Unit(self.unit_key, self.items)

    @classmethod
    def of(
        cls,
        config: Config,
        unit: UnitState,
        label: str,
        places: tuple[Path, Path],
        known: Progress | None = None,
    ) -> WorkerSpec:
        """The spec of ``unit``'s next session by worker ``label``, in ``places`` (its tree
        and books); ``known``: the unit's items as measured on the tree it was made from."""
        tree, books = places
        progress = None
        if known is not None:
            items = [item.__dict__ for item in known.items]
            progress = {"items": items, "warnings": list(known.warnings), "source": known.source,
                        "completable": known.completable}  # fmt: skip
        return cls(
            project=str(config.project_dir),
            harness=str(config.harness_dir),
            worktree=str(tree),
            books=str(books),
            unit_key=unit.key,
            items=tuple(unit.items),
            label=label,
            note=unit.note,
            model=config.model,
            budget={"max_session_cost_usd": config.budget.max_session_cost_usd},
            progress=progress,
        )


def rooted(config: Config, work_tree: Path, books: Path) -> Config:
    """``config`` for a tree of the run other than the project's own (a worker's worktree, a
    shard's merge tree): its harness files in ``books``; never writable there: the harness
    files the tree holds, the run's harness dir and the repository (its config and hooks
    audited, the rest written by the coordinator meanwhile)."""
    from ..gitops import located

    where = located(config.project_dir)
    common = where.git_dir if where is not None else config.layout.git_dir
    main = config.layout
    inside = work_tree / config.harness_dir.relative_to(config.project_dir)
    own = (main.config, main.prompts_dir, *main.committed_files)  # nobody writes them meanwhile
    return replace(
        config,
        project_dir=work_tree,
        harness_dir=books,
        guarded=(inside, *own, *(common / name for name in ("config", "hooks", "info"))),
        shared=(config.harness_dir, common),
    )


def seed_baseline(source: Layout, target: Layout) -> None:
    """Give ``target`` the run's tamper baseline (both copies), so the tree is held to the
    baseline taken before the first session, never to one taken from its own tree."""
    try:
        text = read_text(source.baseline_copy)
    except (OSError, ValueError):
        try:
            text = read_text(source.baseline)
        except (OSError, ValueError):
            return
    for path in (target.baseline, target.baseline_copy):
        write_atomic(path, text)


class UnitTracker:
    """The run's tracker as one unit sees it (``units.of_unit``); ``known``: the measurement
    to start a fresh attempt from (``WorkerSpec.progress``)."""

    def __init__(self, inner: Tracker, unit: Unit, known: Progress | None = None) -> None:
        self.inner = inner
        self.unit = unit
        self.name = inner.name
        self.known = known

    def evaluate(self, *, readonly: bool = False) -> Progress:
        if (known := self._known()) is not None:
            return known
        return of_unit(self.inner.evaluate(readonly=readonly), self.unit)

    def take_baseline(self) -> Progress:
        from ..trackers.base import measure_before_first_session

        if (known := self._known()) is not None:
            return known
        return of_unit(measure_before_first_session(self.inner), self.unit)

    def _known(self) -> Progress | None:
        """The measurement the attempt starts from, for the first look only."""
        known, self.known = self.known, None
        return known


def worker_config(config: Config, spec: WorkerSpec) -> Config:
    """The config one worker session runs with."""
    from ..config.limits import NotifyConfig

    note = UNIT_NOTE.format(key=spec.unit_key, tree=spec.worktree)
    note += f"\n{spec.note}\n" if spec.note else ""
    phases = tuple(replace(p, prompt=p.prompt + note) for p in config.phases if not p.run_once)
    unit = rooted(config, Path(spec.worktree), Path(spec.books))
    budget = replace(config.budget, **(spec.budget or {}))
    return replace(
        unit,
        phases=phases,
        max_iterations=1,
        model=spec.model,
        budget=budget,
        notify=NotifyConfig(),
        pytest_selection=spec.unit.paths if config.tracking.type == "pytest" else (),
    )


def _die_with_parent(parent: int) -> None:
    """SIGTERM when the coordinator goes, however it goes (Linux); gone already: stop now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        raise SystemExit(int(signal.SIGTERM) + 128)


def main() -> int:
    """Run the session of each spec file named on standard input, one line each, until the
    input ends (the run is over) or a session is interrupted (the run is stopping)."""
    import resource

    from ..agent.events import JsonEvents
    from ..plugins import load_plugins

    _die_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid())
    plugins = load_plugins()
    events = JsonEvents()
    for line in sys.stdin:
        try:
            code = session(WorkerSpec.load(Path(line.strip())), plugins, events)
        except KeyboardInterrupt:  # a second signal while the first was being recorded
            code = int(ExitCode.INTERRUPTED)
        mine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        events.emit(DONE, exit_code=code, rss_mb=round(mine / 1024, 1),
                    cli_rss_mb=round(children / 1024, 1))  # fmt: skip
        if code in INTERRUPTIONS:
            return code
    return 0


def session(spec: WorkerSpec, plugins: Plugins, display: Display) -> int:
    """One session of ``spec``'s unit: the ordinary loop, for one iteration, in the worktree."""
    from ..config import load_config
    from ..run.loop import Runner

    config = load_config(
        Path(spec.project), Path(spec.harness), tracker_types=plugins.tracker_types()
    )
    config = worker_config(config, spec)
    tracker = UnitTracker(plugins.make_tracker(config), spec.unit, spec.known())
    runner = Runner(config, display, plugins=plugins, tracker=tracker, final=False)
    return int(runner.run().exit_code)


if __name__ == "__main__":  # pragma: no cover - the coordinator's subprocess
    code = 1
    try:
        code = main()
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)  # threads still reading from an interrupted CLI must not hold the exit
