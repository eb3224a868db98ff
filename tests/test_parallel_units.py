"""Work units: stable keys, groups, reproducible shards; the unit-keyed scripted model."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_agent_harness.parallel.units import Unit, of_unit, parse_shard, partition, shard
from pytest_agent_harness.testing import Request, Turn, text
from pytest_agent_harness.testing.units import UnitScript
from pytest_agent_harness.trackers.base import Item, Progress


def items(*ids: str) -> list[Item]:
    return [Item(id=i, status="failed") for i in ids]


def test_a_unit_is_a_test_file_a_classname_or_a_checklist_item() -> None:
    units = partition(
        items(
            "tests/test_b.py::test_one", "tests/test_a.py::TestX::test_two",
            "tests/test_b.py::test_three[1]", "com.acme.ParserTest::parses", "#3",
        )
    )  # fmt: skip
    assert [u.key for u in units] == [
        "#3", "com.acme.ParserTest", "tests/test_a.py", "tests/test_b.py",
    ]  # fmt: skip
    assert units[3].items == ("tests/test_b.py::test_one", "tests/test_b.py::test_three[1]")
    assert units[2].paths == ("tests/test_a.py",)


def test_together_patterns_make_one_unit() -> None:
    units = partition(
        items("tests/legacy/test_a.py::t", "tests/legacy/test_b.py::t", "tests/test_c.py::t"),
        together=["tests/legacy/*"],
    )
    assert [u.key for u in units] == ["tests/legacy/*", "tests/test_c.py"]
    assert units[0].paths == ("tests/legacy/test_a.py", "tests/legacy/test_b.py")


def test_shards_are_round_robin_over_sorted_keys_and_cover_every_unit_once() -> None:
    units = partition(items(*(f"tests/test_{i:02d}.py::t" for i in range(10))))
    shards = [shard(list(reversed(units)), i, 3) for i in (1, 2, 3)]
    assert [u.key for u in shards[0]] == ["tests/test_00.py", "tests/test_03.py",
                                          "tests/test_06.py", "tests/test_09.py"]  # fmt: skip
    assert sorted(u.key for s in shards for u in s) == [u.key for u in units]
    assert [len(s) for s in shards] == [4, 3, 3]


@pytest.mark.parametrize("text", ["0/3", "4/3", "2", "a/b", "2/0", ""])
def test_a_bad_shard_is_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(ValueError, match="I/N"):
        parse_shard(text)
    assert parse_shard(" 2 / 8 ") == (2, 8)


def test_the_cli_names_a_bad_shard_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_agent_harness", "run", "--shard", "9/8"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 4
    assert "--shard takes I/N with 1 <= I <= N" in done.stderr and "Traceback" not in done.stderr


def test_unit_names_are_safe_for_branches_and_distinct() -> None:
    a, b = Unit("tests/a b.py", ()), Unit("tests/a_b.py", ())
    assert a.name != b.name
    assert all(c.isalnum() or c in "-_." for c in a.name)


def test_a_unit_sees_its_own_items_and_every_warning() -> None:
    progress = Progress(
        items=(Item(id="t.py::a", status="passed"), Item(id="u.py::b", status="failed")),
        warnings=("tampering: x",),
    )
    mine = of_unit(progress, Unit("t.py", ("t.py::a", "t.py::gone")))
    assert [(i.id, i.status) for i in mine.items] == [("t.py::a", "passed"),
                                                      ("t.py::gone", "missing")]  # fmt: skip
    assert mine.warnings == ("tampering: x",) and not mine.complete


def test_the_unit_script_answers_by_unit_and_turn_in_any_order() -> None:
    script = UnitScript(lambda key, cwd: [Turn(text(f"{key} in {cwd}"))])

    def ask(key: str, answered: int) -> str:
        prompt = f"Work.\nYour unit: `{key}`. Your copy of the project: `/w/{key}`."
        messages = [{"role": "user", "content": prompt}]
        messages += [
            {"role": "assistant", "content": "x"},
            {"role": "user", "content": "y"},
        ] * answered
        reply = script(Request(path="/v1/messages", headers={}, body={"messages": messages}))
        assert isinstance(reply, Turn)
        return str(reply.blocks[0]["text"])

    assert ask("b", 0) == "b in /w/b" and ask("a", 0) == "a in /w/a"
    assert ask("b", 1).startswith("Done")
    assert script.units == ["b", "a"]


def test_an_unreadable_parallel_record_is_moved_aside_with_a_warning(tmp_path) -> None:
    from pytest_agent_harness.layout import Layout
    from pytest_agent_harness.parallel import books

    layout = Layout.of(tmp_path)
    assert books.load(layout).units == {}  # none yet: a fresh start, no warning
    layout.harness_dir.mkdir()
    layout.parallel_state.write_text("{not json")
    assert books.load(layout).warning == "" and layout.parallel_state.exists()  # read only
    record = books.load(layout, repair=True)
    assert "could not be read" in record.warning and "parallel.json.corrupt-" in record.warning
    assert not layout.parallel_state.exists()
    assert [p.name.startswith("parallel.json.corrupt-") for p in layout.harness_dir.iterdir()] == [
        True
    ]
