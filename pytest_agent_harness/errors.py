"""Exit codes and the exception tree.

Every error the harness expects carries the exit code it ends the run with, so
``cli.main`` has one exit path and never matches on message text::

    HarnessError                 exit 4 unless a subclass says otherwise
    ├── UsageError               bad command line (exit 4)
    ├── ConfigError              config.toml problems, all collected (exit 4)
    ├── StateError               a state file that cannot be read or written (exit 4)
    ├── LockError                another run holds the project (exit 4)
    ├── GitStateError            the repository is in no state to run (exit 4)
    ├── PlantedLinkError         a link where a harness file should be (exit 2)
    ├── SandboxUnavailable       the OS sandbox is required and cannot run (exit 2)
    └── InternalError            a bug in the harness: traceback in a crash log (exit 2)

How a run ends (complete, budget, breaker) is not an error: the loop returns its exit code.
Any other exception is a bug; the one exit path (``commands.exit``) turns it into an
``InternalError``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class ExitCode(enum.IntEnum):
    """Process exit codes, shared by ``run`` and ``status --check``."""

    COMPLETE = 0
    INCOMPLETE = 1
    AGENT_FAILURE = 2
    """The agent cannot go on (credentials, invalid request, breaker), or the harness crashed."""
    BUDGET_EXHAUSTED = 3
    USAGE_ERROR = 4
    INTERRUPTED = 130
    """Ctrl+C (SIGINT); state saved, the next run resumes."""
    TERMINATED = 143
    """SIGTERM, handled as Ctrl+C is."""
    HUNG_UP = 129
    """SIGHUP, handled as Ctrl+C is."""
    OUTPUT_CLOSED = 141
    """Standard output was closed by its reader (``| head``): as a process SIGPIPE ends."""


INTERRUPTIONS = frozenset({ExitCode.INTERRUPTED, ExitCode.TERMINATED, ExitCode.HUNG_UP})
"""The exit codes of a run stopped by a signal (its state saved)."""


class HarnessError(Exception):
    """Base of every error the harness reports as a one-line message."""

    exit_code: ExitCode = ExitCode.USAGE_ERROR


class UsageError(HarnessError):
    """The command line asks for something impossible."""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file, at a dotted key such as ``phases[1].condition``."""

    key: str
    message: str
    line: int | None = None
    column: int | None = None

    def render(self, path: Path) -> str:
        where = f"{path}"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class ConfigError(HarnessError):
    """A config file is invalid; ``problems`` lists every problem found, not just the first."""

    def __init__(self, path: Path, problems: Sequence[ConfigProblem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__("\n".join(p.render(path) for p in self.problems))


class StateError(HarnessError):
    """A harness state file cannot be read or written."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class LockError(HarnessError):
    """Another live process holds the run lock."""

    def __init__(self, path: Path, pid: int) -> None:
        self.path = path
        self.pid = pid
        super().__init__(
            f"{path}: another agent-harness run (PID {pid}) is using this project; "
            "wait for it to finish or stop it first"
        )


class GitStateError(HarnessError):
    """The project's repository is in a state the harness must not work in."""


class PlantedLinkError(HarnessError):
    """A harness file, or a folder on its path, is a link: writing through it would write
    wherever the link points, so the harness refuses (tampering)."""

    exit_code = ExitCode.AGENT_FAILURE

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        super().__init__(
            f"{path}: {what}; the harness never reads or writes its files through links. "
            "Remove the link (it was not made by the harness) and run again"
        )


class SandboxUnavailable(HarnessError):
    """``[security.sandbox]`` asks for the OS sandbox and it cannot run here: fail closed."""

    exit_code = ExitCode.AGENT_FAILURE


class InternalError(HarnessError):
    """A bug in the harness; the traceback is in ``crash_log``, not on the console."""

    exit_code = ExitCode.AGENT_FAILURE

    def __init__(self, error: BaseException, crash_log: Path | None) -> None:
        self.error = error
        self.crash_log = crash_log
        where = f"; traceback in {crash_log}" if crash_log else ""
        detail = str(error).strip().splitlines()[:1]
        message = f"{type(error).__name__}: {detail[0]}" if detail else type(error).__name__
        super().__init__(f"internal error ({message[:200]}){where}; please report it")
