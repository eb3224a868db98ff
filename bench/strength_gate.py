"""What the strength gate costs: on the pytest-refactor example, on cachetools 8.0.2, and per
mutant, the forking worker against a fresh pytest process per mutant.

Everything runs sandboxed, as in a real run, with one worker per core. Side by side in one run:

- ``examples/pytest-refactor``: the plain suite, and one gate run (coverage, then every
  sampled mutant against the tests that reach it; the sample is drawn beforehand, as it is
  once with the baseline). Target: the gate adds under 20 s.
- cachetools 8.0.2 (476 tests; its sdist is downloaded from the package index into
  ``--cache``, never committed): the plain suite, and a 200-mutant gate. Target: under 45 s.
- The same cachetools mutants judged by the forking worker and by a fresh ``python -m pytest``
  per mutant: seconds per mutant, and whether the verdicts agree.

    python bench/strength_gate.py [--mutants N] [--cache DIR]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from _common import Row, parser, report

from pytest_agent_harness.layout import Layout
from pytest_agent_harness.strength.check import source_files
from pytest_agent_harness.strength.gate import measure_strength
from pytest_agent_harness.strength.mutants import compiles, sample, sites
from pytest_agent_harness.strength.runner import run_mutants
from pytest_agent_harness.trackers.evidence import PytestSandbox

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pytest-refactor"
CACHETOOLS = "cachetools==8.0.2"
CACHETOOLS_ARGS = ("tests", "-p", "no:randomly", "-o", "pythonpath=src")
EXAMPLE_ARGS = ("tests", "-p", "no:randomly")
EXAMPLE_FAILING = ("tests/test_style.py::test_suite_is_idiomatic_pytest",)


def plain_suite(project: Path, args: tuple[str, ...]) -> float:
    start = time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # the example's style test fails until migrated
        raise SystemExit(f"{project}: the plain suite did not run:\n{done.stdout[-2000:]}")
    return time.perf_counter() - start


def gate(
    project: Path, args: tuple[str, ...], mutants: int, failing: tuple[str, ...] = ()
) -> tuple[float, float, int, dict[str, int]]:
    """Seconds to draw the sample (once, with the baseline), seconds for one gate run against
    it (what every later check costs), the mutants judged, and how many per outcome
    (``failing``: tests that fail anyway, left out of mutant runs as the tracker does)."""
    layout = Layout.of(project)
    files = source_files(project, (), layout.harness_dir)
    start = time.perf_counter()
    chosen = sample(sites(project, files), mutants, 0, compiles(project))
    drawn = time.perf_counter() - start
    start = time.perf_counter()
    strength = measure_strength(
        layout, files, args, mutants=chosen, sandbox=PytestSandbox(), exclude=failing
    )
    elapsed = time.perf_counter() - start
    if strength.problem:
        raise SystemExit(f"{project}: {strength.problem}")
    counts: dict[str, int] = {}
    for verdict in strength.verdicts.values():
        counts[verdict.outcome] = counts.get(verdict.outcome, 0) + 1
    return drawn, elapsed, len(strength.mutants), counts


def per_mutant(project: Path, count: int) -> tuple[float, float, bool]:
    """Seconds per mutant, forked and fresh, on the same mutants (the whole suite's tests that
    reach them are not known here: each runs against one test module, as most mutants do)."""
    layout = Layout.of(project)
    files = source_files(project, (), layout.harness_dir)
    chosen = sample(sites(project, files), count, 1, compiles(project))
    covering: dict[str, list[str] | None] = {m.id: ["tests/test_cache.py"] for m in chosen}
    seconds, outcomes = [], []
    for fork in (True, False):
        start = time.perf_counter()
        verdicts = run_mutants(
            layout, chosen, covering, CACHETOOLS_ARGS, sandbox=PytestSandbox(), fork=fork
        )
        seconds.append((time.perf_counter() - start) / len(chosen))
        outcomes.append({i: v.outcome for i, v in verdicts.items()})
    return seconds[0], seconds[1], outcomes[0] == outcomes[1]


def fetch_cachetools(cache: Path) -> Path:
    """The cachetools sdist, downloaded once into ``cache`` and extracted afresh each run."""
    cache.mkdir(parents=True, exist_ok=True)
    archives = sorted(cache.glob("cachetools-8.0.2.tar.gz"))
    if not archives:
        download = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary"]
        download += [":all:", CACHETOOLS, "-d", str(cache), "-q"]
        subprocess.run(download, check=True)
        archives = sorted(cache.glob("cachetools-8.0.2.tar.gz"))
    target = Path(tempfile.mkdtemp(prefix="bench-cachetools-"))
    with tarfile.open(archives[0]) as archive:
        archive.extractall(target, filter="data")
    return target / "cachetools-8.0.2"


def copy_example() -> Path:
    target = Path(tempfile.mkdtemp(prefix="bench-example-")) / "project"
    shutil.copytree(EXAMPLE, target, symlinks=False)
    return target


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--mutants", type=int, default=200)
    options.add_argument("--per-mutant", type=int, default=40)
    default_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    options.add_argument("--cache", type=Path, default=default_cache / "agent-harness-bench")
    args = options.parse_args()
    rows: list[Row] = []

    example = copy_example()
    plain = plain_suite(example, EXAMPLE_ARGS)
    drawn, seconds, judged, counts = gate(example, EXAMPLE_ARGS, args.mutants, EXAMPLE_FAILING)
    print(
        f"example: plain suite {plain:.2f} s; sample drawn in {drawn:.1f} s; "
        f"gate {seconds:.1f} s, {judged} mutants {counts}"
    )
    rows.append(
        Row(
            "gate on examples/pytest-refactor",
            f"+{seconds:.1f} s ({judged} mutants; the plain suite {plain:.2f} s)",
            "< +20 s",
            seconds < 20,
        )
    )

    project = fetch_cachetools(args.cache)
    try:
        plain = plain_suite(project, CACHETOOLS_ARGS)
        drawn, seconds, judged, counts = gate(project, CACHETOOLS_ARGS, args.mutants)
        print(
            f"cachetools: plain {plain:.2f} s; sample drawn in {drawn:.1f} s; "
            f"gate {seconds:.1f} s, {judged} mutants {counts}"
        )
        rows.append(
            Row(
                f"cachetools 8.0.2, {judged}-mutant gate",
                f"{seconds:.1f} s (the plain suite {plain:.2f} s; drawing the sample, once "
                f"with the baseline: {drawn:.1f} s)",
                "< 45 s" if args.mutants >= 200 else "(a smaller sample: no target)",
                seconds < 45 or args.mutants < 200,
            )
        )
        forked, fresh, agree = per_mutant(project, args.per_mutant)
        rows.append(
            Row(
                "a mutant run: forked worker against a fresh pytest process",
                f"{forked * 1000:.0f} against {fresh * 1000:.0f} ms a mutant "
                f"({fresh / forked:.1f}x); verdicts {'identical' if agree else 'DIFFER'}",
                "faster, same verdicts",
                forked < fresh and agree,
            )
        )
    finally:
        shutil.rmtree(project.parent, ignore_errors=True)
        shutil.rmtree(example.parent, ignore_errors=True)
    return report(rows, args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
