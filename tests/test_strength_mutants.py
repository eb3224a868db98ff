"""Mutants and controls as text: what is applied must be exactly cosmic-ray's mutation, and a
control must be a change that cannot alter behaviour, placed where a suite cannot predict."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pytest_agent_harness.strength.controls import control_source
from pytest_agent_harness.strength.mutants import (
    _operators,
    _quiet_import,
    compiles,
    mutated_source,
    sample,
    sites,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pytest-refactor"
SOURCE = '''\
"""A module docstring."""

from __future__ import annotations

import functools

LIMIT = 3


class Box:
    """A class docstring."""

    size = 2

    @functools.cache
    def scaled(self, factor: int = 2, /, *rest: int) -> int:
        """A method docstring."""
        total = self.size * factor
        for value in rest:
            total += value if value > LIMIT else -value
        return total


def pick(items: list[int]) -> int | None:
    return next((i for i in items if not i % 2), None)
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "box.py").write_text(SOURCE)
    return tmp_path


def test_every_site_is_mutated_exactly_as_cosmic_ray_mutates_it(project: Path) -> None:
    _quiet_import()
    from cosmic_ray.mutating import mutate_code

    cases = [(project, "box.py"), (EXAMPLE, "textstats/__init__.py")]
    checked = 0
    for root, file in cases:
        source = (root / file).read_text()
        for mutant in sites(root, [file]):
            expected = mutate_code(source, _operators()[mutant.operator](), mutant.occurrence)
            assert mutated_source(source, mutant) == expected, mutant.id
            checked += 1
    assert checked > 60


def test_mutants_that_do_not_compile_are_never_sampled(project: Path) -> None:
    everything = sites(project, ["box.py"])
    # The "/" marking positional-only parameters is taken for a division by some operators.
    broken = [m for m in everything if not compiles(project)(m)]
    assert broken and all(m.line == 16 for m in broken)
    chosen = sample(everything, len(everything), 0, compiles(project))
    assert not set(chosen) & set(broken)
    assert len(chosen) == len(everything) - len(broken)


@pytest.mark.parametrize("kind", [0, 1])
def test_a_control_lands_on_a_random_statement_and_changes_no_behaviour(kind: int) -> None:
    tree = ast.dump(ast.parse(SOURCE))
    lines = SOURCE.splitlines()
    seen = set()
    for _ in range(60):
        changed = control_source(SOURCE, kind)
        assert changed is not None
        compile(changed, "box.py", "exec")
        new = changed.splitlines()
        where = next(i for i, (a, b) in enumerate(zip(lines, new, strict=False)) if a != b)
        seen.add(where)
        added = new[where].strip()
        assert added.startswith("# ") if kind == 0 else added.endswith(" = None")
        # Never before a docstring or the __future__ import, never in a class body.
        assert where > lines.index("from __future__ import annotations")
        assert "docstring" not in lines[where]
        assert lines[where].strip() not in ("size = 2", "@functools.cache")
        if kind == 0:
            assert ast.dump(ast.parse(changed)) == tree
    assert len(seen) >= 5  # placed afresh each time
