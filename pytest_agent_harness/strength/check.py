"""The gate as a tracker uses it: the code under test found from ``[strength]``, the baseline
strength measured once, and each later suite judged against it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..layout import Layout
from .gate import GateResult, Strength, compare, measure_strength, summary

if TYPE_CHECKING:
    from ..config.strength import StrengthConfig
    from ..trackers.evidence import PytestSandbox

SKIPPED_DIRS = frozenset({"tests", "test", "testing", "docs", "examples", "build", "dist"})


def source_files(project: Path, source: Sequence[str], harness_dir: Path) -> list[str]:
    """The Python files under test: ``source`` (files or folders), or else the project's
    packages (folders with ``__init__.py``, in the project or ``src/``) that are not tests."""
    roots = [project / s for s in source] if source else _packages(project)
    found: set[str] = set()
    for root in roots:
        paths = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in paths:
            relative = path.relative_to(project)
            parts = set(relative.parts[:-1])
            name = relative.name
            if harness_dir in path.parents or parts & {".git", ".venv", "__pycache__"}:
                continue
            if not source and (parts & SKIPPED_DIRS or name.startswith("test_")):
                continue
            if name != "conftest.py" and not name.endswith("_test.py"):
                found.add(relative.as_posix())
    return sorted(found)


def _packages(project: Path) -> list[Path]:
    found = []
    for base in (project, project / "src"):
        if base.is_dir():
            found += [
                p
                for p in sorted(base.iterdir())
                if p.is_dir() and (p / "__init__.py").is_file() and p.name not in SKIPPED_DIRS
            ]
    if not found:  # a flat project: its top-level modules
        found = [
            p for p in sorted(project.glob("*.py")) if p.name not in ("setup.py", "noxfile.py")
        ]
    return found


@dataclass(frozen=True)
class StrengthGate:
    layout: Layout
    settings: StrengthConfig
    pytest_args: tuple[str, ...]
    sandbox: Callable[[], PytestSandbox | None]

    @property
    def when(self) -> str:
        return self.settings.when

    def files(self) -> list[str]:
        return source_files(self.layout.project_dir, self.settings.source, self.layout.harness_dir)

    def measure(
        self, stored: dict[str, Any] | None = None, failing: Sequence[str] = ()
    ) -> Strength:
        """The suite's strength now: against the stored baseline's mutants when given;
        ``failing`` tests (failing without a mutant) never count as catching one."""
        before = Strength.from_json(stored) if stored else None
        settings = self.settings
        mutants = before.mutants if before else None
        if not settings.mutation:
            mutants = []
        return measure_strength(
            self.layout,
            self.files() if before is None else sorted(before.digests),
            self.pytest_args,
            mutants=mutants,
            size=settings.mutants,
            seed=settings.seed,
            sandbox=self.sandbox(),
            max_seconds=settings.max_seconds,
            exclude=failing,
        )

    def summary(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The gate run now, as the before/after table every surface shows."""
        return summary(*self.judge(stored))

    def judge(self, stored: dict[str, Any]) -> tuple[Strength, Strength, GateResult]:
        """The baseline's strength, the suite's now, and the gate's verdict."""
        before = Strength.from_json(stored)
        if not self.settings.coverage:
            before.coverage = {}
        after = self.measure(stored)
        result = compare(
            before,
            after,
            self.layout,
            tolerance=self.settings.tolerance,
            source_frozen=self.settings.source_frozen,
        )
        return before, after, result
