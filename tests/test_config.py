"""The config loader: every key with a valid and an invalid value, and how problems read."""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from pytest_agent_harness.config import load_config
from pytest_agent_harness.errors import ConfigError

BASE: dict[str, Any] = {"phases": [{"name": "coding", "prompt": "Do the next item."}]}


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b[0].c`` in nested dicts and lists, creating tables on the way."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", dotted)
    node: Any = data
    for part, following in itertools.pairwise(parts):
        if part.startswith("["):
            node = node[int(part[1:-1])]
        else:
            if part not in node:
                node[part] = [{}] if following.startswith("[") else {}
            node = node[part]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value


@pytest.fixture
def project(tmp_path: Path) -> Path:
    harness = tmp_path / ".agent-harness"
    (harness / "prompts").mkdir(parents=True)
    (harness / "prompts" / "coding.md").write_text("Work on the next item.\n")
    (harness / "prompts" / "spec.txt").write_text("spec\n")
    (harness / "system.md").write_text("Be careful.\n")
    return tmp_path


def write(project: Path, data: dict[str, Any]) -> Path:
    path = project / ".agent-harness" / "config.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def with_key(dotted: str, value: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for key, other in (extra or {}).items():
        set_path(data, key, other)
    set_path(data, dotted, value)
    return data


TRACKERS = ("json_checklist", "junit", "pytest", "notes_file", "none")


def problems(project: Path, data: dict[str, Any], **kwargs: Any) -> list[str]:
    write(project, data)
    with pytest.raises(ConfigError) as info:
        load_config(project, tracker_types=TRACKERS, **kwargs)
    return [f"{p.key}: {p.message}" for p in info.value.problems]


WEB = "tools.mcp_servers.web"
PKILL = "security.bash.extra_validators.pkill"
NAV = "security.mcp.tool_restrictions.mcp__web__navigate"

# (dotted key, a valid value, an invalid value, text the problem must contain, extra keys)
CASES: list[tuple[str, Any, Any, str, dict[str, Any]]] = [
    ("model", "claude-x-1", 5, "expected a string", {}),
    ("model", "claude-x-1", "", "must not be empty", {}),
    ("system_prompt", "Be brief.", ["x"], "expected a string", {}),
    ("system_prompt", "file:system.md", "file:../outside.md", "inside", {}),
    ("system_prompt", "file:system.md", "file:missing.md", "does not exist", {}),
    ("max_turns", 10, True, "got a boolean", {}),
    ("max_turns", 10, 0, "at least 1", {}),
    ("max_iterations", 3, "3", "expected an integer", {}),
    ("max_iterations", 3, -2, "at least 1", {}),
    ("auto_continue_delay", 0.5, -1, "at least 0", {}),
    ("auto_continue_delay", 0, "soon", "expected a number", {}),
    ("post_run_instructions", "Run it.", 1, "expected a string", {}),
    ("tools.builtin", ["Read", "Bash"], "Read", "expected an array of strings", {}),
    ("tools.builtin", ["Read"], ["Raed"], "did you mean 'Read'", {}),
    (f"{WEB}.command", "npx", "", "must not be empty", {}),
    (f"{WEB}.command", "npx", 7, "expected a string", {}),
    (f"{WEB}.args", ["-y", "srv"], "-y srv", "expected an array of strings", {f"{WEB}.command": "npx"}),
    (f"{WEB}.env", {"TOKEN": "x"}, {"TOKEN": 1}, "expected strings as values", {f"{WEB}.command": "npx"}),
    (f"{WEB}.type", "stdio", "grpc", "must be one of", {f"{WEB}.command": "npx"}),
    (f"{WEB}.url", "https://mcp.example/sse", "ftp://x", "http:// or https://", {f"{WEB}.type": "sse"}),
    (f"{WEB}.headers", {"A": "b"}, {"A": 1}, "expected strings", {f"{WEB}.type": "http", f"{WEB}.url": "http://h/"}),
    ("security.permission_mode", "plan", "yolo", "must be one of", {}),
    ("security.permission_mode", "default", "acceptEdit", "did you mean 'acceptEdits'", {}),
    ("security.allowed_paths", ["src/**"], "src/**", "expected an array of strings", {}),
    ("security.sandbox.enabled", False, "no", "expected a boolean", {}),
    ("security.sandbox.auto_allow_bash_if_sandboxed", False, 1, "expected a boolean", {}),
    ("security.sandbox.fail_if_unavailable", True, "yes", "expected a boolean", {}),
    ("security.sandbox.allowed_domains", ["pypi.org"], "pypi.org", "expected an array of strings", {}),
    ("security.sandbox.deny_read", ["~/.ssh"], [3], "item [0] is an integer", {}),
    ("security.bash.allowed_commands", ["npm"], [1], "item [0] is an integer", {}),
    ("security.bash.inherit_base", False, "no", "expected a boolean", {}),
    (f"{PKILL}.allowed_targets", ["node"], "node", "expected an array of strings", {}),
    ("security.bash.extra_validators.chmod.allowed_modes", ["+x", "755"], ["rwx"], "not a chmod mode", {}),
    (f"{NAV}.blocked_patterns", ["file://"], ["(unclosed"], "does not compile", {}),
    (f"{NAV}.allowed_args", ["url"], "url", "expected an array of strings", {}),
    ("tracking.type", "notes_file", "checklist", "unknown tracker 'checklist'", {}),
    ("tracking.type", "junit", "pytset", "did you mean 'pytest'", {"tracking.junit_paths": ["r/*.xml"]}),
    ("tracking.evidence", "pytest", "tests", "must be one of", {}),
    ("tracking.junit_paths", ["reports/*.xml"], ["../x.xml"], "inside the project", {"tracking.type": "junit"}),
    ("tracking.junit_paths", ["reports/*.xml"], [], "list the JUnit XML files", {"tracking.evidence": "junit"}),
    ("tracking.pytest_args", ["tests", "-k", "fast"], "tests", "expected an array of strings", {}),
    ("tracking.pytest_timeout", 30, 0, "more than 0", {}),
    ("tracking.pytest_command", ["uv", "run", "pytest"], "pytest", "expected an array of strings", {}),
    ("tracking.allow_skipped", True, "yes", "expected a boolean", {}),
    ("tracking.file", "notes.md", "../elsewhere.json", "inside the project", {}),
    ("tracking.passing_field", "done", "", "must not be empty", {}),
    ("error_recovery.max_consecutive_errors", 3, 0, "at least 1", {}),
    ("error_recovery.initial_backoff_seconds", 1, -1, "at least 0", {}),
    ("error_recovery.max_backoff_seconds", 60, 1, "at least initial_backoff_seconds", {}),
    ("error_recovery.backoff_multiplier", 1.5, 0.5, "at least 1", {}),
    ("error_recovery.cli_max_retries", 0, 16, "from 0 to 15", {}),
    ("error_recovery.max_rate_limit_wait_seconds", 600, -5, "at least 0", {}),
    ("error_recovery.max_rate_limit_waits", 3, 0, "at least 1", {}),
    ("budget.max_cost_usd", 25.0, 0, "more than 0", {}),
    ("budget.max_cost_usd", 25, "25", "expected a number", {}),
    ("budget.max_session_cost_usd", 2.5, -1.0, "more than 0", {}),
    ("budget.max_sessions_without_progress", 4, 0, "at least 1", {}),
    ("git.commit", False, "no", "expected a boolean", {}),
    ("git.author", "Bot <bot@example.invalid>", "just a name", "Name <email@host>", {}),
    ("phases[0].name", "build", "", "must not be empty", {}),
    ("phases[0].prompt", "file:prompts/coding.md", 3, "expected a string", {}),
    ("phases[0].prompt", "file:prompts/coding.md", "file:prompts/nope.md", "does not exist", {}),
    ("phases[0].run_once", True, "yes", "expected a boolean", {}),
    ("phases[0].condition", "exists:a.txt", "maybe:a.txt", "exists:PATH or not_exists:PATH", {}),
    ("phases[0].condition", "not_exists:a.txt", "exists:../../etc/passwd", "inside the project", {}),
    ("init_files[0].source", "prompts/spec.txt", "nope.txt", "does not exist", {"init_files[0].dest": "spec.txt"}),
    ("init_files[0].dest", "docs/spec.txt", "/etc/spec.txt", "inside the project", {"init_files[0].source": "prompts/spec.txt"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "valid", "invalid", "fragment", "extra"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_every_key_accepts_a_valid_and_rejects_an_invalid_value(
    project: Path, key: str, valid: Any, invalid: Any, fragment: str, extra: dict[str, Any]
) -> None:
    write(project, with_key(key, valid, extra))
    load_config(project)  # does not raise

    found = problems(project, with_key(key, invalid, extra))
    assert any(p.startswith(key) and fragment in p for p in found), found


def test_valid_values_are_resolved(project: Path) -> None:
    data = with_key("phases[0].prompt", "file:prompts/coding.md")
    set_path(data, "system_prompt", "file:system.md")
    set_path(data, "phases[0].condition", "not_exists:feature_list.json")
    set_path(data, "init_files", [{"source": "prompts/spec.txt", "dest": "spec.txt"}])
    set_path(data, f"{NAV}.blocked_patterns", ["file://"])
    write(project, data)
    config = load_config(project)
    assert config.system_prompt == "Be careful.\n"
    assert config.phases[0].prompt == "Work on the next item.\n"
    assert config.phases[0].condition is not None
    assert config.phases[0].condition.holds(project)
    (project / "feature_list.json").write_text("[]")
    assert not config.phases[0].condition.holds(project)
    assert config.init_files[0].source == project / ".agent-harness" / "prompts" / "spec.txt"
    restriction = config.security.tool_restrictions["mcp__web__navigate"]
    assert restriction.blocked_patterns[0].search('{"url": "file:///etc"}')


def test_defaults(project: Path) -> None:
    write(project, BASE)
    config = load_config(project)
    assert config.model is None  # the CLI's own default model
    assert config.max_turns == 1000
    assert config.max_iterations is None
    assert config.auto_continue_delay == 3.0
    assert config.tools.builtin == ("Read", "Write", "Edit", "Glob", "Grep", "Bash")
    assert config.security.permission_mode == "acceptEdits"
    assert config.security.allowed_paths == ("./**",)
    assert config.security.sandbox.enabled
    assert config.tracking.type == "json_checklist"
    assert config.tracking.file == "feature_list.json"
    assert config.tracking.passing_field == "passes"
    recovery = config.error_recovery
    assert (recovery.max_consecutive_errors, recovery.initial_backoff_seconds) == (5, 5.0)
    assert (recovery.max_backoff_seconds, recovery.backoff_multiplier) == (120.0, 2.0)


def test_typo_gets_a_did_you_mean(project: Path) -> None:
    found = problems(project, with_key("max_turn", 10))
    assert found == ["max_turn: unknown key 'max_turn'; did you mean 'max_turns'?"]


def test_unknown_keys_are_found_at_any_depth(project: Path) -> None:
    data = with_key("security.sandbox.enable", True)
    set_path(data, "phases[0].run_onse", True)
    set_path(data, f"{WEB}.comand", "npx")
    found = problems(project, data)
    assert "security.sandbox.enable: unknown key 'enable'; did you mean 'enabled'?" in found
    assert "phases[0].run_onse: unknown key 'run_onse'; did you mean 'run_once'?" in found
    assert any(p.startswith(f"{WEB}.comand") and "'command'" in p for p in found)


def test_all_problems_come_in_one_report(project: Path) -> None:
    data = with_key("max_turns", "many")
    set_path(data, "tracking.type", "bogus")
    set_path(data, "phases[0].condition", "whenever")
    path = write(project, data)
    with pytest.raises(ConfigError) as info:
        load_config(project, tracker_types=TRACKERS)
    assert len(info.value.problems) == 3
    lines = str(info.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_phases_must_exist_and_be_unique(project: Path) -> None:
    assert any("no [[phases]]" in p for p in problems(project, {"max_turns": 5}))
    twice = {"phases": [{"name": "a", "prompt": "x"}, {"name": "a", "prompt": "y"}]}
    assert any("used twice" in p for p in problems(project, twice))
    missing = {"phases": [{"name": "a"}]}
    assert any(p.startswith("phases[0].prompt: is required") for p in problems(project, missing))


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("max_turns = = 3\n", 1, 13), ('model = "a"\n[tools\nbuiltin = []\n', 2, 7)],
)
def test_toml_syntax_errors_give_line_and_column(
    project: Path, text: str, line: int, column: int
) -> None:
    (project / ".agent-harness" / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(project)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (line, column)
    assert str(info.value).startswith(
        f"{project / '.agent-harness' / 'config.toml'}:{line}:{column}:"
    )
    assert "TOML syntax error" in problem.message


@pytest.mark.parametrize(
    "content", [b"\xff\xfe\x00binary", b"[[phases]]\nname = 'a'\nprompt = '\xe9'\n"]
)
def test_undecodable_file_is_a_config_error(project: Path, content: bytes) -> None:
    (project / ".agent-harness" / "config.toml").write_bytes(content)
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(project)


def test_missing_config_points_to_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="agent-harness init"):
        load_config(tmp_path)


def test_precedence_command_line_over_environment_over_file(project: Path) -> None:
    write(project, with_key("model", "from-file", {"max_iterations": 2}))
    assert load_config(project, environ={}).model == "from-file"
    env = {"AGENT_HARNESS_MODEL": "from-env", "AGENT_HARNESS_MAX_ITERATIONS": "7"}
    config = load_config(project, environ=env)
    assert (config.model, config.max_iterations) == ("from-env", 7)
    assert config.sources["model"] == "environment (AGENT_HARNESS_MODEL)"
    config = load_config(project, environ=env, overrides={"model": "from-cli", "max_iterations": 1})
    assert (config.model, config.max_iterations) == ("from-cli", 1)
    assert config.sources == {"model": "command line", "max_iterations": "command line"}


def test_bad_environment_value_names_the_variable(project: Path) -> None:
    found = problems(project, BASE, environ={"AGENT_HARNESS_MAX_ITERATIONS": "lots"})
    assert any("AGENT_HARNESS_MAX_ITERATIONS" in p and "'lots'" in p for p in found)


def test_variables_expand_in_mcp_servers(project: Path) -> None:
    data = with_key(f"{WEB}.command", "npx")
    set_path(data, f"{WEB}.args", ["--port", "${PORT}"])
    set_path(data, f"{WEB}.env", {"TOKEN": "${WEB_TOKEN}"})
    write(project, data)
    config = load_config(project, environ={"PORT": "9000", "WEB_TOKEN": "t0k"})
    server = config.tools.mcp_servers["web"]
    assert server.args == ("--port", "9000")
    assert server.env == {"TOKEN": "t0k"}
    found = problems(project, data, environ={"PORT": "9000"})
    assert found == [
        f"{WEB}.env.TOKEN: environment variable WEB_TOKEN is not set; "
        "export it or remove ${WEB_TOKEN}"
    ]


def test_keys_of_the_other_server_kind_are_rejected(project: Path) -> None:
    data = with_key(f"{WEB}.command", "npx")
    set_path(data, f"{WEB}.url", "http://x/")
    assert any(
        p.startswith(f"{WEB}.url: is not used by a 'stdio' server") for p in problems(project, data)
    )


def test_harness_dir_can_live_elsewhere(tmp_path: Path) -> None:
    harness = tmp_path / "cfg"
    harness.mkdir()
    (harness / "config.toml").write_text(tomli_w.dumps(BASE))
    config = load_config(tmp_path / "proj", harness)
    assert config.harness_dir == harness.resolve()
    assert config.project_dir == (tmp_path / "proj").resolve()


def test_a_syntax_error_at_the_end_still_gets_a_line(project: Path) -> None:
    (project / ".agent-harness" / "config.toml").write_text('model = "a"\nprompt = """unterminated')
    with pytest.raises(ConfigError) as info:
        load_config(project)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (2, 25)
    assert "Unterminated string" in problem.message
