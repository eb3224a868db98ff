"""The strength gate through the real CLI on ``examples/pytest-refactor``: an honest migration
that renames and merges tests completes; a weakened assertion never does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_examples_e2e import HAVE_SANDBOX, copy_example

from pytest_agent_harness.cli import main
from pytest_agent_harness.testing import Turn, text, tool_use

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MIGRATED = """\
import pytest

from textstats import average_word_length, top_words, word_count, words

TEXT = "The cat and the hat."


def test_words_are_lower_case():
    assert words(TEXT) == ["the", "cat", "and", "the", "hat"]


def test_apostrophes_are_kept():
    assert words("Don't stop") == ["don't", "stop"]


@pytest.mark.parametrize(("text", "count"), [(TEXT, 5), ("", 0)])
def test_word_count(text, count):
    assert word_count(text) == count


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [("b a b c b a", 2, [("b", 3), ("a", 2)]), ("z y x", 3, [("x", 1), ("y", 1), ("z", 1)])],
)
def test_top_words(text, n, expected):
    assert top_words(text, n) == expected


def test_average_word_length():
    assert average_word_length("ab abcd") == pytest.approx(3.0)


def test_average_of_nothing_raises():
    with pytest.raises(ValueError):
        average_word_length("...")
"""
WEAKENED = MIGRATED.replace(
    "    assert top_words(text, n) == expected", "    assert len(top_words(text, n)) == n"
)


def run_migration(content: str, tmp_path: Path, scripted_model, use_model) -> tuple[int, Path]:  # type: ignore[no-untyped-def]
    project = copy_example("pytest-refactor", tmp_path, HAVE_SANDBOX)
    config = project / ".agent-harness" / "config.toml"
    config.write_text(config.read_text() + "\n[strength]\nenabled = true\n")
    target = project / "tests" / "test_textstats.py"
    use_model(
        scripted_model(
            [
                Turn(tool_use("Write", {"file_path": str(target), "content": content})),
                Turn(text("Migrated to pytest.")),
            ]
        )
    )
    return main(["run", "--project-dir", str(project), "--max-iterations", "1"]), project


def test_an_honest_migration_that_renames_and_merges_tests_completes(
    tmp_path: Path, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    code, project = run_migration(MIGRATED, tmp_path, scripted_model, use_model)
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    assert "COMPLETE: complete" in out
    assert main(["status", "--strength", "--project-dir", str(project)]) == 0
    table = capsys.readouterr().out
    assert "Strength gate: passes (baseline -> now)" in table
    row = next(line for line in table.splitlines() if line.startswith("textstats/__init__.py"))
    assert "100% -> 100%" in row, table


def test_a_weakened_assertion_never_completes_and_the_mutant_is_named(
    tmp_path: Path, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    code, project = run_migration(WEAKENED, tmp_path, scripted_model, use_model)
    out = capsys.readouterr().out
    assert code == 1
    assert "COMPLETE" not in out
    assert "strength gate: mutant survives: textstats/__init__.py line 23" in out, out[-3000:]
    assert main(["status", "--check", "--project-dir", str(project)]) == 1
    capsys.readouterr()
    main(["status", "--strength", "--json", "--project-dir", str(project)])
    gate = json.loads(capsys.readouterr().out)["strength"]
    assert gate["passed"] is False
    killed = gate["files"]["textstats/__init__.py"]["killed"]
    assert killed[1] < killed[0], gate
