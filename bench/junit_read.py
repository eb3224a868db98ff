"""Time and peak memory of reading a 100,000-testcase JUnit report.

Each read runs in a fresh subprocess so its peak RSS is the reader's own; the baseline (the
same process importing the module and doing nothing) is subtracted. Prints the median of a
few runs against the targets: under 1.0 s and 150 MiB.

    python bench/junit_read.py [--cases N] [--runs R]
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import Row, parser, report

TIME_TARGET_S = 1.0
MEMORY_TARGET_MIB = 150.0

CHILD = """
import json, resource, sys, time
from pathlib import Path
from pytest_agent_harness.trackers.junit import read_junit
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
report = read_junit([Path(sys.argv[1])]) if sys.argv[1] != "-" else None
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_kib": peak, "before_kib": before,
                  "cases": len(report.cases) if report else 0}))
"""


def write_report(path: Path, cases: int) -> None:
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n')
        for suite in range(cases // 100):
            out.write(f'<testsuite name="suite{suite}" tests="100">\n')
            for case in range(100):
                name = f'classname="pkg.mod{suite}.TestThing" name="test_{case}" time="0.001"'
                roll = rng.random()
                if roll < 0.05:
                    out.write(
                        f'<testcase {name}><failure message="assert 1 == 2">'
                        "Traceback line\nmore\n</failure></testcase>\n"
                    )
                elif roll < 0.08:
                    out.write(
                        f'<testcase {name}><skipped type="pytest.skip" message="later"/>'
                        "</testcase>\n"
                    )
                else:
                    out.write(f"<testcase {name}/>\n")
            out.write("</testsuite>\n")
        out.write("</testsuites>\n")


def measure(report: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, report], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--cases", type=int, default=100_000)
    options.add_argument("--runs", type=int, default=5)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "big.xml"
        write_report(xml, args.cases)
        size = xml.stat().st_size / 2**20
        seconds, memory = [], []
        for _ in range(args.runs):
            result = measure(str(xml))
            baseline = measure("-")
            assert result["cases"] == args.cases, result
            seconds.append(result["seconds"])
            memory.append((result["peak_kib"] - baseline["peak_kib"]) / 1024)
    time_s = statistics.median(seconds)
    peak = statistics.median(memory)
    print(f"JUnit read: {args.cases:,} testcases, {size:.1f} MiB file, median of {args.runs} runs")
    rows = [
        Row(
            what=f"JUnit read, {args.cases:,} testcases",
            measured=f"{time_s:.3f} s",
            target=f"< {TIME_TARGET_S} s",
            holds=time_s < TIME_TARGET_S,
        ),
        Row(
            what="JUnit read, peak RSS above import",
            measured=f"{peak:.1f} MiB",
            target=f"< {MEMORY_TARGET_MIB:g} MiB",
            holds=peak < MEMORY_TARGET_MIB,
        ),
    ]
    return report(rows, args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
