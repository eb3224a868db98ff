"""Run every benchmark, each in its own process, and print one table of targets and verdicts.

    python bench/run_all.py [--quick]

``--quick`` shrinks each benchmark (fewer rounds, a 30-session soak) to check that they all
run; its numbers are noisier and the soak's growth is measured over fewer sessions.
Exit status 0 only when every target holds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    # (script, full arguments, --quick arguments)
    ("session_overhead.py", [], ["--rounds", "2", "--sessions", "2"]),
    ("session_overhead.py", ["--sandbox"], ["--sandbox", "--rounds", "2", "--sessions", "2"]),
    ("soak.py", [], ["--sessions", "30"]),
    ("git_session.py", [], ["--files", "1000", "--sessions", "3"]),
    ("bash_policy.py", [], ["--rounds", "3"]),
    ("junit_read.py", [], ["--runs", "1"]),
    ("plugin_cost.py", [], ["--runs", "3"]),
    ("cli_start.py", [], ["--runs", "3"]),
    ("observer_cost.py", [], ["--runs", "2", "--tests", "500"]),
    ("strength_gate.py", [], ["--mutants", "40", "--per-mutant", "10"]),
    ("workers.py", [], ["--units", "4", "--latency", "0.5"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs, to check they work")
    args = parser.parse_args()
    rows: list[tuple[str, dict[str, object]]] = []
    failed: list[str] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for script, full, quick in BENCHMARKS:
            out = Path(tmp) / f"{script}.json"
            argv = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
            print(f"$ python bench/{script} {' '.join(argv[2:])}".rstrip(), flush=True)
            start = time.perf_counter()
            code = subprocess.run([*argv, "--rows-json", str(out)], cwd=HERE.parent).returncode
            print(f"  ({time.perf_counter() - start:.0f} s)\n", flush=True)
            if not out.exists():
                failed.append(f"{script} crashed (exit {code})")
                continue
            rows.extend((script, row) for row in json.loads(out.read_text()))
    table = [("benchmark", "what", "measured", "target", "verdict")]
    for script, row in rows:
        verdict = "holds" if row["holds"] else "MISSED"
        table.append((script, str(row["what"]), str(row["measured"]), str(row["target"]), verdict))
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    for index, line in enumerate(table):
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))
    missed = [row for _, row in rows if not row["holds"]]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} targets hold", end="")
    print(f"; all benchmarks took {time.perf_counter() - began:.0f} s")
    for problem in failed:
        print(f"ERROR: {problem}")
    return 0 if not missed and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
