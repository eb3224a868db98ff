"""The session loop: phases, fresh-context sessions, trackers, recovery and state.

One ``Runner`` drives one project. Each iteration picks a phase, runs one session on a fresh
client, classifies how it ended, asks the tracker where the work stands, records the session, and
then stops or continues. State is saved before a session starts, so a harness killed at any
moment resumes at the next session number.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .display import Display
from .errors import ConfigError, ConfigProblem, ExitCode
from .phases import select_phase, why_none_eligible
from .prompts import assemble_prompt
from .recovery import FATAL_ADVICE, OutcomeClass, backoff_seconds, classify, describe_error
from .security.hooks import build_guards
from .session import EventSink, McpServerSpec, SessionEvent, SessionOutcome, SessionSpec
from .state import LedgerEntry, RunState, StateStore, remove_stale_temp_files, run_lock
from .trackers.base import Progress, Tracker
from .transcript import Transcript, session_log_path

if TYPE_CHECKING:
    from .config import Config, SandboxConfig

SessionFn = Callable[[SessionSpec, EventSink], SessionOutcome]

WAIT_REPORT_SECONDS = 30.0
RUNTIME_IGNORES = (
    "# Written by agent-harness: runtime files that do not belong in the project's history.",
    "claude/",
    "logs/",
    "evidence/",
    "session.json",
    "session.json.corrupt-*",
    "ledger.jsonl",
    "run.lock",
    ".*.tmp",
)


@dataclass(frozen=True, kw_only=True)
class RunResult:
    exit_code: ExitCode
    reason: str
    progress: Progress


CREDENTIAL_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN")


def sandbox_settings(sandbox: SandboxConfig) -> dict[str, Any]:
    """The SDK's sandbox option, every safety-relevant setting explicit."""
    return {
        "enabled": True,
        "autoAllowBashIfSandboxed": sandbox.auto_allow_bash_if_sandboxed,
        "allowUnsandboxedCommands": False,
        "failIfUnavailable": sandbox.fail_if_unavailable,
        "network": {"allowedDomains": list(sandbox.allowed_domains)},
        "filesystem": {"denyRead": list(sandbox.deny_read)},
        "credentials": {"envVars": [{"name": n, "mode": "deny"} for n in CREDENTIAL_VARIABLES]},
    }


def make_tracker(config: Config) -> Tracker:
    """The tracker the config names, from whichever plugin answers for it."""
    from .plugins import plugin_manager

    tracker: Tracker | None = plugin_manager().hook.agent_harness_make_tracker(config=config)
    if tracker is None:  # validated at load time; a plugin may still have gone away
        raise ConfigError(
            config.path,
            [
                ConfigProblem(
                    key="tracking.type", message=f"no plugin builds '{config.tracking.type}'"
                )
            ],
        )
    return tracker


class Runner:
    """Runs sessions for one project until the tracker is complete or a stop condition holds."""

    def __init__(
        self,
        config: Config,
        display: Display | None = None,
        *,
        session_fn: SessionFn | None = None,
        sleep: Callable[[float], None] = time.sleep,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.display = display or Display()
        self.session_fn = session_fn
        self.sleep = sleep
        self.extra_env = dict(extra_env or {})
        self.store = StateStore(config.harness_dir)
        self.tracker = make_tracker(config)
        self.progress = Progress()

    def run(self) -> RunResult:
        with run_lock(self.config.harness_dir):
            config = self.config
            tracker_dir = (config.project_dir / config.tracking.file).parent
            remove_stale_temp_files(config.harness_dir, config.project_dir, tracker_dir)
            self._ignore_runtime_files()
            state = self.store.load()
            for warning in self.store.warnings:
                self.display.warn(warning)
            self._preflight()
            try:
                result = self._loop(state)
            except KeyboardInterrupt:
                self.store.save(state)
                result = RunResult(
                    exit_code=ExitCode.INTERRUPTED,
                    reason="interrupted; run the same command again to resume",
                    progress=self.progress,
                )
            self._final_summary(state, result)
            return result

    def _loop(self, state: RunState) -> RunResult:
        config = self.config
        if not state.init_files_copied:
            self._copy_init_files()
            state.init_files_copied = True
            self.store.save(state)
        self._recover_cut_off_session(state)
        progress = self.progress = self.tracker.evaluate()
        self._commit_harness_files(progress)
        self.display.line(
            f"Progress: {progress.summary()}  cost so far: ${state.totals.cost_usd:.4f}"
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
            state.session += 1
            self.store.save(state)  # a kill from here on resumes at the next number
            snapshot = self._snapshot(state.session)
            before = progress
            outcome, cls = self._session(state, phase.name, phase.prompt, before)
            progress = self.progress = self.tracker.evaluate()
            commit = self._checkpoint(snapshot, state.session, phase.name, progress)
            self._record(state, phase.name, phase.run_once, outcome, cls, before, progress, commit)
            self.display.session_summary(outcome, cls.value, progress.summary())
            self.display.line(f"Cost so far: ${state.totals.cost_usd:.4f}")
            if cls is OutcomeClass.INTERRUPTED:
                raise KeyboardInterrupt
            stop = self._after_session(state, outcome, cls, progress)
            if stop is not None:
                return stop
            last = config.max_iterations is not None and iterations >= config.max_iterations
            if cls is OutcomeClass.RATE_LIMIT:
                self._wait(self._rate_limit_wait(state, outcome), "Rate limited: retrying")
            elif not cls.succeeded:
                recovery = config.error_recovery
                delay = backoff_seconds(
                    state.consecutive_errors,
                    recovery.initial_backoff_seconds,
                    recovery.backoff_multiplier,
                    recovery.max_backoff_seconds,
                )
                self._wait(delay, f"Error {state.consecutive_errors} in a row: retrying")
            elif not last:
                self._wait(config.auto_continue_delay, "Next session")

    def _before_session(
        self, state: RunState, iterations: int, progress: Progress
    ) -> RunResult | None:
        """Why the run must not start another session, if it must not."""
        config = self.config
        budget = config.budget

        def stop(code: ExitCode, reason: str) -> RunResult:
            return RunResult(exit_code=code, reason=reason, progress=progress)

        if budget.max_cost_usd is not None and state.totals.cost_usd >= budget.max_cost_usd:
            return stop(
                ExitCode.BUDGET_EXHAUSTED,
                f"budget: ${state.totals.cost_usd:.4f} spent, budget.max_cost_usd is "
                f"${budget.max_cost_usd:.4f}; raise it to go on",
            )
        limit = budget.max_sessions_without_progress
        if limit is not None and state.sessions_without_progress >= limit:
            return stop(
                ExitCode.BUDGET_EXHAUSTED,
                f"budget: {state.sessions_without_progress} sessions without progress "
                f"(budget.max_sessions_without_progress = {limit})",
            )
        if config.max_iterations is not None and iterations >= config.max_iterations:
            return stop(
                ExitCode.INCOMPLETE,
                f"reached max_iterations ({config.max_iterations}) before completion",
            )
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
        if cls is OutcomeClass.BUDGET:
            return stop(
                ExitCode.BUDGET_EXHAUSTED,
                "budget: the session reached budget.max_session_cost_usd "
                f"(${outcome.cost_usd:.4f}); raise it to go on",
            )
        if state.consecutive_errors >= recovery.max_consecutive_errors:
            return stop(
                ExitCode.AGENT_FAILURE,
                f"circuit breaker: {state.consecutive_errors} failed sessions in a row "
                f"(error_recovery.max_consecutive_errors); last error: {state.last_error}",
            )
        if state.consecutive_rate_limits > recovery.max_rate_limit_waits:
            return stop(
                ExitCode.AGENT_FAILURE,
                f"rate limited {state.consecutive_rate_limits} sessions in a row "
                f"(error_recovery.max_rate_limit_waits); try again later",
            )
        return None

    def _rate_limit_wait(self, state: RunState, outcome: SessionOutcome) -> float:
        """How long the API asked us to wait (retry-after, reset time), else backoff; bounded."""
        recovery = self.config.error_recovery
        asked = [
            (retry.get("retry_delay_ms") or 0) / 1000
            for retry in outcome.retries
            if retry.get("error_status") == 429
        ]
        wait = asked[-1] if asked else 0.0
        if outcome.rate_limit_resets_at:
            wait = max(wait, outcome.rate_limit_resets_at - time.time())
        if wait <= 0:
            wait = backoff_seconds(
                state.consecutive_rate_limits,
                recovery.initial_backoff_seconds,
                recovery.backoff_multiplier,
                recovery.max_backoff_seconds,
            )
        return min(wait, recovery.max_rate_limit_wait_seconds)

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
            from .agent import run_session

            session_fn = run_session
        transcript = Transcript(session_log_path(self.config.harness_dir, state.session))

        def sink(event: SessionEvent) -> None:
            self.display.event(event)
            transcript.write(event)

        try:
            outcome = session_fn(spec, sink)
        finally:
            transcript.close()
        return outcome, classify(outcome)

    def _spec(self, prompt: str) -> SessionSpec:
        config = self.config
        sandbox = config.security.sandbox
        return SessionSpec(
            prompt=prompt,
            cwd=config.project_dir,
            config_dir=config.harness_dir / "claude",
            model=config.model,
            system_prompt_append=config.system_prompt,
            tools=tuple(config.tools.builtin),
            mcp_servers=tuple(
                McpServerSpec(
                    name=name,
                    type=server.type,
                    command=server.command or "",
                    args=tuple(server.args),
                    env=dict(server.env),
                    url=server.url or "",
                    headers=dict(server.headers),
                )
                for name, server in config.tools.mcp_servers.items()
            ),
            permission_mode=config.security.permission_mode,
            guards=build_guards(config),
            max_budget_usd=config.budget.max_session_cost_usd,
            env={
                # The harness owns the retry policy; the CLI only retries briefly itself.
                "CLAUDE_CODE_MAX_RETRIES": str(config.error_recovery.cli_max_retries),
                # The bash policy reads `cd src` as the project's src: no CDPATH search.
                "CDPATH": "",
                **self.extra_env,
            },
            max_turns=config.max_turns,
            sandbox=sandbox_settings(sandbox) if sandbox.enabled else None,
        )

    def _record(
        self,
        state: RunState,
        phase: str,
        run_once: bool,
        outcome: SessionOutcome,
        cls: OutcomeClass,
        before: Progress,
        after: Progress,
        commit: str | None = None,
    ) -> None:
        if cls.succeeded:
            state.consecutive_errors = 0
            state.consecutive_rate_limits = 0
            state.last_error = ""
            if run_once and phase not in state.completed_phases:
                state.completed_phases.append(phase)
        elif cls is OutcomeClass.RATE_LIMIT:
            # Waiting out a rate limit is not the agent failing: it does not trip the breaker.
            state.consecutive_rate_limits += 1
            state.last_error = describe_error(outcome, cls)
        elif cls is not OutcomeClass.INTERRUPTED:
            state.consecutive_errors += 1
            state.last_error = describe_error(outcome, cls)
        if cls not in (OutcomeClass.RATE_LIMIT, OutcomeClass.INTERRUPTED):
            if after.passing > state.best_passing:
                state.sessions_without_progress = 0
            else:
                state.sessions_without_progress += 1
        totals = state.totals
        totals.cost_usd += outcome.cost_usd
        totals.input_tokens += outcome.input_tokens
        totals.output_tokens += outcome.output_tokens
        totals.turns += outcome.num_turns
        totals.wall_seconds += outcome.duration_ms / 1000
        state.best_passing = max(state.best_passing, after.passing)
        now = datetime.now(timezone.utc)
        started = now - timedelta(milliseconds=outcome.duration_ms)
        entry: LedgerEntry = {
            "session": state.session,
            "phase": phase,
            "run_once": run_once,
            "started": started.isoformat(timespec="seconds"),
            "ended": now.isoformat(timespec="seconds"),
            "outcome": cls.value,
            "detail": "" if cls.succeeded else state.last_error,
            "cost_usd": outcome.cost_usd,
            "input_tokens": outcome.input_tokens,
            "output_tokens": outcome.output_tokens,
            "turns": outcome.num_turns,
            "duration_s": round(outcome.duration_ms / 1000, 3),
            "model": outcome.model,
            "progress_before": before.summary(),
            "progress_after": after.summary(),
            "passing": after.passing,
            "total": after.total,
            "warnings": list(after.warnings),
            "api_retries": [dict(retry) for retry in outcome.retries],
            "commit": commit,
            "denials": list(outcome.denials),
        }
        self.store.append_ledger(entry)
        self.store.save(state)

    def _preflight(self) -> None:
        from . import gitops

        result = gitops.preflight(self.config.project_dir)
        for message in result.messages:
            self.display.line(message)

    def _snapshot(self, session: int) -> str:
        """Record the whole working tree before the agent touches it."""
        from . import gitops

        return gitops.snapshot(self.config.project_dir, session, self.config.git.author)

    def _checkpoint(
        self, snapshot: str, session: int, phase: str, progress: Progress
    ) -> str | None:
        """Commit what the session changed; a refusing hook is reported, the run goes on."""
        if not self.config.git.commit:
            return None
        from . import gitops

        message = (
            f"agent-harness: session {session} ({phase}): "
            f"{progress.passing}/{progress.total} passing"
        )
        git = self.config.git
        result = gitops.checkpoint(self.config.project_dir, snapshot, message, git.author)
        if result.error:
            self.display.warn(f"checkpoint commit failed ({result.error}); the work is kept")
        elif result.commit:
            self.display.line(f"Committed {result.commit[:10]}: {len(result.paths)} file(s)")
        return result.commit

    def _recover_cut_off_session(self, state: RunState) -> None:
        """Commit the work of a session the last run started but never recorded (it was killed)."""
        if not self.config.git.commit or state.session == 0:
            return
        ledger = self.store.ledger()
        if ledger and ledger[-1]["session"] >= state.session:
            return
        from . import gitops

        session = state.session
        message = f"agent-harness: session {session} (cut off): its changes, recovered"
        result = gitops.recover(self.config.project_dir, session, message, self.config.git.author)
        if result.error:
            self.display.warn(f"could not commit session {session}'s work ({result.error})")
        elif result.commit:
            self.display.line(
                f"Session {session} was cut off; committed its {len(result.paths)} changed "
                f"file(s) as {result.commit[:10]}"
            )

    def _commit_harness_files(self, progress: Progress) -> None:
        """Commit what the harness itself added (its .gitignore, the tamper baseline)."""
        if not self.config.git.commit:
            return
        from . import gitops

        root = self.config.project_dir
        candidates = [
            path.relative_to(root).as_posix()
            for path in (
                self.config.harness_dir / ".gitignore",
                self.config.harness_dir / "baseline.json",
            )
            if path.exists() and root in path.parents
        ]
        changed = gitops.changed_since_head(root)
        wanted = [p for p in candidates if changed is None or p in changed]
        if wanted:
            message = f"agent-harness: baseline, {progress.summary()}"
            result = gitops.commit_paths(root, wanted, message, self.config.git.author)
            if result.error:
                self.display.warn(f"could not commit the harness's files ({result.error})")

    def _wait(self, seconds: float, reason: str) -> None:
        """Sleep, with a line now and then so a long wait in a CI log is visibly alive."""
        if seconds <= 0:
            return
        self.display.countdown(seconds, reason)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sleep(min(left, WAIT_REPORT_SECONDS))
            left = deadline - time.monotonic()
            if left > 1:
                self.display.line(f"  ... {left:.0f}s left")

    def _copy_init_files(self) -> None:
        for init_file in self.config.init_files:
            dest = self.config.project_dir / init_file.dest
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(init_file.source, dest)
            self.display.line(f"Copied {init_file.source.name} to {init_file.dest}")

    def _ignore_runtime_files(self) -> None:
        path = self.config.harness_dir / ".gitignore"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(RUNTIME_IGNORES) + "\n", encoding="utf-8")

    def _final_summary(self, state: RunState, result: RunResult) -> None:
        display = self.display
        totals = state.totals
        display.line("=" * 72)
        status = "COMPLETE" if result.exit_code is ExitCode.COMPLETE else "STOPPED"
        display.line(f"{status}: {result.reason}")
        display.line(f"Progress: {result.progress.summary()}")
        for warning in result.progress.warnings:
            display.warn(warning)
        display.line(
            f"Sessions: {state.session}  cost: ${totals.cost_usd:.4f}  "
            f"tokens: {totals.input_tokens + totals.output_tokens}  turns: {totals.turns}"
        )
        if self.config.post_run_instructions.strip():
            display.line("")
            display.line(self.config.post_run_instructions.strip())
        display.line(f"Exit code: {int(result.exit_code)}")
