"""A suite's strength, and the gate: still catching every mutant the baseline suite caught,
covering every file at least as well, with the code under test unchanged (``source_frozen``).

``measure_strength`` measures coverage per test, then runs each sampled mutant against the
tests that reach its line (the whole suite for lines run only at import). ``compare`` judges a
suite against the baseline's strength: it never passes when a mutant could not be judged.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..layout import Layout
from ..trackers.evidence import PytestSandbox
from .controls import CONTROL, KINDS
from .measure import FileCoverage, Measurement, measure
from .mutants import Mutant, compiles, controls, definitions, describe, sample, sites
from .runner import CAUGHT, Verdict, run_mutants


@dataclass
class Strength:
    coverage: dict[str, FileCoverage] = field(default_factory=dict)
    mutants: list[Mutant] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    """Each source file's SHA-256 when measured."""
    problem: str = ""

    def caught(self) -> set[str]:
        return {i for i, v in self.verdicts.items() if v.outcome in CAUGHT}

    def as_json(self) -> dict[str, Any]:
        return {
            "coverage": {f: c.as_json() for f, c in self.coverage.items()},
            "mutants": [m.as_json() for m in self.mutants],
            "verdicts": {
                i: {"outcome": v.outcome, "tests": list(v.tests), "detail": v.detail}
                for i, v in self.verdicts.items()
            },
            "digests": self.digests,
            "problem": self.problem,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Strength:
        return cls(
            coverage={f: FileCoverage.from_json(c) for f, c in data["coverage"].items()},
            mutants=[Mutant.from_json(m) for m in data["mutants"]],
            verdicts={
                i: Verdict(v["outcome"], tuple(v.get("tests", ())), str(v.get("detail", "")))
                for i, v in data["verdicts"].items()
            },
            digests={str(f): str(d) for f, d in data.get("digests", {}).items()},
            problem=str(data.get("problem") or ""),
        )


def measure_strength(
    layout: Layout,
    files: Sequence[str],
    pytest_args: Sequence[str],
    *,
    mutants: Sequence[Mutant] | None = None,
    size: int = 200,
    seed: int = 0,
    sandbox: PytestSandbox | None = None,
    max_seconds: float = 600.0,
    workers: int = 0,
    exclude: Sequence[str] = (),
) -> Strength:
    """The suite's strength against ``mutants`` (default: a new sample of ``size``).

    ``exclude``: tests that do not pass without any mutant; they are left out of mutant runs,
    so that a test failing anyway is never taken for one that catches a mutant."""
    start = time.monotonic()
    project = layout.project_dir
    strength = Strength(digests={f: _digest(project / f) for f in files})
    measured = measure(
        layout, files, pytest_args, sandbox=sandbox, timeout=max_seconds, shards=workers
    )
    if measured.problem:
        strength.problem = measured.problem
        return strength
    strength.coverage = measured.files
    strength.mutants = (
        list(mutants)
        if mutants is not None
        else sample(sites(project, files), size, seed, compiles(project))
    )
    excluded = set(exclude)
    whole = [*pytest_args, *(f"--deselect={t}" for t in sorted(excluded))]
    covering, likely = _covering(project, strength.mutants, measured, excluded)
    checks = controls(files, seed) if strength.mutants else []
    if len(checks) > 1:  # the second runs where a mutant would: against one line's tests
        reached = [tests for tests in covering.values() if tests]
        covering[checks[1].id] = random.Random(seed).choice(reached) if reached else None
    strength.verdicts = run_mutants(
        layout,
        strength.mutants,
        covering,
        whole,
        likely=likely,
        calibrate=checks,
        durations=measured.durations,
        sandbox=sandbox,
        workers=workers,
        deadline=start + max_seconds,
        timeout=max(5.0, 2 * measured.seconds),  # that run was slowed by coverage
    )
    return strength


def _covering(
    project: Path, mutants: Sequence[Mutant], measured: Measurement, excluded: set[str]
) -> tuple[dict[str, list[str] | None], dict[str, list[str]]]:
    """The tests that decide each mutant: those that run its line. A line no test runs (run
    only at import, or never) inside a function (a decorator, a default, an unreached line) is
    decided by the tests that run the function. Elsewhere (a class body, module code) the
    whole suite decides (None), after trying first the tests that run the class, or any line
    of the file (``likely``)."""
    covering: dict[str, list[str] | None] = {}
    likely: dict[str, list[str]] = {}
    spans: dict[str, list[tuple[int, int, bool]]] = {}
    for mutant in mutants:
        by_line = measured.tests_by_line.get(mutant.file, {})
        tests = [t for t in by_line.get(mutant.line, ()) if t not in excluded]
        covering[mutant.id] = tests or None
        if tests:
            continue
        if mutant.file not in spans:
            spans[mutant.file] = definitions((project / mutant.file).read_text("utf-8"))
        around = [s for s in spans[mutant.file] if s[0] <= mutant.line <= s[1]]
        for first, last, function in [*around, (1, max(by_line, default=0), False)]:
            found = {t for n in range(first, last + 1) for t in by_line.get(n, ())} - excluded
            if function:
                covering[mutant.id] = sorted(found) or None
                break
            if found:
                likely[mutant.id] = sorted(found)
                break
    return covering, likely


def _digest(path: Any) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


@dataclass
class GateResult:
    passed: bool
    problems: list[str] = field(default_factory=list)
    """What blocks completion, one line each, for the agent and the person."""
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, list[str]] = field(default_factory=dict)
    """A baseline test to the tests that now kill the mutants it killed."""
    inconclusive: bool = False


def compare(
    before: Strength,
    after: Strength,
    layout: Layout,
    *,
    tolerance: float = 0.0,
    source_frozen: bool = True,
) -> GateResult:
    result = GateResult(passed=False)
    if before.problem or after.problem:
        result.inconclusive = True
        result.problems.append(f"strength not measured: {after.problem or before.problem}")
        return result
    if source_frozen:
        for file, digest in sorted(before.digests.items()):
            if after.digests.get(file) != digest:
                result.problems.append(f"{file}: the code under test changed (source_frozen)")
    for file, old in sorted(before.coverage.items()):
        new = after.coverage.get(file, FileCoverage(0.0, 0.0))
        lost = sorted(set(new.missing) - set(old.missing))
        if new.lines + tolerance < old.lines or new.branches + tolerance < old.branches:
            lines = f"; lines no longer run: {_ranges(lost)}" if lost else ""
            result.problems.append(
                f"{file}: coverage fell from {old.lines:g}% lines, {old.branches:g}% branches "
                f"to {new.lines:g}%, {new.branches:g}%{lines}"
            )
    _mutants(before, after, layout, result)
    result.passed = not result.problems and not result.inconclusive
    return result


def _controls(after: Strength, result: GateResult) -> None:
    """A suite failing on a change that cannot alter behaviour has only told the harness that
    it was watching: then no kill of this measurement counts."""
    caught: dict[str, tuple[list[str], list[str]]] = {}
    for mutant_id, verdict in sorted(after.verdicts.items()):
        file, _, rest = mutant_id.rpartition(":")
        operator, _, kind = rest.partition("#")
        if operator != CONTROL or verdict.outcome not in CAUGHT:
            continue
        what = KINDS[int(kind)] if kind.isdigit() and int(kind) < len(KINDS) else "a control"
        kinds, tests = caught.setdefault(file.rsplit(":", 1)[0], ([], []))
        kinds.append(what)
        tests += [t for t in verdict.tests if t not in tests]
    for file, (kinds, tests) in caught.items():
        result.problems.append(
            f"{file}: {', '.join(tests[:5]) or 'the suite'} failed when {' and '.join(kinds)} "
            "was added, a change that cannot alter behaviour: the suite notices that the "
            "source changed (it detects mutant runs) instead of testing what it does"
        )


def _mutants(before: Strength, after: Strength, layout: Layout, result: GateResult) -> None:
    _controls(after, result)
    sources: dict[str, str] = {}
    for mutant in before.mutants:
        old = before.verdicts.get(mutant.id)
        new = after.verdicts.get(mutant.id)
        if old is None or old.outcome not in CAUGHT:
            if new is not None and new.outcome in CAUGHT and old is not None:
                by = ", ".join(new.tests) or "the suite"
                result.notes.append(
                    f"{mutant.id} is now caught by {by}, the baseline suite missed it: a "
                    "stronger test, or one that fails whatever changes (then suspect)"
                )
            continue
        if new is None or new.outcome in ("error", "not run"):
            result.inconclusive = True
            detail = new.detail if new is not None else "not run"
            result.problems.append(f"{mutant.id} could not be judged: {detail}")
            continue
        for test in old.tests:
            result.mapping.setdefault(test, [])
            result.mapping[test] = sorted(set(result.mapping[test]) | set(new.tests))
        if new.outcome not in CAUGHT:
            if mutant.file not in sources:
                sources[mutant.file] = (layout.project_dir / mutant.file).read_text("utf-8")
            what = describe(sources[mutant.file], mutant)
            killers = ", ".join(old.tests) or "the baseline suite"
            result.problems.append(
                f"mutant survives: {mutant.file} {what}; it was killed by {killers}"
            )


def _ranges(lines: Sequence[int]) -> str:
    spans: list[str] = []
    for line in lines:
        if spans and spans[-1].split("-")[-1] == str(line - 1):
            spans[-1] = f"{spans[-1].split('-')[0]}-{line}"
        else:
            spans.append(str(line))
    return ", ".join(spans)


def summary(before: Strength, after: Strength, result: GateResult) -> dict[str, Any]:
    """Before and after, per source file, for ``status --strength`` (text and JSON)."""
    files: dict[str, dict[str, Any]] = {}
    for file in sorted(set(before.coverage) | set(after.coverage) | set(before.digests)):
        old, new = before.coverage.get(file), after.coverage.get(file)
        mutants = [m.id for m in before.mutants if m.file == file]
        files[file] = {
            "lines": [old.lines if old else None, new.lines if new else None],
            "branches": [old.branches if old else None, new.branches if new else None],
            "mutants": len(mutants),
            "killed": [
                sum(1 for i in mutants if i in before.caught()),
                sum(1 for i in mutants if i in after.caught()),
            ],
        }
    return {
        "passed": result.passed,
        "inconclusive": result.inconclusive,
        "files": files,
        "problems": result.problems,
        "notes": result.notes,
        "renamed": result.mapping,
    }
