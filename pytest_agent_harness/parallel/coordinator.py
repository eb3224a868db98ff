"""``run --workers N`` and ``run --shard I/N``: the coordinator.

It measures the run's tree, splits the tracker's items into units (``units.py``), and keeps N
workers busy (``plan.py``): each session of a unit runs in a worker process (``worker.py``) in
the unit's own git worktree, on a branch of its own. When a worker says its unit passes, the
coordinator merges the branch into the run's branch and measures the merged tree
(``merging.py``), whose verdict alone counts. One budget holds for all workers: no session
starts once the cost, the duration, the sessions without progress or ``max_iterations`` are
spent, so the overshoot is at most the sessions in flight, one per worker.

With ``--shard I/N`` the run works on shard I's units only, and its branch is
``agent-harness/shard-I-of-N``, checked out in a worktree of its own with books of its own, so
shards of one checkout can run at once; ``agent-harness merge`` brings the branches together.
"""

from __future__ import annotations

import queue
import signal
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import ExitCode
from ..gitops import branches
from ..run.books import RunState, StateStore, run_lock
from ..run.budget import spent
from ..run.checkpoints import Checkpoints
from ..run.ending import finish
from ..run.report import RunResult
from ..run.signals import as_interrupts
from ..trackers.base import Progress, measure_before_first_session
from . import slots
from .merging import Target
from .plan import Plan
from .units import partition, shard
from .worker import rooted, seed_baseline

if TYPE_CHECKING:
    from ..agent.display import Display
    from ..config import Config
    from ..plugins import Plugins

SHARD_LOCK_WAIT_SECONDS = 600.0
"""How long a shard waits for another shard of the same checkout to take the baseline."""


class Coordinator:
    def __init__(
        self,
        config: Config,
        display: Display,
        *,
        plugins: Plugins,
        workers: int,
        shard_of: tuple[int, int] | None = None,
    ) -> None:
        self.config = config
        self.display = display
        self.plugins = plugins
        self.workers = workers
        self.shard_of = shard_of
        self.events: slots.Events = queue.Queue()
        self.running: dict[str, slots.Worker] = {}
        self.rows: dict[str, dict[str, Any]] = {}
        self.started = time.monotonic()
        self.progress = Progress()
        self.plan: Plan | None = None

    @property
    def tag(self) -> str:
        return "run" if self.shard_of is None else "shard-{}-of-{}".format(*self.shard_of)

    # -- the run -------------------------------------------------------------------------

    def run(self) -> RunResult:
        from ..run.loop import check_sandbox

        self.started = time.monotonic()
        main = self.config.layout
        wait = SHARD_LOCK_WAIT_SECONDS if self.shard_of else 0.0
        with run_lock(main, wait=wait):
            check_sandbox(self.config, self.display)
            for number in range(1, self.workers + 1):  # their start-up overlaps the baseline
                self.worker(f"w{number}")
            Checkpoints(self.config, self.display).prepare()
            first = self._baseline()
            initialized = None if self.shard_of else self._initialize()
            if initialized is not None:
                if initialized.exit_code not in (ExitCode.COMPLETE, ExitCode.INCOMPLETE):
                    store = StateStore(self.config.layout)
                    finish(self.config, self.display, store, store.load(), initialized)
                    return initialized
                first = None  # the work changed: measure it again
            if self.shard_of is None:
                return self._run(self.config, first)
        books = self._shard_tree()
        result = self._run(books, None)
        if result.exit_code == ExitCode.COMPLETE:  # the branch holds the result
            branches.remove_worktree(
                self.config.project_dir, self.config.layout.worktrees_dir / self.tag
            )
        return result

    def _baseline(self) -> Progress | None:
        """The run's tamper baseline, taken before any session (on the first run only), and
        that measurement; None when an earlier run measured."""
        if StateStore(self.config.layout).peek().session or self.config.layout.baseline.exists():
            return None
        progress = measure_before_first_session(self.plugins.make_tracker(self.config))
        Checkpoints(self.config, self.display).commit_harness_files(progress)
        return progress

    def _initialize(self) -> RunResult | None:
        """Run the phases that run once (the initializer that writes the feature list) with
        the ordinary loop first, one session at a time: the work is split only once it
        exists. How that loop ended; None when there was nothing to run."""
        from ..run.loop import Runner
        from ..run.phases import select_phase

        once = tuple(phase for phase in self.config.phases if phase.run_once)
        done = StateStore(self.config.layout).peek().completed_phases
        if not once or select_phase(once, done, self.config.project_dir) is None:
            return None
        self.display.line("Running the phases that run once before the work is split")
        config = replace(self.config, phases=once)
        return Runner(config, self.display, plugins=self.plugins, final=False).run()

    def _shard_tree(self) -> Config:
        """The shard's branch, checked out in a worktree of its own, with books of its own."""
        index, count = self.shard_of or (1, 1)
        main = self.config.layout
        branch = f"{branches.BRANCH_PREFIX}{self.tag}"
        path = main.worktrees_dir / self.tag
        tree = branches.add_worktree(
            main.project_dir, path, branch, branches.head(main.project_dir)
        )
        books = rooted(self.config, tree.resolve(), main.shard_dir(index, count))
        books.harness_dir.mkdir(parents=True, exist_ok=True)
        if not books.layout.baseline_copy.exists():
            seed_baseline(main, books.layout)
        self.display.line(f"Shard {index}/{count}: branch {branch}, checked out at {path}")
        return books

    def _run(self, books: Config, first: Progress | None) -> RunResult:
        with run_lock(books.layout):
            store = StateStore(books.layout)
            state = store.load()
            for warning in store.warnings:
                self.display.warn(warning)
            with as_interrupts() as stop:
                try:
                    result = self._work(books, store, state, first)
                except KeyboardInterrupt:
                    self._stop_all(stop.received or signal.SIGINT)
                    what = f" by {stop.received.name}" if stop.received else ""
                    result = RunResult(
                        exit_code=stop.exit_code,
                        reason=f"interrupted{what}; run the same command again to resume",
                        progress=self.progress,
                    )
            finish(books, self.display, store, state, result)
            return result

    def _work(
        self, books: Config, store: StateStore, state: RunState, first: Progress | None
    ) -> RunResult:
        state.consecutive_errors = state.consecutive_rate_limits = 0  # counted per invocation
        git = Checkpoints(books, self.display)
        git.prepare()
        tracker = self.plugins.make_tracker(books)
        self.progress = first if first is not None else tracker.evaluate()
        self.display.line(f"Progress: {self.progress.summary()}")
        target = Target(
            project_dir=books.project_dir,
            author=self.config.git.author,
            guard=git.guard,
            evaluate=tracker.evaluate,
            forbidden=forbidden_paths(self.config),
        )
        units = partition(self.progress.items, self.config.parallel.together)
        if not units:
            return RunResult(
                exit_code=ExitCode.INCOMPLETE,
                reason="the tracker has no items to split into units yet; run the phases that "
                "make them first (agent-harness run --max-iterations 1), then --workers",
                progress=self.progress,
            )
        if self.shard_of is not None:
            units = shard(units, *self.shard_of)
        tree_root = self.config.layout.worktrees_dir / f"{self.tag}-units"
        self.plan = Plan(self, books, store, state, target, units, tree_root)
        return self.plan.execute()

    def _stop_all(self, sig: signal.Signals) -> None:
        """Stop every worker, wait for each to record its session, and bring those in."""
        live = list(self.running.values())
        busy = [(w, w.session) for w in live if w.session is not None]
        if busy:
            self.display.line(f"Stopping {len(busy)} worker(s)...")
        slots.stop_all(live, sig)
        self.running.clear()
        plan = self.plan
        if plan is None:
            return
        plan.wait_for_merge()
        from .intake import bring_over

        for _, session in busy:
            unit = plan.record.units.get(session.unit) if session else None
            if unit is not None:
                bring_over(unit, plan.books_of(unit), plan.store, plan.state)
        plan.save()

    def worker(self, label: str) -> slots.Worker:
        """Worker ``label``, started when it is not running."""
        worker = self.running.get(label)
        if worker is None or worker.ended():
            log = self.config.layout.logs_dir / "workers" / f"{self.tag}-{label}.log"
            worker = self.running[label] = slots.start(label, log, self.events)
        return worker

    # -- the budget ----------------------------------------------------------------------

    def over_budget(self, state: RunState, sessions: int) -> RunResult | None:
        """Why no session may start now, by the run's one budget, if none may."""
        why = spent(self.config, state, self.started, sessions, workers=True)
        if why is None:
            return None
        return RunResult(exit_code=why[0], reason=why[1], progress=self.progress)

    # -- what the person sees ------------------------------------------------------------

    def on_event(self, label: str, event: dict[str, Any]) -> None:
        """A worker's event: its row in the live display, and its warnings as lines."""
        row = self.rows.setdefault(label, {})
        kind = event.get("kind")
        if kind == "tool_call":
            row["tool"] = f"running {event.get('tool')}"
        elif kind in ("session_end", "session_start"):
            row["tool"] = ""
        elif kind == "denial":
            self.display.line(f"[{label}] denied {event.get('tool')}: {event.get('reason')}")
        elif kind == "tamper_warning":
            self.display.warn(f"[{label}] {event.get('text')}")

    def show_rows(self) -> None:
        """One line per worker under the live status line (a terminal only)."""
        now = time.monotonic()
        lines = []
        for label in sorted(self.running):
            session = self.running[label].session
            if session is None:
                lines.append(f"{label} | idle")
                continue
            tool = self.rows.get(label, {}).get("tool", "")
            parts = [label, session.unit, f"session {session.number}"]
            parts += [f"{now - session.started:.0f}s", tool]
            lines.append(" | ".join(part for part in parts if part))
        self.display.worker_rows(lines)


def forbidden_paths(config: Config) -> tuple[str, ...]:
    """The repository paths no unit may change: the harness dir, and any ``.git`` entry."""
    top, _ = branches.top_of(config.project_dir)
    harness = config.harness_dir
    inside = top.resolve() in harness.parents
    own = (f"{harness.relative_to(top.resolve()).as_posix()}/",) if inside else ()
    return (*own, ".git", ".git/", ".gitmodules")
