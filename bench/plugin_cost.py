"""What the installed plugin costs a plain pytest run, and how fast `agent-harness --help` is.

Runs a small suite N times with the plugin and N times with ``-p no:agent_harness``,
interleaved, and compares the medians. Target: the plugin adds under 5 %.

    python bench/plugin_cost.py [--runs N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Row, parser, report

TARGET = 0.05
HELP_TARGET_MS = 200.0


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--runs", type=int, default=21)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        tests = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(50))
        (project / "test_many.py").write_text(tests)
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        with_plugin, without = [], []
        for _ in range(args.runs):
            with_plugin.append(timed(pytest, project))
            without.append(timed([*pytest, "-p", "no:agent_harness"], project))
        helps = [
            timed([sys.executable, "-m", "pytest_agent_harness", "--help"], project)
            for _ in range(5)
        ]
    a, b = statistics.median(with_plugin), statistics.median(without)
    overhead = a / b - 1
    print(f"pytest run, 50 tests, median of {args.runs} interleaved runs:")
    print(f"  with the plugin {a * 1000:7.1f} ms   without {b * 1000:7.1f} ms")
    help_ms = statistics.median(helps) * 1000
    rows = [
        Row(
            what="installed plugin, plain pytest run",
            measured=f"{overhead * 100:+.1f} %",
            target=f"< {TARGET * 100:.0f} %",
            holds=overhead < TARGET,
        ),
        Row(
            what="agent-harness --help",
            measured=f"{help_ms:.0f} ms",
            target=f"< {HELP_TARGET_MS:g} ms",
            holds=help_ms < HELP_TARGET_MS,
        ),
    ]
    return report(rows, args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
