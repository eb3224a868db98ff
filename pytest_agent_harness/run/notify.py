"""The ``[notify]`` command, run once when a run stops.

It is the person's own program, named in the trusted config, started without a shell and with
the run's outcome in its environment: ``AGENT_HARNESS_OUTCOME`` (complete, stopped or
interrupted), ``AGENT_HARNESS_EXIT_CODE``, ``AGENT_HARNESS_REASON``,
``AGENT_HARNESS_PROGRESS``, ``AGENT_HARNESS_REPORT`` (the HTML report's path) and
``AGENT_HARNESS_PROJECT``. The API credentials and every other secret variable are taken out
of that environment. A command that fails or hangs is reported; the run's exit code stands.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..envvars import without_secrets
from ..errors import ExitCode

if TYPE_CHECKING:
    from ..config import Config
    from .report import RunResult

INTERRUPTED = (ExitCode.INTERRUPTED, ExitCode.TERMINATED, ExitCode.HUNG_UP)


def notify(config: Config, result: RunResult, report: Path | None) -> str:
    """Run the notify command, if there is one; '' or why it failed."""
    command = list(config.notify.command)
    if not command:
        return ""
    code = result.exit_code
    outcome = "complete" if code is ExitCode.COMPLETE else "stopped"
    if code in INTERRUPTED:
        outcome = "interrupted"
    env = {
        **without_secrets(os.environ),
        "AGENT_HARNESS_OUTCOME": outcome,
        "AGENT_HARNESS_EXIT_CODE": str(int(code)),
        "AGENT_HARNESS_REASON": result.reason,
        "AGENT_HARNESS_PROGRESS": result.progress.summary(),
        "AGENT_HARNESS_REPORT": str(report or ""),
        "AGENT_HARNESS_PROJECT": str(config.project_dir),
    }
    try:
        done = subprocess.run(
            command,
            cwd=config.project_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=config.notify.timeout_seconds,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the notify command ({command[0]}) could not run: {exc}"
    if done.returncode != 0:
        return f"the notify command ({command[0]}) exited {done.returncode}"
    return ""
