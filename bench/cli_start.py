"""How fast the command line starts, and what importing the package loads.

Times ``agent-harness --help`` (the console script, a fresh process each time; median of N) and
lists the modules ``import pytest_agent_harness`` and ``import pytest_agent_harness.cli`` load:
neither may load the run report, the terminal display or the scripted model, which only the
commands that use them import.

    python bench/cli_start.py [--runs N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import Row, parser, report

HELP_TARGET_MS = 150.0
NOT_AT_IMPORT = (
    "pytest_agent_harness.report",
    "pytest_agent_harness.agent.live",
    "pytest_agent_harness.agent.events",
    "pytest_agent_harness.testing",
    "curses",
    "readline",
)


def loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--runs", type=int, default=21)
    args = options.parse_args()
    script = shutil.which("agent-harness", path=str(Path(sys.executable).parent))
    argv = [script] if script else [sys.executable, "-m", "pytest_agent_harness"]
    times = []
    for _ in range(args.runs + 1):  # the first one warms the page cache
        start = time.perf_counter()
        subprocess.run([*argv, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    help_ms = statistics.median(times[1:]) * 1000
    heavy = sorted(
        name
        for statement in ("import pytest_agent_harness", "import pytest_agent_harness.cli")
        for name in loaded_by(statement)
        if name.startswith(NOT_AT_IMPORT)
    )
    print(f"agent-harness --help, median of {args.runs}: {help_ms:.0f} ms")
    print(f"report, terminal or scripted-model modules loaded at import: {heavy or 'none'}")
    rows = [
        Row(
            what="agent-harness --help",
            measured=f"{help_ms:.0f} ms",
            target=f"< {HELP_TARGET_MS:g} ms",
            holds=help_ms < HELP_TARGET_MS,
        ),
        Row(
            what="report/terminal modules loaded by importing the package or its CLI",
            measured=", ".join(heavy) or "none",
            target="none",
            holds=not heavy,
        ),
    ]
    return report(rows, args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
