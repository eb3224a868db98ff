"""What having the package installed costs a pytest run, and how fast `agent-harness --help` is.

Side by side in one run, each a median of N interleaved runs of
``python -m pytest -q -p no:cacheprovider``:

- A 50-test suite in this venv with the harness's plugin and with ``-p no:agent_harness``
  (informational: on a shared machine whole runs spread by more than the plugin costs).
- A one-test project in a bare venv holding only this venv's pytest version (built once with
  ``python -m venv`` and pip into ``--cache``; if pip cannot install it, the rows say so), in
  this venv as installed, and in this venv with ``-p no:anyio``. Installing the package brings
  claude-agent-sdk, whose dependency anyio registers a pytest plugin that every pytest run
  loads: the default is its known cost, and ``-p no:anyio`` (``addopts = -p no:anyio``, or
  ``PYTEST_ADDOPTS="-p no:anyio"``) is the documented opt-out. What the opt-out leaves is
  pytest reading the entry points of every installed distribution, which grows with the venv,
  not with this package; the part the package controls, its own plugin's import, is held
  under 5 % of the bare run. This venv also has plugins only because of this project's own test
  extras (hypothesis); a user's venv would not, so these runs block every ``pytest11`` plugin
  here other than agent_harness and anyio.
- The harness's own plugin is too small to see against the spread of whole runs, so its import
  is also timed inside fresh processes.

Every run reads bytecode compiled after a warm-up into a fresh ``PYTHONPYCACHEPREFIX``, as an
installed package has, whatever this checkout's ``__pycache__`` holds.

    python bench/plugin_cost.py [--runs N] [--cache DIR]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import distributions, entry_points, version
from pathlib import Path

from _common import Row, parser, report

TARGET = 0.05
HELP_TARGET_MS = 200.0
DEFAULT_TARGET = "known cost; opt-out documented (-p no:anyio)"
OURS = {"agent_harness", "anyio"}  # what installing the package brings to a user's venv
# PYTHONDONTWRITEBYTECODE too: bytecode goes to main()'s PYTHONPYCACHEPREFIX
UNSET = (
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "PYTHONDONTWRITEBYTECODE",
)
ENV = {name: value for name, value in os.environ.items() if name not in UNSET}


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def bare_venv(cache: Path, pytest_version: str) -> tuple[Path | None, str]:
    """A venv with only ``pytest==pytest_version``, built once under ``cache``; or None and why."""
    base = getattr(sys, "_base_executable", sys.executable)
    name = f"bare-py{sys.version_info[0]}{sys.version_info[1]}-pytest-{pytest_version}"
    venv = cache / name
    python, done_marker = venv / "bin" / "python", venv / "built"
    if done_marker.exists():
        return python, ""
    shutil.rmtree(venv, ignore_errors=True)  # a build cut off before it finished
    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
        install = [str(python), "-m", "pip", "install", "-q", f"pytest=={pytest_version}"]
        done = subprocess.run(install, capture_output=True, text=True)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            raise OSError(f"pip could not install pytest=={pytest_version}: {lines[-1]}")
    except (OSError, subprocess.CalledProcessError) as error:
        shutil.rmtree(venv, ignore_errors=True)
        return None, str(error)
    done_marker.write_text(f"{base}\n")
    return python, ""


def medians(commands: list[list[str]], cwd: Path, runs: int) -> list[float]:
    """Each command's median seconds over ``runs`` interleaved rounds, after one warm-up each."""
    for command in commands:
        timed(command, cwd)
    seconds: list[list[float]] = [[] for _ in commands]
    for round_ in range(runs):
        for offset in range(len(commands)):  # rotate who goes first
            index = (round_ + offset) % len(commands)
            seconds[index].append(timed(commands[index], cwd))
    return [statistics.median(times) for times in seconds]


def plugin_import_ms(runs: int) -> float:
    """Median milliseconds to import the harness's plugin in a fresh process, pytest imported."""
    code = (
        "import time, pytest; start = time.perf_counter(); "
        "import pytest_agent_harness.pytest_plugin; print(time.perf_counter() - start)"
    )
    argv = [sys.executable, "-c", code]
    times = []
    for _ in range(runs + 1):  # the first one compiles
        done = subprocess.run(argv, check=True, capture_output=True, text=True, env=ENV)
        times.append(float(done.stdout))
    return statistics.median(times[1:]) * 1000


def installed_rows(project: Path, runs: int, cache: Path) -> list[Row]:
    """The one-test project in a bare venv, in this venv, and in this venv with -p no:anyio."""
    what = "package installed, one-test pytest run"
    pytest_version = version("pytest")
    bare, reason = bare_venv(cache, pytest_version)
    if bare is None:
        print(f"bare venv: not measured: {reason}")
        missing = f"not measured: {reason}"
        return [Row(f"{what}, against a bare venv", missing, DEFAULT_TARGET, False)]
    (project / "test_one.py").write_text("def test_one():\n    assert 1\n")
    extras = sorted({e.name for e in entry_points(group="pytest11")} - OURS)
    blocked = [arg for name in extras for arg in ("-p", f"no:{name}")]
    argv = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
    a, b, c = medians(
        [
            [str(bare), *argv],
            [sys.executable, *argv, *blocked],
            [sys.executable, *argv, *blocked, "-p", "no:anyio"],
        ],
        project,
        runs,
    )
    own = plugin_import_ms(runs)
    print(f"pytest run, one test, median of {runs} interleaved runs (pytest {pytest_version}):")
    print(f"  bare venv {a * 1000:.1f} ms   package installed {b * 1000:.1f} ms ({b / a:.2f}x)")
    print(f"  package installed, -p no:anyio {c * 1000:.1f} ms ({c / a:.2f}x)")
    print(f"  importing the harness's plugin, timed inside the process: {own:.1f} ms")
    print(f"  blocked in this venv as not the package's: {', '.join(extras) or 'none'}")
    overhead, share = c / a - 1, own / (a * 1000)
    installed = len(list(distributions()))
    return [
        Row(
            f"{what}, default (anyio's plugin loads)",
            f"{(b - a) * 1000:+.0f} ms, {b / a:.2f}x ({b * 1000:.0f} against {a * 1000:.0f} ms)",
            DEFAULT_TARGET,
            True,
        ),
        Row(
            f"{what}, with -p no:anyio",
            f"{overhead * 100:+.1f} % ({c * 1000:.0f} against {a * 1000:.0f} ms bare; pytest "
            f"reads the entry points of this venv's {installed} distributions)",
            "informational",
            True,
        ),
        Row(
            "the harness's own pytest plugin, imported",
            f"{own:.1f} ms, {share * 100:.1f} % of the bare one-test run",
            f"< {TARGET * 100:.0f} %",
            share < TARGET,
        ),
    ]


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--runs", type=int, default=21)
    default_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    options.add_argument("--cache", type=Path, default=default_cache / "agent-harness-bench")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ENV["PYTHONPYCACHEPREFIX"] = tmp
        project = Path(tmp) / "many"
        project.mkdir()
        tests = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(50))
        (project / "test_many.py").write_text(tests)
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        a, b = medians([pytest, [*pytest, "-p", "no:agent_harness"]], project, args.runs)
        (help_ms,) = medians([[sys.executable, "-m", "pytest_agent_harness", "--help"]], project, 5)
        overhead = a / b - 1
        print(f"pytest run, 50 tests, median of {args.runs} interleaved runs:")
        print(f"  with the plugin {a * 1000:7.1f} ms   without {b * 1000:7.1f} ms")
        (Path(tmp) / "one").mkdir()
        installed = installed_rows(Path(tmp) / "one", args.runs, args.cache)
    help_ms *= 1000
    rows = [
        Row(  # whole runs spread by more than the plugin costs: its import row is the verdict
            what="installed plugin, plain 50-test pytest run",
            measured=f"{overhead * 100:+.1f} %",
            target="informational",
            holds=True,
        ),
        *installed,
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
