"""Trackers and git through whole runs: the real CLI, real pytest, real repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import read_ledger

from pytest_agent_harness.cli import main
from pytest_agent_harness.testing import Turn, text, tool_use

pytestmark = pytest.mark.e2e

BUGGY = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"
TESTS = """\
import sys

sys.path.insert(0, ".")
from calc import add, sub


def test_add():
    assert add(1, 1) == 2


def test_sub():
    assert sub(2, 1) == 1
"""
PYTEST_CONFIG = {
    "tracking": {"type": "pytest", "pytest_args": ["tests"]},
    "security": {"bash": {"allowed_commands": ["python3", "sed"]}},
}


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def calc_project(make_project):
    def make(config: dict[str, object] = PYTEST_CONFIG, **kw: object) -> Path:
        return make_project(
            config, files={"calc.py": BUGGY, "tests/test_calc.py": TESTS}, checklist=None, **kw
        )

    return make


@pytest.mark.slow
def test_pytest_tracker_completes_when_the_agent_really_fixes_the_bug(
    calc_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = calc_project({**PYTEST_CONFIG, "max_iterations": 3})
    calc = str(project / "calc.py")
    model = use_model(
        scripted_model(
            [
                Turn(tool_use("Read", {"file_path": calc})),
                Turn(
                    tool_use(
                        "Edit",
                        {
                            "file_path": calc,
                            "old_string": "def add(a, b):\n    return a - b",
                            "new_string": "def add(a, b):\n    return a + b",
                        },
                    )
                ),
                Turn(tool_use("Bash", {"command": "python3 -m pytest -q tests"})),
                Turn(text("Fixed add.")),
            ]
        )
    )

    assert main(["run", "--project-dir", str(project)]) == 0

    out = capsys.readouterr().out
    assert "Progress: 1/2 passing" in out and "COMPLETE: complete" in out
    # The agent was told what fails and why.
    assert "FAILED tests/test_calc.py::test_add" in model.requests[0].last_user_text
    (entry,) = read_ledger(project)
    assert (entry["progress_before"], entry["progress_after"]) == ("1/2 passing", "2/2 passing")
    assert (
        git(project, "log", "-1", "--format=%s") == "agent-harness: session 1 (coding): 2/2 passing"
    )


SKIPPED = TESTS.replace("def test_add", "import pytest\n\n\n@pytest.mark.skip\ndef test_add")
DELETED = TESTS.split("def test_add")[0] + "def test_sub" + TESTS.split("def test_sub")[1]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "warning"),
    [
        (DELETED, "test tests/test_calc.py::test_add is missing from the results"),
        (SKIPPED, "test tests/test_calc.py::test_add is newly skipped"),
    ],
    ids=["deletes-the-test", "skips-the-test"],
)
def test_an_agent_that_games_the_tests_never_completes(
    calc_project,
    scripted_model,
    use_model,
    capsys: pytest.CaptureFixture[str],
    content: str,
    warning: str,
) -> None:
    project = calc_project({**PYTEST_CONFIG, "max_iterations": 2})
    tests = str(project / "tests" / "test_calc.py")
    cheat = [Turn(tool_use("Write", {"file_path": tests, "content": content})), Turn(text("Done!"))]
    use_model(scripted_model([*cheat, Turn(text("Still done."))]))

    assert main(["run", "--project-dir", str(project)]) == 1

    out = capsys.readouterr().out
    assert warning in out
    assert "COMPLETE" not in out
    ledger = read_ledger(project)
    assert all(warning in " ".join(e["warnings"]) for e in ledger)
    assert [e["progress_after"] for e in ledger] == ["1/2 passing, 1 warning(s)"] * 2


@pytest.mark.slow
def test_a_checklist_flag_flipped_without_a_fix_is_caught(
    calc_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = calc_project(
        {
            "max_iterations": 1,
            "tracking": {"type": "json_checklist", "evidence": "pytest", "pytest_args": ["tests"]},
            "security": {"bash": {"allowed_commands": ["python3", "sed"]}},
        }
    )
    items = [
        {
            "description": "adds",
            "steps": [],
            "passes": False,
            "tests": ["tests/test_calc.py::test_add"],
        },
        {
            "description": "subtracts",
            "steps": [],
            "passes": False,
            "tests": ["tests/test_calc.py::test_sub"],
        },
    ]
    (project / "feature_list.json").write_text(json.dumps(items, indent=2))
    features = str(project / "feature_list.json")
    flipped = json.dumps([{**item, "passes": True} for item in items])
    model = use_model(
        scripted_model(
            [
                Turn(tool_use("Write", {"file_path": features, "content": flipped})),
                Turn(
                    tool_use(
                        "Bash",
                        {
                            "command": 'sed -i \'s/"passes": false/"passes": true/\' feature_list.json'
                        },
                    )
                ),
                Turn(text("All done.")),
            ]
        )
    )

    assert main(["run", "--project-dir", str(project)]) == 1

    out = capsys.readouterr().out
    denied = model.requests[1].tool_results[0]
    assert denied["is_error"] and "belongs to the harness" in denied["content"]
    # Through Bash too: sed -i on the evidence-checked checklist is a write into the protected set.
    sed = model.requests[2].tool_results[0]
    assert sed["is_error"] and "protected" in sed["content"]
    assert "Progress: 1/2 passing" in out
    # The flags say what the tests say, whatever the agent wrote.
    assert [i["passes"] for i in json.loads(Path(features).read_text())] == [False, True]
    (entry,) = read_ledger(project)
    assert entry["progress_after"].startswith("1/2 passing")


@pytest.mark.slow
def test_removed_checklist_items_are_restored_and_the_run_goes_on(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [{"description": f"feature {n}", "steps": ["check"], "passes": False} for n in range(3)]
    project = make_project(checklist=items)
    features = str(project / "feature_list.json")
    trimmed = json.dumps([{**items[0], "passes": True}])
    model = use_model(
        scripted_model(
            [
                Turn(tool_use("Write", {"file_path": features, "content": trimmed})),
                Turn(text("Only one feature was really needed.")),
                Turn(
                    tool_use(
                        "Edit",
                        {
                            "file_path": features,
                            "old_string": '"passes": false',
                            "new_string": '"passes": true',
                            "replace_all": True,
                        },
                    )
                ),
                Turn(text("Now all of them pass.")),
            ]
        )
    )

    assert main(["run", "--project-dir", str(project)]) == 0

    ledger = read_ledger(project)
    assert len(ledger) == 2
    assert any(
        "item 2 (feature 1) was removed or edited; restored" in w for w in ledger[0]["warnings"]
    )
    assert ledger[0]["progress_after"] == "1/3 passing, 2 warning(s)"
    # The next session was told.
    assert "restored from the baseline" in model.requests[2].last_user_text
    final = json.loads(Path(features).read_text())
    assert [i["description"] for i in final] == ["feature 0", "feature 1", "feature 2"]


@pytest.mark.slow
def test_five_sessions_commit_what_changed_and_keep_a_safety_ref_each(
    make_project, scripted_model, use_model, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"tracking": {"type": "none"}, "max_iterations": 5}, checklist=None)
    git(project, "init", "-q")
    (project / "my-notes.txt").write_text("the user's own, never committed\n")
    script: list[Turn] = []
    for session in range(1, 6):
        if session != 3:  # session 3 changes nothing
            path = str(project / f"module_{session}.py")
            script.append(
                Turn(tool_use("Write", {"file_path": path, "content": f"N = {session}\n"}))
            )
        script.append(Turn(text(f"Session {session} done.")))
    use_model(scripted_model(script))

    assert main(["run", "--project-dir", str(project)]) == 1

    subjects = git(project, "log", "--format=%s").splitlines()
    checkpoints = [s for s in subjects if s.startswith("agent-harness: session")]
    assert [s.split(" (")[0] for s in checkpoints] == [
        f"agent-harness: session {n}" for n in (5, 4, 2, 1)
    ]
    refs = git(project, "for-each-ref", "--format=%(refname)", "refs/agent-harness").splitlines()
    assert refs == [f"refs/agent-harness/session-{n}/start" for n in range(1, 6)]
    # Files that were there before the run (the user's notes, the config) stay untracked.
    assert git(project, "status", "--porcelain").splitlines() == [
        "?? .agent-harness/config.toml",
        "?? my-notes.txt",
    ]
    assert (project / "my-notes.txt").read_text() == "the user's own, never committed\n"
    assert "my-notes.txt" not in git(project, "log", "HEAD", "--name-only", "--format=")
    assert (
        git(project, "log", "-1", "--format=%an <%ae>") == "agent-harness <agent-harness@localhost>"
    )
    ledger = read_ledger(project)
    assert [bool(e["commit"]) for e in ledger] == [True, True, False, True, True]
    leftover = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "git cat-file" not in leftover
