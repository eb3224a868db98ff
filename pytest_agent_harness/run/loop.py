"""The session loop: phases, fresh-context sessions, trackers, recovery and state.

One ``Runner`` drives one project. Each iteration picks a phase, runs one session on a fresh
client, classifies how it ended, asks the tracker where the work stands, records the session, and
then stops or continues. State is saved before a session starts, so a harness killed at any
moment resumes at the next session number.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from ..agent.display import Display
from ..agent.session import EventSink, SessionEvent, SessionOutcome, SessionSpec
from ..agent.transcript import Transcript
from ..errors import ExitCode, SandboxUnavailable
from ..sandbox import cli_sandbox_missing
from ..security.guards import audited_paths, build_guards, sandbox_deny_write
from ..security.paths import WRITE_TOOLS
from ..trackers.base import Progress, Tracker, measure_before_first_session
from .audit import ProtectedFiles
from .authorship import ToolWindows
from .books import RunState, SessionRecord, StateStore, run_lock
from .budget import spent, tripped
from .checkpoints import Checkpoints, written_path
from .ending import finish
from .init_files import sync_init_files
from .phases import select_phase, why_none_eligible
from .prompts import assemble_prompt
from .recovery import FATAL_ADVICE, OutcomeClass, classify
from .report import RunResult
from .signals import as_interrupts
from .waits import Waits

if TYPE_CHECKING:
    from ..config import Config, Phase
    from ..plugins import Plugins


SessionFn = Callable[[SessionSpec, EventSink], SessionOutcome]

CLI_LEFTOVERS = (".claude/.cc-writes", ".claude")
"""Folders the CLI's sandbox makes in the project; removed after a session when left empty."""
CLI_SANDBOX_PIN = ".claude-sandbox-noreplace"
"""A file the CLI's sandbox itself keeps in ``.git/info`` (not the agent's doing)."""


class Runner:
    """Runs sessions for one project until the tracker is complete or a stop condition holds."""

    def __init__(
        self,
        config: Config,
        display: Display | None = None,
        *,
        plugins: Plugins | None = None,
        session_fn: SessionFn | None = None,
        sleep: Callable[[float], None] = time.sleep,
        extra_env: Mapping[str, str] | None = None,
        tracker: Tracker | None = None,
        final: bool = True,
    ) -> None:
        """``tracker`` replaces the config's (a parallel worker's, narrowed to its unit);
        ``final`` False leaves the summary, report and notification to whoever started it."""
        self.config = config
        self.final = final
        self.display = display or Display()
        self.session_fn = session_fn
        self.waits = Waits(config, self.display, sleep)
        self.extra_env = dict(extra_env or {})
        if plugins is None:
            from ..plugins import load_plugins

            plugins = load_plugins()
        self.plugins = plugins
        self.store = StateStore(config.layout)
        self.git = Checkpoints(config, self.display)
        self.tracker = tracker or plugins.make_tracker(config)
        self.progress = Progress()
        self.sandbox = "on"
        self.started = time.monotonic()
        self.written: set[str] = set()
        self.windows = ToolWindows()
        self.wall = 0.0

    def run(self) -> RunResult:
        self.started = time.monotonic()
        with run_lock(self.config.layout):
            self.sandbox = check_sandbox(self.config, self.display)
            from ..trackers.builtin import agent_writable_evidence

            if notice := agent_writable_evidence(self.config):
                self.display.warn(notice)
            self.git.prepare()
            state = self.store.load()
            for warning in self.store.warnings:
                self.display.warn(warning)
            with as_interrupts() as stop:
                try:
                    result = self._loop(state)
                except KeyboardInterrupt:
                    self.store.save(state)
                    what = f" by {stop.received.name}" if stop.received else ""
                    result = RunResult(
                        exit_code=stop.exit_code,
                        reason=f"interrupted{what}; run the same command again to resume",
                        progress=self.progress,
                    )
            if self.final:
                finish(self.config, self.display, self.store, state, result)
            else:
                state.last_exit_code, state.last_reason = int(result.exit_code), result.reason
                self.store.save(state)
            return result

    def _sync_init_files(self, state: RunState) -> None:
        before = dict(state.init_files)
        sync_init_files(
            self.config.init_files,
            self.config.layout,
            state.init_files,
            self.display.line,
            self.display.warn,
        )
        if state.init_files != before:
            self.store.save(state)

    def _loop(self, state: RunState) -> RunResult:
        config = self.config
        state.consecutive_errors = state.consecutive_rate_limits = 0  # counted per invocation
        self._sync_init_files(state)
        self.git.recover_cut_off(state.session, self.store)
        # The baseline is taken here, before any session, and never after one.
        first = state.session == 0
        progress = self.progress = (
            measure_before_first_session(self.tracker) if first else self.tracker.evaluate()
        )
        self.git.commit_harness_files(progress)
        self.display.line(
            f"Progress: {progress.summary()}  cost so far: ${state.totals.cost_usd:.4f}"
            f"{self.display.cost_note}"
        )
        if progress.complete:
            return RunResult(exit_code=ExitCode.COMPLETE, reason="complete", progress=progress)
        iterations = 0
        while True:
            stop = self._before_session(state, iterations, progress)
            if stop is not None:
                return stop
            phase = select_phase(config.phases, state.completed_phases, config.project_dir)
            assert phase is not None  # _before_session stops when no phase is eligible
            iterations += 1
            self._sync_init_files(state)  # an edit to the spec reaches the next session
            state.session += 1
            self.store.save(state)  # a kill from here on resumes at the next number
            outcome, cls, progress = self._run_one(state, phase, progress)
            self.display.session_summary(outcome, cls.value, progress.summary(), self.wall)
            self.display.cost_so_far(state.totals.cost_usd)
            if cls is OutcomeClass.INTERRUPTED:
                raise KeyboardInterrupt
            stop = self._after_session(state, outcome, cls, progress)
            if stop is not None:
                return stop
            last = config.max_iterations is not None and iterations >= config.max_iterations
            self.waits.between_sessions(state, outcome, cls, last=last)

    def _run_one(
        self, state: RunState, phase: Phase, before: Progress
    ) -> tuple[SessionOutcome, OutcomeClass, Progress]:
        """One session with everything around it: snapshot, audit, evidence, commit, books."""
        snapshot = self.git.snapshot(state.session)
        audit = self._audit(state.session)
        started = time.monotonic()
        outcome, cls = self._session(state, phase.name, phase.prompt, before)
        wall = self.wall = time.monotonic() - started
        for leftover in CLI_LEFTOVERS:  # folders the sandboxed CLI makes and leaves empty
            with contextlib.suppress(OSError):
                (self.config.project_dir / leftover).rmdir()
        tampered = self._tampered(audit)
        progress = self.progress = self.tracker.evaluate()
        if tampered:
            warning = f"tampering: the session changed protected files: {', '.join(tampered)}"
            self.display.warn(warning + " (restored)")
            progress = replace(progress, warnings=(*progress.warnings, warning))
        commit = self.git.commit_session(
            snapshot, state, phase.name, progress, frozenset(self.written), self.windows
        )
        done = SessionRecord(
            phase=phase.name,
            run_once=phase.run_once,
            outcome=outcome,
            cls=cls,
            before=before,
            after=progress,
            commit=commit,
            sandbox=self.sandbox,
            tampered=tampered,
            wall_seconds=wall,
        )
        self.store.record(state, done)
        return outcome, cls, progress

    def _audit(self, session: int) -> ProtectedFiles:
        """A record of the protected set (the repository's config, hooks and refs, not its
        objects) taken right before a session; the CLI's own dir and the transcript are the
        harness's to write meanwhile."""
        layout = self.config.layout
        roots = audited_paths(self.config)
        skip = {layout.claude_config_dir, layout.session_log(session)}
        layout.logs_dir.mkdir(parents=True, exist_ok=True)  # the transcript's folder
        return ProtectedFiles(roots, lambda p: p in skip or p.name == CLI_SANDBOX_PIN)

    def _tampered(self, audit: ProtectedFiles) -> tuple[str, ...]:
        """Put back what the session changed in the protected set; the paths it changed."""
        changed = audit.changes()
        audit.restore(changed)
        root = self.config.project_dir
        return tuple(
            p.relative_to(root).as_posix() if root in p.parents else str(p) for p in changed
        )

    def _before_session(
        self, state: RunState, iterations: int, progress: Progress
    ) -> RunResult | None:
        """Why the run must not start another session, if it must not."""
        config = self.config

        def stop(code: ExitCode, reason: str) -> RunResult:
            return RunResult(exit_code=code, reason=reason, progress=progress)

        if why := spent(config, state, self.started, iterations):
            return stop(*why)
        if select_phase(config.phases, state.completed_phases, config.project_dir) is None:
            return stop(
                ExitCode.INCOMPLETE,
                why_none_eligible(config.phases, state.completed_phases, config.project_dir),
            )
        return None

    def _after_session(
        self, state: RunState, outcome: SessionOutcome, cls: OutcomeClass, progress: Progress
    ) -> RunResult | None:
        """Why the run ends after this session, if it does."""
        recovery = self.config.error_recovery

        def stop(code: ExitCode, reason: str) -> RunResult:
            return RunResult(exit_code=code, reason=reason, progress=progress)

        if progress.complete:
            return stop(ExitCode.COMPLETE, "complete")
        if cls.fatal:
            return stop(ExitCode.AGENT_FAILURE, f"{state.last_error}\n{FATAL_ADVICE[cls]}")
        if cls is OutcomeClass.NETWORK:
            why = self.waits.for_network()
            if why:
                return stop(
                    ExitCode.AGENT_FAILURE,
                    f"network: {why} (waited {recovery.network_wait_seconds:g} s, "
                    "error_recovery.network_wait_seconds); check the connection or HTTPS_PROXY, "
                    f"then run again. Last error: {state.last_error}",
                )
        if cls is OutcomeClass.BUDGET:
            return stop(
                ExitCode.BUDGET_EXHAUSTED,
                "budget: the session reached budget.max_session_cost_usd "
                f"(${outcome.cost_usd:.4f}); raise it to go on",
            )
        if breaker := tripped(self.config, state):
            return stop(ExitCode.AGENT_FAILURE, breaker)
        if state.consecutive_rate_limits > recovery.max_rate_limit_waits:
            return stop(
                ExitCode.AGENT_FAILURE,
                f"rate limited {state.consecutive_rate_limits} sessions in a row "
                f"(error_recovery.max_rate_limit_waits); try again later",
            )
        return None

    def _session(
        self, state: RunState, phase: str, phase_prompt: str, progress: Progress
    ) -> tuple[SessionOutcome, OutcomeClass]:
        self.display.session_header(state.session, phase, self.config.model)
        prompt = assemble_prompt(
            phase_prompt,
            session=state.session,
            progress=progress.details() if progress.total or progress.warnings else "",
            last_error=state.last_error,
        )
        spec = self._spec(prompt)
        session_fn = self.session_fn
        if session_fn is None:
            from ..agent.sdk import run_session

            session_fn = run_session
        transcript = Transcript(self.config.layout.session_log(state.session))

        self.written.clear()
        windows = self.windows = ToolWindows()

        def sink(event: SessionEvent) -> None:
            self.display.event(event)
            transcript.write(event)
            if event.kind == "tool_call":
                windows.started(str(event.data.get("id")), event.data.get("input"))
                path = written_path(self.config.project_dir, event.data.get("input"))
                if path is not None and event.tool in WRITE_TOOLS:
                    self.written.add(path)
            elif event.kind == "tool_result":
                windows.finished(str(event.data.get("id")))

        try:
            outcome = session_fn(spec, sink)
        finally:
            windows.close()
            transcript.close()
        return outcome, classify(outcome)

    def _spec(self, prompt: str) -> SessionSpec:
        config = self.config
        sandbox = config.security.sandbox
        return SessionSpec(
            prompt=prompt,
            cwd=config.project_dir,
            config_dir=config.layout.claude_config_dir,
            model=config.model,
            system_prompt_append=config.system_prompt,
            tools=tuple(config.tools.builtin),
            mcp_servers=config.tools.mcp_servers,
            permission_mode=config.security.permission_mode,
            guards=build_guards(config, self.plugins),
            max_budget_usd=config.budget.max_session_cost_usd,
            env={
                # The harness owns the retry policy; the CLI only retries briefly itself.
                "CLAUDE_CODE_MAX_RETRIES": str(config.error_recovery.cli_max_retries),
                # The bash policy reads `cd src` as the project's src: no CDPATH search.
                "CDPATH": "",
                **self.extra_env,
            },
            max_turns=config.max_turns,
            sandbox=sandbox if sandbox.enabled else None,
            deny_write=sandbox_deny_write(config),
        )


def check_sandbox(config: Config, display: Display) -> str:
    """Fail closed when the sandbox is required and cannot run; say loudly when it is off.
    How Bash runs, as the ledger records it: "on", "off" or "unavailable"."""
    sandbox = config.security.sandbox
    if not sandbox.enabled:
        display.warn(
            "the OS sandbox is OFF ([security.sandbox] enabled = false): the agent's Bash "
            "runs with your privileges; every session records sandbox: off in the ledger"
        )
        return "off"
    missing = cli_sandbox_missing()
    if not missing:
        return "on"
    if sandbox.fail_if_unavailable:
        raise SandboxUnavailable(
            f"the OS sandbox needs {missing}, which is not installed; install it "
            "(apt-get install bubblewrap socat) or, to run Bash unsandboxed, set "
            f"[security.sandbox] enabled = false in {config.path}"
        )
    display.warn(
        f"the OS sandbox cannot run ({missing} not installed) and "
        "[security.sandbox] fail_if_unavailable = false: Bash runs UNSANDBOXED"
    )
    return "unavailable"
