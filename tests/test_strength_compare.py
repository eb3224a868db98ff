"""The gate's verdict from two measurements: it never passes on what it could not judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agent_harness.layout import Layout
from pytest_agent_harness.strength.gate import Strength, compare
from pytest_agent_harness.strength.measure import FileCoverage
from pytest_agent_harness.strength.mutants import Mutant
from pytest_agent_harness.strength.runner import Verdict

MUTANT = Mutant("calc.py", 2, "ReplaceBinaryOperator_Add_Sub", 0)
OLD_TEST = "tests/test_calc.py::TestCalc::test_add"


def strength(outcome: str, tests: tuple[str, ...] = (), detail: str = "") -> Strength:
    return Strength(
        coverage={"calc.py": FileCoverage(100.0, 100.0)},
        mutants=[MUTANT],
        verdicts={MUTANT.id: Verdict(outcome, tests, detail)},  # type: ignore[arg-type]
        digests={"calc.py": "abc"},
    )


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    return Layout.of(tmp_path)


@pytest.mark.parametrize(
    ("outcome", "detail"),
    [
        ("not run", "the gate's max_seconds ran out"),
        ("error", "pytest exited 3: INTERNALERROR"),
    ],
)
def test_a_mutant_not_judged_makes_the_gate_inconclusive_never_a_pass(
    layout: Layout, outcome: str, detail: str
) -> None:
    result = compare(strength("killed", (OLD_TEST,)), strength(outcome, detail=detail), layout)
    assert not result.passed and result.inconclusive
    assert result.problems == [f"{MUTANT.id} could not be judged: {detail}"]


def test_a_measurement_that_failed_is_inconclusive(layout: Layout) -> None:
    after = Strength(problem="the suite exited None: timed out")
    result = compare(strength("killed", (OLD_TEST,)), after, layout)
    assert not result.passed and result.inconclusive
    assert "strength not measured: the suite exited None" in result.problems[0]


def test_a_hang_counts_as_caught_and_maps_the_old_test(layout: Layout) -> None:
    after = strength("timeout", ("tests/test_calc.py::test_add",))
    result = compare(strength("killed", (OLD_TEST,)), after, layout)
    assert result.passed, result.problems
    assert result.mapping == {OLD_TEST: ["tests/test_calc.py::test_add"]}


def test_a_survivor_is_named_with_the_change_and_the_tests_that_killed_it(
    layout: Layout,
) -> None:
    result = compare(strength("killed", (OLD_TEST,)), strength("survived"), layout)
    assert not result.passed and not result.inconclusive
    assert result.problems == [
        f"mutant survives: calc.py line 2: `return a + b` -> `return a - b`; "
        f"it was killed by {OLD_TEST}"
    ]


def test_coverage_within_the_tolerance_passes(layout: Layout) -> None:
    before, after = strength("killed", (OLD_TEST,)), strength("killed", (OLD_TEST,))
    after.coverage["calc.py"] = FileCoverage(99.0, 100.0, (7,))
    assert not compare(before, after, layout).passed
    assert compare(before, after, layout, tolerance=1.0).passed
