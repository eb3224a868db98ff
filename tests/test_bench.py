"""The benchmarks stay runnable: each one parses its options, and run_all knows every one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))

pytestmark = pytest.mark.skipif(not BENCH.is_dir(), reason="bench/ is not in this tree")


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_benchmark_starts(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_run_all_runs_every_benchmark() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from run_all import BENCHMARKS
    finally:
        sys.path.remove(str(BENCH))
    assert sorted({script for script, _, _ in BENCHMARKS}) == [
        s for s in SCRIPTS if s != "run_all.py"
    ]
