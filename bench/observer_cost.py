"""What the observer adds to the harness's own pytest run, on a generated 2,000-test suite.

Side by side, interleaved: the evidence run as the harness makes it (``pytest_evidence``: the
observer loaded first, its record written and read, the JUnit XML cross-checked) and the same
pytest command without the observer, reading only the JUnit XML (what the evidence run was
before). Compares the medians. Target: the observer adds under 5 %.

    python bench/observer_cost.py [--runs N] [--tests N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Row, parser, report

from pytest_agent_harness.layout import Layout
from pytest_agent_harness.trackers.evidence import pytest_evidence
from pytest_agent_harness.trackers.junit import read_junit

TARGET = 0.05
FILES = 20
ARGS = ("tests", "-p", "no:randomly", "-p", "no:cacheprovider")


def suite(project: Path, tests: int) -> None:
    """``tests`` tests in FILES modules: plain functions, methods, parametrized, a few fail."""
    folder = project / "tests"
    folder.mkdir(parents=True)
    per_file = tests // FILES
    for index in range(FILES):
        lines = ["import pytest", ""]
        plain = per_file // 2
        for n in range(plain):
            check = "1 == 2" if n == 0 and index % 5 == 0 else f"{n} == {n}"
            lines += [f"def test_f{n}():", f"    assert {check}", ""]
        params = per_file - plain - 10
        lines += [
            f"@pytest.mark.parametrize('x', range({params}))",
            "def test_p(x):",
            "    assert x >= 0",
            "",
            "class TestC:",
        ]
        lines += [f"    def test_m{n}(self):\n        assert True\n" for n in range(10)]
        (folder / f"test_mod{index}.py").write_text("\n".join(lines))


def with_observer(layout: Layout) -> float:
    start = time.perf_counter()
    evidence = pytest_evidence(layout, args=ARGS)
    elapsed = time.perf_counter() - start
    if evidence.record is None or not evidence.record.finished:
        raise SystemExit(f"the observer recorded nothing: {evidence.warnings}")
    return elapsed


def without_observer(layout: Layout) -> float:
    report = layout.pytest_report
    argv = [sys.executable, "-m", "pytest", *ARGS, f"--junitxml={report}"]
    argv += ["-o", "junit_family=xunit1", "-q"]
    start = time.perf_counter()
    subprocess.run(argv, cwd=layout.project_dir, capture_output=True, check=False)
    read_junit([report])
    return time.perf_counter() - start


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--runs", type=int, default=11)
    options.add_argument("--tests", type=int, default=2000)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        suite(project, args.tests)
        layout = Layout.of(project)
        layout.gitignore.parent.mkdir(parents=True)
        layout.gitignore.write_text(layout.gitignore_text())
        layout.evidence_dir.mkdir()
        with_times, without_times = [], []
        for _ in range(args.runs):
            with_times.append(with_observer(layout))
            without_times.append(without_observer(layout))
    a, b = statistics.median(with_times), statistics.median(without_times)
    overhead = a / b - 1
    print(f"evidence run, {args.tests} tests, median of {args.runs} interleaved runs:")
    print(f"  with the observer {a * 1000:7.0f} ms   without {b * 1000:7.0f} ms")
    rows = [
        Row(
            what=f"observer, {args.tests}-test evidence run",
            measured=f"{overhead * 100:+.1f} % ({a * 1000:.0f} against {b * 1000:.0f} ms)",
            target=f"< {TARGET * 100:.0f} %",
            holds=overhead < TARGET,
        )
    ]
    return report(rows, args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
