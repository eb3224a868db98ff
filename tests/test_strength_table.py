"""The strength gate's summary as every surface shows it: status, the end of a run, the
GitHub step summary and status --json."""

from __future__ import annotations

from typing import Any

from pytest_agent_harness.run.report import LedgerTotals, as_json, markdown
from pytest_agent_harness.strength.table import markdown as gate_markdown
from pytest_agent_harness.strength.table import render
from pytest_agent_harness.trackers.base import Item, Progress

OLD = "tests/test_textstats.py::TestTopWords::test_most_common_first"
SUMMARY: dict[str, Any] = {
    "passed": False,
    "inconclusive": False,
    "files": {
        "textstats/__init__.py": {
            "lines": [100.0, 95.5],
            "branches": [100.0, None],
            "mutants": 23,
            "killed": [19, 18],
        }
    },
    "problems": ["mutant survives: textstats/__init__.py line 23: `a` -> `b`"],
    "notes": ["textstats/__init__.py:30:X#0 is now caught by tests/t.py::t"],
    "renamed": {
        OLD: ["tests/test_textstats.py::test_top_words[b a b c b a-2-expected0]"],
        "tests/test_textstats.py::test_word_count": ["tests/test_textstats.py::test_word_count"],
    },
}
LEDGER = LedgerTotals(sessions=1, cost_usd=0.5, tokens=10, turns=2)


def test_the_text_table_has_a_row_per_file_the_verdict_problems_and_renames() -> None:
    text = render(SUMMARY)
    assert "textstats/__init__.py  100% -> 95.5%  100% -> -  19 -> 18 of 23" in text
    assert "Strength gate: fails (baseline -> now)" in text
    assert "  mutant survives: textstats/__init__.py line 23" in text
    assert "  note: textstats/__init__.py:30:X#0 is now caught" in text
    assert f"  renamed: {OLD} -> tests/test_textstats.py::test_top_words[" in text
    assert "renamed: tests/test_textstats.py::test_word_count" not in text  # kept, not renamed


def test_without_a_measurement_the_reason_is_shown() -> None:
    assert render({"problem": "off"}) == "Strength gate: off"
    assert gate_markdown({"problem": "off"}) == "**Strength gate**: off\n"


def test_the_step_summary_and_json_carry_the_gate_when_it_ran() -> None:
    items = (Item(id="t", status="passed"),)
    progress = Progress(items=items, warnings=("strength gate: x",), strength=SUMMARY)
    text = markdown(progress, LEDGER)
    assert "### Strength gate: fails (baseline -> now)" in text
    assert "| `textstats/__init__.py` | 100% -> 95.5% | 100% -> - | 19 -> 18 of 23 |" in text
    assert f"| `{OLD}` | `tests/test_textstats.py::test_top_words[" in text
    assert as_json(progress, LEDGER)["strength"] == SUMMARY
    plain = Progress(items=items)
    assert "Strength gate" not in markdown(plain, LEDGER)
    assert "strength" not in as_json(plain, LEDGER)
