"""The pytest plugin, through pytest itself (pytester)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w

from pytest_agent_harness.testing import Turn, text, tool_use

pytest_plugins = ["pytester"]

CALC = "def add(a, b):\n    return a - b\n"
TESTS = "from calc import add\n\n\ndef test_add():\n    assert add(1, 1) == 2\n"
OTHER = "def test_other():\n    assert False\n"


def harness_project(pytester: pytest.Pytester, **config: object) -> Path:
    data = {
        "auto_continue_delay": 0,
        "max_iterations": 3,
        "security": {"sandbox": {"enabled": False}},
        "error_recovery": {"cli_max_retries": 0},
        "tracking": {"type": "pytest"},
        "phases": [{"name": "fix", "prompt": "Make the selected tests pass."}],
        **config,
    }
    (pytester.path / ".agent-harness").mkdir()
    (pytester.path / ".agent-harness" / "config.toml").write_text(tomli_w.dumps(data))
    pytester.makepyfile(calc=CALC)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_calc.py").write_text(TESTS)
    (pytester.path / "legacy").mkdir()
    (pytester.path / "legacy" / "test_other.py").write_text(OTHER)
    # addopts puts the flag into every pytest run here, the harness's own included: the
    # recursion guard must keep those ordinary.
    pytester.makeini("[pytest]\npythonpath = .\naddopts = --agent-harness\n")
    return pytester.path


def test_options_and_ini_keys_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        ["agent harness:", "*--agent-harness *", "*--agent-harness-dir*", "*--agent-max-iterations*",
         "*--agent-model*", "*agent_harness_dir*", "*agent_max_iterations*", "*agent_model*"]
    )  # fmt: skip


def test_a_plain_run_is_unchanged(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_help_still_shows_help_with_the_flag(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--agent-harness", "--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*--agent-harness*"])


@pytest.mark.parametrize(
    ("option", "shown"),
    [("--collect-only", "*<Function test_add>*"), ("--fixtures", "*tmp_path*"),
     ("--markers", "*@pytest.mark.skip*"), ("--fixtures-per-test", "*collected 1 item*")],
)  # fmt: skip
def test_informational_options_do_what_pytest_does(
    pytester: pytest.Pytester, option: str, shown: str
) -> None:
    project = harness_project(pytester)  # addopts holds --agent-harness
    result = pytester.runpytest(option, "tests")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([shown])
    assert not (project / ".agent-harness" / "session.json").exists()  # no run started


def test_command_line_paths_replace_the_configured_ones() -> None:
    from types import SimpleNamespace

    from pytest_agent_harness.trackers.builtin import suite_args

    def args(configured: list[str], selection: list[str]) -> tuple[str, ...]:
        tracking = SimpleNamespace(pytest_args=tuple(configured))
        config = SimpleNamespace(tracking=tracking, pytest_selection=tuple(selection))
        return suite_args(config)  # type: ignore[arg-type]

    configured = ["-q", "tests", "-p", "no:cacheprovider", "--deselect", "tests/t.py::x", "lib"]
    assert args(configured, ["tests/legacy", "-k", "w"]) == (
        "-q", "-p", "no:cacheprovider", "--deselect", "tests/t.py::x", "tests/legacy", "-k", "w"
    )  # fmt: skip
    assert args(configured, ["-k", "w"]) == (*configured, "-k", "w")  # nothing to replace


def test_without_a_config_it_explains_init(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--agent-harness")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*agent-harness init*"])


@pytest.mark.slow
@pytest.mark.e2e
def test_the_flag_runs_the_harness_on_the_selection(
    pytester: pytest.Pytester, scripted_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The config names both folders: the paths given on the command line replace them.
    project = harness_project(
        pytester, tracking={"type": "pytest", "pytest_args": ["legacy", "tests"]}
    )
    calc = str(project / "calc.py")
    fix = tool_use("Edit", {"file_path": calc, "old_string": "a - b", "new_string": "a + b"})
    model = scripted_model(
        [Turn(tool_use("Read", {"file_path": calc})), Turn(fix), Turn(text("Fixed."))]
    )
    for key, value in model.env(tmp_path / "claude", tmp_path / "home").items():
        monkeypatch.setenv(key, value)

    # legacy/ fails and is not selected: the run completes on tests/ alone.
    result = pytester.runpytest_subprocess("tests", "-k", "add", timeout=240)

    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*COMPLETE: complete*", "*Progress: 1/1 passing*"])
    assert "return a + b" in (project / "calc.py").read_text()
    ledger = [
        json.loads(line)
        for line in (project / ".agent-harness" / "ledger.jsonl").read_text().splitlines()
    ]
    assert ledger[-1]["progress_after"] == "1/1 passing"
    # The harness's own pytest run was an ordinary run: no second harness inside it.
    assert "Session 2" not in result.stdout.str()


@pytest.mark.slow
@pytest.mark.e2e
def test_the_harness_exit_code_is_returned(
    pytester: pytest.Pytester, scripted_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness_project(pytester, max_iterations=1)
    model = scripted_model([Turn(text("I did nothing."))])
    for key, value in model.env(tmp_path / "claude", tmp_path / "home").items():
        monkeypatch.setenv(key, value)
    result = pytester.runpytest_subprocess(
        "--agent-harness", "--agent-max-iterations", "1", timeout=240
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*reached max_iterations (1)*"])
