"""``.agent-harness/config.toml``: frozen values and the strict loader.

Precedence: command line (``overrides``) > environment (``AGENT_HARNESS_MODEL``,
``AGENT_HARNESS_MAX_ITERATIONS``) > config file > defaults. Every problem in a file is
collected into one ``ConfigError`` naming the file and the dotted key; bad config never ends in
a traceback. Each table's keys are declared once, as ``Field`` specs, below.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .config_schema import (
    Field,
    Reader,
    above,
    at_least,
    did_you_mean,
    expand_vars,
    in_range,
    inside,
    join_key,
    kind_error,
    non_empty,
    one_of,
)
from .errors import ConfigError, ConfigProblem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_NAME = "config.toml"
HARNESS_DIR_NAME = ".agent-harness"
KNOWN_TOOLS = (
    "Read", "Write", "Edit", "MultiEdit", "NotebookEdit", "Glob", "Grep", "Bash",
    "WebFetch", "WebSearch", "TodoWrite", "Task",
)  # fmt: skip
DEFAULT_TOOLS = ("Read", "Write", "Edit", "Glob", "Grep", "Bash")
PERMISSION_MODES = ("acceptEdits", "bypassPermissions", "plan", "default")
EVIDENCE_KINDS = ("field", "junit", "pytest")
SERVER_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
CHMOD_MODE = re.compile(r"^([0-7]{3,4}|[ugoa]*[-+=][rwxXst]+)$")


@dataclass(frozen=True, kw_only=True)
class McpServer:
    type: Literal["stdio", "sse", "http"] = "stdio"
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ToolsConfig:
    builtin: tuple[str, ...] = DEFAULT_TOOLS
    mcp_servers: Mapping[str, McpServer] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SandboxConfig:
    enabled: bool = True
    auto_allow_bash_if_sandboxed: bool = True
    fail_if_unavailable: bool = False
    allowed_domains: tuple[str, ...] = ()
    deny_read: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ExtraValidator:
    allowed_targets: tuple[str, ...] = ()
    allowed_modes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BashConfig:
    allowed_commands: tuple[str, ...] = ()
    inherit_base: bool = True
    extra_validators: Mapping[str, ExtraValidator] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class McpRestriction:
    blocked_patterns: tuple[re.Pattern[str], ...] = ()
    allowed_args: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SecurityConfig:
    permission_mode: str = "acceptEdits"
    allowed_paths: tuple[str, ...] = ("./**",)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    bash: BashConfig = field(default_factory=BashConfig)
    tool_restrictions: Mapping[str, McpRestriction] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TrackingConfig:
    type: str = "json_checklist"
    file: str = "feature_list.json"
    passing_field: str = "passes"
    evidence: str = "field"
    junit_paths: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    pytest_timeout: float = 600.0
    pytest_command: tuple[str, ...] = ()
    """Empty: this Python's ``-m pytest``."""
    allow_skipped: bool = False


@dataclass(frozen=True, kw_only=True)
class ErrorRecoveryConfig:
    max_consecutive_errors: int = 5
    initial_backoff_seconds: float = 5.0
    max_backoff_seconds: float = 120.0
    backoff_multiplier: float = 2.0
    cli_max_retries: int = 2
    max_rate_limit_wait_seconds: float = 3600.0
    max_rate_limit_waits: int = 10


@dataclass(frozen=True, kw_only=True)
class BudgetConfig:
    max_cost_usd: float | None = None
    max_session_cost_usd: float | None = None
    max_sessions_without_progress: int | None = None


@dataclass(frozen=True, kw_only=True)
class GitConfig:
    commit: bool = True
    author: str = "agent-harness <agent-harness@localhost>"


@dataclass(frozen=True, kw_only=True)
class Condition:
    kind: Literal["exists", "not_exists"]
    path: str

    def holds(self, project_dir: Path) -> bool:
        exists = (project_dir / self.path).exists()
        return exists if self.kind == "exists" else not exists

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}"


@dataclass(frozen=True, kw_only=True)
class Phase:
    name: str
    prompt: str
    prompt_file: Path | None = None
    run_once: bool = False
    condition: Condition | None = None


@dataclass(frozen=True, kw_only=True)
class InitFile:
    source: Path
    dest: str


@dataclass(frozen=True, kw_only=True)
class Config:
    path: Path
    project_dir: Path
    harness_dir: Path
    model: str | None = None
    system_prompt: str = ""
    max_turns: int = 1000
    max_iterations: int | None = None
    auto_continue_delay: float = 3.0
    post_run_instructions: str = ""
    tools: ToolsConfig = field(default_factory=ToolsConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    error_recovery: ErrorRecoveryConfig = field(default_factory=ErrorRecoveryConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    git: GitConfig = field(default_factory=GitConfig)
    phases: tuple[Phase, ...] = ()
    init_files: tuple[InitFile, ...] = ()
    pytest_selection: tuple[str, ...] = ()
    """Tests named on a ``pytest --agent-harness`` command line, for the pytest tracker."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Where ``model`` and ``max_iterations`` came from (command line, environment, ...)."""


def _tool_names(value: list[str]) -> str | None:
    for index, name in enumerate(value):
        if name not in KNOWN_TOOLS:
            return f"item [{index}]: unknown tool '{name}'{did_you_mean(name, KNOWN_TOOLS)}"
    return None


TOP_FIELDS = [
    Field("model", "str", None, non_empty),
    Field("system_prompt", "str", ""),
    Field("max_turns", "int", 1000, at_least(1)),
    Field("max_iterations", "int", None, at_least(1)),
    Field("auto_continue_delay", "number", 3.0, at_least(0)),
    Field("post_run_instructions", "str", ""),
]
TOP_TABLES = (
    "tools", "security", "tracking", "error_recovery", "budget", "git", "phases", "init_files",
)  # fmt: skip
TOOLS_FIELDS = [Field("builtin", "list[str]", list(DEFAULT_TOOLS), _tool_names)]
SERVER_FIELDS = [
    Field("type", "str", "stdio", one_of("stdio", "sse", "http")),
    Field("command", "str", None, non_empty),
    Field("args", "list[str]", []),
    Field("env", "table[str]", {}),
    Field("url", "str", None),
    Field("headers", "table[str]", {}),
]
SECURITY_FIELDS = [
    Field("permission_mode", "str", "acceptEdits", one_of(*PERMISSION_MODES)),
    Field("allowed_paths", "list[str]", ["./**"]),
]
SANDBOX_FIELDS = [
    Field("enabled", "bool", True),
    Field("auto_allow_bash_if_sandboxed", "bool", True),
    Field("fail_if_unavailable", "bool", False),
    Field("allowed_domains", "list[str]", []),
    Field("deny_read", "list[str]", []),
]
BASH_FIELDS = [
    Field("allowed_commands", "list[str]", []),
    Field("inherit_base", "bool", True),
]


def _modes(value: list[str]) -> str | None:
    for index, mode in enumerate(value):
        if not CHMOD_MODE.match(mode):
            return f"item [{index}]: '{mode}' is not a chmod mode (such as 755 or +x)"
    return None


VALIDATOR_FIELDS = [
    Field("allowed_targets", "list[str]", []),
    Field("allowed_modes", "list[str]", [], _modes),
]
RESTRICTION_FIELDS = [
    Field("blocked_patterns", "list[str]", []),
    Field("allowed_args", "list[str]", []),
]
TRACKING_FIELDS = [
    Field("type", "str", "json_checklist", non_empty),
    Field("file", "str", "feature_list.json", non_empty),
    Field("passing_field", "str", "passes", non_empty),
    Field("evidence", "str", "field", one_of(*EVIDENCE_KINDS)),
    Field("junit_paths", "list[str]", []),
    Field("pytest_args", "list[str]", []),
    Field("pytest_timeout", "number", 600.0, above(0)),
    Field("pytest_command", "list[str]", []),
    Field("allow_skipped", "bool", False),
]
RECOVERY_FIELDS = [
    Field("max_consecutive_errors", "int", 5, at_least(1)),
    Field("initial_backoff_seconds", "number", 5.0, at_least(0)),
    Field("max_backoff_seconds", "number", 120.0, at_least(0)),
    Field("backoff_multiplier", "number", 2.0, at_least(1)),
    Field("cli_max_retries", "int", 2, in_range(0, 15)),
    Field("max_rate_limit_wait_seconds", "number", 3600.0, at_least(0)),
    Field("max_rate_limit_waits", "int", 10, at_least(1)),
]
GIT_FIELDS = [
    Field("commit", "bool", True),
    Field("author", "str", "agent-harness <agent-harness@localhost>", lambda v: _author(v)),
]


def _author(value: str) -> str | None:
    if re.match(r"^[^<>]+ <[^<>\s]+@[^<>\s]+>$", value):
        return None
    return f"'{value}' must look like 'Name <email@host>'"


BUDGET_FIELDS = [
    Field("max_cost_usd", "number", None, above(0)),
    Field("max_session_cost_usd", "number", None, above(0)),
    Field("max_sessions_without_progress", "int", None, at_least(1)),
]
PHASE_FIELDS = [
    Field("name", "str", "", non_empty, required=True),
    Field("prompt", "str", "", non_empty, required=True),
    Field("run_once", "bool", False),
    Field("condition", "str", None),
]
INIT_FILE_FIELDS = [
    Field("source", "str", "", non_empty, required=True),
    Field("dest", "str", "", non_empty, required=True),
]


def _selection(value: object) -> tuple[str, ...]:
    return tuple(str(a) for a in value) if isinstance(value, (list, tuple)) else ()


def load_config(
    project_dir: Path,
    harness_dir: Path | None = None,
    *,
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read, validate and resolve the project's config; raise one ConfigError with every problem."""
    project_dir = project_dir.resolve()
    harness_dir = (harness_dir or project_dir / HARNESS_DIR_NAME).resolve()
    path = harness_dir / CONFIG_NAME
    env = os.environ if environ is None else environ
    data = _parse(path)
    return _Loader(path, project_dir, harness_dir, env).load(data, overrides or {})


def _parse(path: Path) -> dict[str, Any]:
    def fail(message: str, line: int | None = None, column: int | None = None) -> ConfigError:
        return ConfigError(path, [ConfigProblem(key="", message=message, line=line, column=column)])

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("no config file here; run `agent-harness init` to create one") from None
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror}); check its permissions") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match.group(1)) if match else None
        column = int(match.group(2)) if match else None
        if match is None and "end of document" in message:
            lines = text.split("\n")
            line, column = len(lines), len(lines[-1]) + 1
        detail = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise fail(f"TOML syntax error: {detail}", line, column) from None


class _Loader:
    def __init__(
        self, path: Path, project_dir: Path, harness_dir: Path, environ: Mapping[str, str]
    ) -> None:
        self.path = path
        self.project_dir = project_dir
        self.harness_dir = harness_dir
        self.environ = environ
        self.reader = Reader()

    def problem(self, key: str, message: str) -> None:
        self.reader.problem(key, message)

    def load(self, data: dict[str, Any], overrides: Mapping[str, object]) -> Config:
        reader = self.reader
        top = reader.table(data, "", TOP_FIELDS, TOP_TABLES)
        sources = {"model": "default", "max_iterations": "default"}
        for key in ("model", "max_iterations"):
            if key in data:
                sources[key] = "config file"
        self._environment(top, sources)
        for key in ("model", "max_iterations"):
            if overrides.get(key) is not None:
                top[key] = overrides[key]
                sources[key] = "command line"
        config = Config(
            path=self.path,
            project_dir=self.project_dir,
            harness_dir=self.harness_dir,
            model=top["model"],
            system_prompt=self._file_ref(top["system_prompt"], "system_prompt"),
            max_turns=top["max_turns"],
            max_iterations=top["max_iterations"],
            auto_continue_delay=top["auto_continue_delay"],
            post_run_instructions=top["post_run_instructions"],
            tools=self._tools(reader.subtable(data, "", "tools")),
            security=self._security(reader.subtable(data, "", "security")),
            tracking=self._tracking(reader.subtable(data, "", "tracking")),
            error_recovery=self._recovery(reader.subtable(data, "", "error_recovery")),
            budget=BudgetConfig(
                **reader.table(reader.subtable(data, "", "budget"), "budget", BUDGET_FIELDS)
            ),
            git=GitConfig(**reader.table(reader.subtable(data, "", "git"), "git", GIT_FIELDS)),
            phases=self._phases(data.get("phases")),
            init_files=self._init_files(data.get("init_files", [])),
            pytest_selection=_selection(overrides.get("pytest_selection")),
            sources=sources,
        )
        if reader.problems:
            raise ConfigError(self.path, reader.problems)
        return config

    def _environment(self, top: dict[str, Any], sources: dict[str, str]) -> None:
        model = self.environ.get("AGENT_HARNESS_MODEL")
        if model:
            top["model"] = model
            sources["model"] = "environment (AGENT_HARNESS_MODEL)"
        raw = self.environ.get("AGENT_HARNESS_MAX_ITERATIONS")
        if raw:
            try:
                value = int(raw)
                if value < 1:
                    raise ValueError
            except ValueError:
                self.problem(
                    "max_iterations",
                    f"AGENT_HARNESS_MAX_ITERATIONS in the environment is '{raw}'; "
                    "it must be a whole number of at least 1",
                )
            else:
                top["max_iterations"] = value
                sources["max_iterations"] = "environment (AGENT_HARNESS_MAX_ITERATIONS)"

    def _file_ref(self, value: str, key: str) -> str:
        """Text of a ``file:`` reference (relative to the harness dir), or the value itself."""
        if not value.startswith("file:"):
            return value
        resolved = self._harness_file(value[5:].strip(), key)
        if resolved is None:
            return ""
        try:
            return resolved.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(key, f"{resolved} cannot be read as UTF-8 text ({exc})")
            return ""

    def _harness_file(self, relative: str, key: str) -> Path | None:
        resolved = inside(self.harness_dir, relative)
        if resolved is None:
            self.problem(key, f"'{relative}' must be a relative path inside {self.harness_dir}")
            return None
        if not resolved.is_file():
            self.problem(key, f"file '{relative}' does not exist in {self.harness_dir}")
            return None
        return resolved

    def _project_path(self, relative: str, key: str) -> bool:
        if inside(self.project_dir, relative) is None:
            self.problem(key, f"'{relative}' must be a relative path inside the project")
            return False
        return True

    def _tools(self, data: dict[str, Any]) -> ToolsConfig:
        values = self.reader.table(data, "tools", TOOLS_FIELDS, ["mcp_servers"])
        servers_raw = self.reader.subtable(data, "tools", "mcp_servers")
        servers = {}
        for name, raw in servers_raw.items():
            key = f"tools.mcp_servers.{name}"
            if not SERVER_NAME.match(name):
                self.problem(key, "server names may hold only letters, digits, '_' and '-'")
            error = kind_error(raw, "table")
            if error:
                self.problem(key, error)
                continue
            servers[name] = self._server(raw, key)
        return ToolsConfig(builtin=tuple(values["builtin"]), mcp_servers=servers)

    def _server(self, raw: dict[str, Any], key: str) -> McpServer:
        values = self.reader.table(raw, key, SERVER_FIELDS)
        kind = values["type"]
        own = ("command", "args", "env") if kind == "stdio" else ("url", "headers")
        for name in ("command", "args", "env", "url", "headers"):
            if name in raw and name not in own:
                self.problem(f"{key}.{name}", f"is not used by a '{kind}' server; remove it")
        expand = self._expand
        if kind == "stdio":
            if values["command"] is None and "command" not in raw:
                self.problem(f"{key}.command", "is required for a stdio server")
            return McpServer(
                type="stdio",
                command=expand(values["command"] or "", f"{key}.command"),
                args=tuple(expand(a, f"{key}.args[{i}]") for i, a in enumerate(values["args"])),
                env={k: expand(v, f"{key}.env.{k}") for k, v in values["env"].items()},
            )
        url = expand(values["url"] or "", f"{key}.url")
        if not re.match(r"^https?://\S+$", url):
            self.problem(f"{key}.url", f"a '{kind}' server needs an http:// or https:// url")
        return McpServer(
            type=kind,
            url=url,
            headers={k: expand(v, f"{key}.headers.{k}") for k, v in values["headers"].items()},
        )

    def _expand(self, value: str, key: str) -> str:
        return expand_vars(value, self.environ, key, self.reader)

    def _security(self, data: dict[str, Any]) -> SecurityConfig:
        reader = self.reader
        values = reader.table(data, "security", SECURITY_FIELDS, ["sandbox", "bash", "mcp"])
        sandbox = reader.table(reader.subtable(data, "security", "sandbox"), "security.sandbox",
                               SANDBOX_FIELDS)  # fmt: skip
        bash_raw = reader.subtable(data, "security", "bash")
        bash = reader.table(bash_raw, "security.bash", BASH_FIELDS, ["extra_validators"])
        validators = {}
        for command, raw in reader.subtable(bash_raw, "security.bash", "extra_validators").items():
            key = f"security.bash.extra_validators.{command}"
            if kind_error(raw, "table"):
                self.problem(key, kind_error(raw, "table") or "")
                continue
            v = reader.table(raw, key, VALIDATOR_FIELDS)
            validators[command] = ExtraValidator(
                allowed_targets=tuple(v["allowed_targets"]), allowed_modes=tuple(v["allowed_modes"])
            )
        mcp_raw = reader.subtable(data, "security", "mcp")
        reader.table(mcp_raw, "security.mcp", [], ["tool_restrictions"])
        restrictions = {}
        for tool, raw in reader.subtable(mcp_raw, "security.mcp", "tool_restrictions").items():
            restrictions[tool] = self._restriction(tool, raw)
        return SecurityConfig(
            permission_mode=values["permission_mode"],
            allowed_paths=tuple(values["allowed_paths"]),
            sandbox=SandboxConfig(
                enabled=sandbox["enabled"],
                auto_allow_bash_if_sandboxed=sandbox["auto_allow_bash_if_sandboxed"],
                fail_if_unavailable=sandbox["fail_if_unavailable"],
                allowed_domains=tuple(sandbox["allowed_domains"]),
                deny_read=tuple(sandbox["deny_read"]),
            ),
            bash=BashConfig(
                allowed_commands=tuple(bash["allowed_commands"]),
                inherit_base=bash["inherit_base"],
                extra_validators=validators,
            ),
            tool_restrictions=restrictions,
        )

    def _restriction(self, tool: str, raw: Any) -> McpRestriction:
        key = f"security.mcp.tool_restrictions.{tool}"
        if not tool.startswith("mcp__"):
            self.problem(
                key, "tool names look like mcp__SERVER__TOOL (globs such as mcp__web__* work)"
            )
        if kind_error(raw, "table"):
            self.problem(key, kind_error(raw, "table") or "")
            return McpRestriction()
        values = self.reader.table(raw, key, RESTRICTION_FIELDS)
        patterns = []
        for index, pattern in enumerate(values["blocked_patterns"]):
            try:
                patterns.append(re.compile(pattern))
            except re.error as exc:
                self.problem(join_key(f"{key}.blocked_patterns", f"[{index}]"),
                             f"regex '{pattern}' does not compile: {exc}")  # fmt: skip
        return McpRestriction(
            blocked_patterns=tuple(patterns), allowed_args=tuple(values["allowed_args"])
        )

    def _tracking(self, data: dict[str, Any]) -> TrackingConfig:
        values = self.reader.table(data, "tracking", TRACKING_FIELDS)
        self._project_path(values["file"], "tracking.file")
        from .plugins import tracker_types

        known = tracker_types()
        if values["type"] not in known:
            listed = ", ".join(f"'{name}'" for name in known)
            hint = did_you_mean(values["type"], known)
            self.problem(
                "tracking.type",
                f"unknown tracker '{values['type']}'{hint}; installed trackers: {listed}",
            )
        uses_junit = values["type"] == "junit" or values["evidence"] == "junit"
        if uses_junit and not values["junit_paths"]:
            self.problem("tracking.junit_paths", "list the JUnit XML files to read (globs)")
        for index, pattern in enumerate(values["junit_paths"]):
            if pattern.startswith(("/", "~")) or ".." in Path(pattern).parts:
                self.problem(
                    f"tracking.junit_paths[{index}]", f"'{pattern}' must stay inside the project"
                )
        for name in ("junit_paths", "pytest_args", "pytest_command"):
            values[name] = tuple(values[name])
        return TrackingConfig(**values)

    def _recovery(self, data: dict[str, Any]) -> ErrorRecoveryConfig:
        values = self.reader.table(data, "error_recovery", RECOVERY_FIELDS)
        if values["max_backoff_seconds"] < values["initial_backoff_seconds"]:
            self.problem(
                "error_recovery.max_backoff_seconds",
                f"must be at least initial_backoff_seconds ({values['initial_backoff_seconds']:g})",
            )
        return ErrorRecoveryConfig(**values)

    def _phases(self, raw: Any) -> tuple[Phase, ...]:
        if raw is None:
            self.problem(
                "phases", "no [[phases]] declared; add at least one with a name and prompt"
            )
            return ()
        error = kind_error(raw, "list[table]")
        if error:
            self.problem("phases", f"{error}; declare phases as [[phases]] tables")
            return ()
        if not raw:
            self.problem(
                "phases", "no [[phases]] declared; add at least one with a name and prompt"
            )
        phases, seen = [], set()
        for index, table in enumerate(raw):
            key = f"phases[{index}]"
            values = self.reader.table(table, key, PHASE_FIELDS)
            name = values["name"]
            if name and name in seen:
                self.problem(
                    f"{key}.name", f"phase name '{name}' is used twice; names must be unique"
                )
            seen.add(name)
            prompt_file = None
            prompt = values["prompt"]
            if prompt.startswith("file:"):
                prompt_file = inside(self.harness_dir, prompt[5:].strip())
                prompt = self._file_ref(prompt, f"{key}.prompt")
            phases.append(
                Phase(
                    name=name,
                    prompt=prompt,
                    prompt_file=prompt_file,
                    run_once=values["run_once"],
                    condition=self._condition(values["condition"], f"{key}.condition"),
                )
            )
        return tuple(phases)

    def _condition(self, value: str | None, key: str) -> Condition | None:
        if value is None:
            return None
        kind, sep, path = value.partition(":")
        if not sep or kind not in ("exists", "not_exists"):
            hint = did_you_mean(kind, ("exists", "not_exists")) if sep else ""
            self.problem(key, f"'{value}' must be exists:PATH or not_exists:PATH{hint}")
            return None
        if not self._project_path(path.strip(), key):
            return None
        return Condition(kind=kind, path=path.strip())  # type: ignore[arg-type]

    def _init_files(self, raw: Any) -> tuple[InitFile, ...]:
        error = kind_error(raw, "list[table]")
        if error:
            self.problem("init_files", f"{error}; declare them as [[init_files]] tables")
            return ()
        files = []
        for index, table in enumerate(raw):
            key = f"init_files[{index}]"
            values = self.reader.table(table, key, INIT_FILE_FIELDS)
            source = (
                self._harness_file(values["source"], f"{key}.source") if values["source"] else None
            )
            dest_ok = bool(values["dest"]) and self._project_path(values["dest"], f"{key}.dest")
            if source is not None and dest_ok:
                files.append(InitFile(source=source, dest=values["dest"]))
        return tuple(files)
