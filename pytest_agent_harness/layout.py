"""Every file the harness reads or writes, named once.

A ``Layout`` is built from the project dir and the harness dir (``PROJECT/.agent-harness`` unless
given). Every other module asks it for paths; the runtime ``.gitignore`` and the set of paths the
agent may never write are built from the same names, so adding a file here is the only step.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

HARNESS_DIR_NAME = ".agent-harness"
TEMP_MARK = ".agent-harness-"
"""Part of the name of every temporary file an atomic write makes, so a killed one is found."""

CONFIG_NAME = "config.toml"
_PROMPTS = "prompts"
_STATE = "session.json"
_LEDGER = "ledger.jsonl"
_LOGS = "logs"
_EVIDENCE = "evidence"
_BASELINE = "baseline.json"
_CLAUDE = "claude"
_LOCK = "run.lock"
_GITIGNORE = ".gitignore"
_REPORT = "report"
_UNITS = "units"
_SHARDS = "shards"
_PARALLEL = "parallel.json"

RUNTIME_IGNORES = (
    "# Written by agent-harness: runtime files that do not belong in the project's history.",
    f"{_CLAUDE}/",
    f"{_LOGS}/",
    f"{_EVIDENCE}/",
    _STATE,
    f"{_STATE}.corrupt-*",
    _LEDGER,
    _LOCK,
    f"{_REPORT}.html",
    f"{_REPORT}.md",
    f"{_UNITS}/",
    f"{_SHARDS}/",
    _PARALLEL,
    f"{_PARALLEL}.corrupt-*",
    ".*.tmp",
)


@dataclass(frozen=True)
class Layout:
    """The paths of one project's harness files; both dirs are resolved when built by ``of``."""

    project_dir: Path
    harness_dir: Path
    guarded: tuple[Path, ...] = ()
    """More paths the agent may never write, and the session audit watches (a worker's: the
    harness files its worktree holds, the repository's config and hooks)."""
    shared: tuple[Path, ...] = ()
    """Paths the agent may never write that others write meanwhile, so no audit compares them
    (a worker's: the run's harness dir and the repository, which the coordinator writes)."""

    @classmethod
    def of(cls, project_dir: Path, harness_dir: Path | None = None) -> Layout:
        project = project_dir.resolve()
        harness = (harness_dir or project / HARNESS_DIR_NAME).resolve()
        return cls(project_dir=project, harness_dir=harness)

    # -- what the user writes ------------------------------------------------------------

    @property
    def config(self) -> Path:
        return self.harness_dir / CONFIG_NAME

    @property
    def prompts_dir(self) -> Path:
        return self.harness_dir / _PROMPTS

    def prompt(self, name: str) -> Path:
        return self.prompts_dir / name

    # -- what the harness writes ---------------------------------------------------------

    @property
    def state(self) -> Path:
        """``session.json``: where a resumed run carries on."""
        return self.harness_dir / _STATE

    def corrupt_state(self, stamp: int) -> Path:
        """Where an unreadable ``session.json`` is moved aside to."""
        return self.harness_dir / f"{_STATE}.corrupt-{stamp}"

    @property
    def ledger(self) -> Path:
        return self.harness_dir / _LEDGER

    @property
    def logs_dir(self) -> Path:
        return self.harness_dir / _LOGS

    def session_log(self, session: int) -> Path:
        return self.logs_dir / f"session-{session:03d}.jsonl"

    def crash_log(self, stamp: str) -> Path:
        return self.logs_dir / f"crash-{stamp}.log"

    @property
    def evidence_dir(self) -> Path:
        return self.harness_dir / _EVIDENCE

    @property
    def pytest_report(self) -> Path:
        """The JUnit XML of the pytest runs the harness makes itself."""
        return self.evidence_dir / "pytest-junit.xml"

    @property
    def baseline(self) -> Path:
        return self.harness_dir / _BASELINE

    @property
    def claude_config_dir(self) -> Path:
        """The CLI's ``CLAUDE_CONFIG_DIR``: hermetic, and its transcripts stay with the run."""
        return self.harness_dir / _CLAUDE

    @property
    def lock(self) -> Path:
        return self.harness_dir / _LOCK

    @property
    def gitignore(self) -> Path:
        return self.harness_dir / _GITIGNORE

    @staticmethod
    def gitignore_text() -> str:
        return "\n".join(RUNTIME_IGNORES) + "\n"

    @property
    def committed_files(self) -> tuple[Path, ...]:
        """Harness files that belong in the project's history (the ignores, the baseline)."""
        return (self.gitignore, self.baseline)

    # -- what the harness keeps outside the project, out of the agent's reach ---------------

    @property
    def trust_record(self) -> Path:
        """The hash of the config as a person last trusted it."""
        return user_state_dir() / "trust" / f"{_key(self.config)}.json"

    @property
    def baseline_copy(self) -> Path:
        """The harness's own copy of the baseline, which a changed project copy is checked
        against and restored from."""
        return user_state_dir() / "baselines" / f"{_key(self.harness_dir)}.json"

    @property
    def worktrees_dir(self) -> Path:
        """Where a parallel run's workers get their git worktrees: outside the project, so the
        project's own tools never walk into them, and so a worker's sandbox (its worktree
        writable) shares no folder with the harness dir it may not write."""
        return user_state_dir() / "worktrees" / _key(self.project_dir)

    @property
    def units_dir(self) -> Path:
        """A parallel run's workers' books: one folder per unit attempt (state, ledger, logs)."""
        return self.harness_dir / _UNITS

    def shard_dir(self, index: int, count: int) -> Path:
        """A shard's books (``run --shard I/N``): its state, ledger, units and logs."""
        return self.harness_dir / _SHARDS / f"{index}-of-{count}"

    @property
    def parallel_state(self) -> Path:
        """``parallel.json``: a parallel run's units, where each stands, and its merges."""
        return self.harness_dir / _PARALLEL

    def corrupt_parallel_state(self, stamp: int) -> Path:
        """Where an unreadable ``parallel.json`` is moved aside to."""
        return self.harness_dir / f"{_PARALLEL}.corrupt-{stamp}"

    @property
    def report_html(self) -> Path:
        """The run report, written at the end of every run (``agent-harness report``)."""
        return self.harness_dir / f"{_REPORT}.html"

    @property
    def report_markdown(self) -> Path:
        return self.harness_dir / f"{_REPORT}.md"

    @property
    def git_record(self) -> Path:
        """The repository's program-running config and hooks as the harness last accepted them,
        so a hook or filter planted between two runs is caught by the second."""
        return user_state_dir() / "git" / f"{_key(self.project_dir)}.json"

    @property
    def git_dir(self) -> Path:
        """The repository's ``.git``: the project's, or that of the nearest folder above it that
        has one (a project inside a larger repository); the project's own before there is one."""
        for folder in (self.project_dir, *self.project_dir.parents):
            if os.path.lexists(folder / ".git"):
                return folder / ".git"
        return self.project_dir / ".git"

    def protected(self, *extra: Path) -> tuple[Path, ...]:
        """What the agent may never write, by any tool: the harness dir (config, state,
        baseline, evidence, logs), the repository, and ``extra`` (such as an evidence-checked
        tracker file). In a folder of a larger repository, ``PROJECT/.git`` too: a repository
        planted there would be the one git finds first."""
        own = self.project_dir / ".git"
        mine = (own,) if own != self.git_dir else ()
        return (self.harness_dir, self.git_dir, *mine, *self.guarded, *self.shared, *extra)


def user_state_dir() -> Path:
    """The user's state dir for the harness: ``$XDG_STATE_HOME/agent-harness``."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "agent-harness"


def _key(path: Path) -> str:
    return hashlib.sha256(str(path).encode()).hexdigest()[:32]
