"""``load_config``: the config file read generically over the model, plus a few hooks.

Precedence: command line (``overrides``) > environment (``AGENT_HARNESS_MODEL``,
``AGENT_HARNESS_MAX_ITERATIONS``) > config file > defaults. Every problem in a file is
collected into one ``ConfigError`` naming the file and the dotted key; bad config never ends in
a traceback. Keys, kinds, defaults and checks come from ``model.py``; the hooks here hold only
what spans several keys or reaches outside the file (other files, the environment, plugins).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from .. import envvars
from ..errors import ConfigError, ConfigProblem
from ..layout import Layout
from .fields import Reader, did_you_mean, expand_vars, inside, join_key
from .limits import ErrorRecoveryConfig
from .model import (
    Condition,
    Config,
    InitFile,
    McpRestriction,
    McpServer,
    Phase,
    TrackingConfig,
    report_folder,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

OVERRIDABLE = ("model", "max_iterations")
"""Keys the environment and the command line may set over the file."""


def load_config(
    project_dir: Path,
    harness_dir: Path | None = None,
    *,
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
    tracker_types: Collection[str] | None = None,
) -> Config:
    """Read, validate and resolve the project's config; raise one ConfigError with every problem.

    ``tracker_types`` are the names the installed trackers answer to; None skips that check, so
    that this package never has to load the plugins itself.
    """
    layout = Layout.of(project_dir, harness_dir)
    data = _parse(layout.config)
    env = os.environ if environ is None else environ
    return _Loader(layout, env, overrides or {}, tracker_types).load(data)


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


def _selection(value: object) -> tuple[str, ...]:
    return tuple(str(a) for a in value) if isinstance(value, (list, tuple)) else ()


class _Loader:
    """The hooks, each finishing one model's values in place before it is built."""

    def __init__(
        self,
        layout: Layout,
        environ: Mapping[str, str],
        overrides: Mapping[str, object],
        tracker_types: Collection[str] | None,
    ) -> None:
        self.layout = layout
        self.environ = environ
        self.overrides = overrides
        self.tracker_types = tracker_types
        self.reader = Reader(
            hooks={
                Config: self._config,
                McpServer: self._server,
                McpRestriction: self._restriction,
                TrackingConfig: self._tracking,
                ErrorRecoveryConfig: self._recovery,
                Phase: self._phase,
                InitFile: self._init_file,
            }
        )

    def problem(self, key: str, message: str) -> None:
        self.reader.problem(key, message)

    def load(self, data: dict[str, Any]) -> Config:
        config: Config = self.reader.read(Config, data, "")
        if self.reader.problems:
            raise ConfigError(self.layout.config, self.reader.problems)
        return config

    # -- the top level -------------------------------------------------------------------

    def _config(self, values: dict[str, Any], key: str, raw: Mapping[str, Any]) -> None:
        values["path"] = self.layout.config
        values["project_dir"] = self.layout.project_dir
        values["harness_dir"] = self.layout.harness_dir
        values["system_prompt"] = self._file_ref(values["system_prompt"], "system_prompt")
        if raw.get("phases", []) == []:
            self.problem(
                "phases", "no [[phases]] declared; add at least one with a name and prompt"
            )
        seen: set[str] = set()
        for index, phase in enumerate(values["phases"]):
            if phase.name and phase.name in seen:
                self.problem(
                    f"phases[{index}].name",
                    f"phase name '{phase.name}' is used twice; names must be unique",
                )
            seen.add(phase.name)
        sources = {name: "config file" if name in raw else "default" for name in OVERRIDABLE}
        self._environment(values, sources)
        for name in OVERRIDABLE:
            if self.overrides.get(name) is not None:
                values[name] = self.overrides[name]
                sources[name] = "command line"
        values["pytest_selection"] = _selection(self.overrides.get("pytest_selection"))
        values["sources"] = sources

    def _environment(self, values: dict[str, Any], sources: dict[str, str]) -> None:
        model = self.environ.get(envvars.MODEL)
        if model:
            values["model"] = model
            sources["model"] = f"environment ({envvars.MODEL})"
        raw = self.environ.get(envvars.MAX_ITERATIONS)
        if raw:
            try:
                value = int(raw)
                if value < 1:
                    raise ValueError
            except ValueError:
                self.problem(
                    "max_iterations",
                    f"{envvars.MAX_ITERATIONS} in the environment is '{raw}'; "
                    "it must be a whole number of at least 1",
                )
            else:
                values["max_iterations"] = value
                sources["max_iterations"] = f"environment ({envvars.MAX_ITERATIONS})"

    # -- paths ---------------------------------------------------------------------------

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
        harness_dir = self.layout.harness_dir
        resolved = inside(harness_dir, relative)
        if resolved is None:
            self.problem(key, f"'{relative}' must be a relative path inside {harness_dir}")
            return None
        if not resolved.is_file():
            self.problem(key, f"file '{relative}' does not exist in {harness_dir}")
            return None
        return resolved

    def _project_path(self, relative: str, key: str) -> bool:
        if inside(self.layout.project_dir, relative) is None:
            self.problem(key, f"'{relative}' must be a relative path inside the project")
            return False
        return True

    # -- tables --------------------------------------------------------------------------

    def _server(self, values: dict[str, Any], key: str, raw: Mapping[str, Any]) -> None:
        """Only the keys of the server's type, with ``${VAR}`` expanded; a url that is one."""
        kind = values["type"]
        own = ("command", "args", "env", "pass_env") if kind == "stdio" else ("url", "headers")
        for name in ("command", "args", "env", "pass_env", "url", "headers"):
            if name in raw and name not in own:
                self.problem(f"{key}.{name}", f"is not used by a '{kind}' server; remove it")
        expand = self._expand
        if kind == "stdio":
            if values["command"] is None and "command" not in raw:
                self.problem(f"{key}.command", "is required for a stdio server")
            values.update(
                command=expand(values["command"] or "", f"{key}.command"),
                args=tuple(expand(a, f"{key}.args[{i}]") for i, a in enumerate(values["args"])),
                env={k: expand(v, f"{key}.env.{k}") for k, v in values["env"].items()},
                url=None,
                headers={},
            )
            return
        url = expand(values["url"] or "", f"{key}.url")
        if not re.match(r"^https?://\S+$", url):
            self.problem(f"{key}.url", f"a '{kind}' server needs an http:// or https:// url")
        values.update(
            url=url,
            headers={k: expand(v, f"{key}.headers.{k}") for k, v in values["headers"].items()},
            command=None,
            args=(),
            env={},
        )

    def _expand(self, value: str, key: str) -> str:
        return expand_vars(value, self.environ, key, self.reader)

    def _restriction(self, values: dict[str, Any], key: str, raw: Mapping[str, Any]) -> None:
        """Compile ``blocked_patterns`` now, so a bad regex is a config error, not a crash."""
        patterns = []
        for index, pattern in enumerate(values["blocked_patterns"]):
            try:
                patterns.append(re.compile(pattern))
            except re.error as exc:
                self.problem(
                    join_key(f"{key}.blocked_patterns", f"[{index}]"),
                    f"regex '{pattern}' does not compile: {exc}",
                )
        values["blocked_patterns"] = tuple(patterns)

    def _tracking(self, values: dict[str, Any], key: str, raw: Mapping[str, Any]) -> None:
        self._project_path(values["file"], f"{key}.file")
        known = self.tracker_types
        if known is not None and values["type"] not in known:
            listed = ", ".join(f"'{name}'" for name in known)
            hint = did_you_mean(values["type"], known)
            self.problem(
                f"{key}.type",
                f"unknown tracker '{values['type']}'{hint}; installed trackers: {listed}",
            )
        uses_junit = values["type"] == "junit" or values["evidence"] == "junit"
        if uses_junit and not values["junit_paths"]:
            self.problem(f"{key}.junit_paths", "list the JUnit XML files to read (globs)")
        if values["junit_command"] and not values["junit_paths"]:
            self.problem(f"{key}.junit_paths", "list the reports junit_command writes (globs)")
        for index, pattern in enumerate(values["junit_paths"]):
            if values["junit_command"] and not report_folder(pattern).parts:
                self.problem(
                    f"{key}.junit_paths[{index}]",
                    f"'{pattern}' must name a folder for the reports (such as reports/*.xml): "
                    "the harness protects that folder from the agent",
                )
            if pattern.startswith(("/", "~")) or ".." in Path(pattern).parts:
                self.problem(
                    f"{key}.junit_paths[{index}]", f"'{pattern}' must stay inside the project"
                )

    def _recovery(self, values: dict[str, Any], key: str, raw: Mapping[str, Any]) -> None:
        initial = values["initial_backoff_seconds"]
        if values["max_backoff_seconds"] < initial:
            self.problem(
                f"{key}.max_backoff_seconds",
                f"must be at least initial_backoff_seconds ({initial:g})",
            )

    def _phase(self, values: dict[str, Any], key: str, raw: Mapping[str, Any]) -> None:
        """Read a ``file:`` prompt (keeping its path) and parse the condition."""
        prompt = values["prompt"]
        if prompt.startswith("file:"):
            values["prompt_file"] = inside(self.layout.harness_dir, prompt[5:].strip())
            values["prompt"] = self._file_ref(prompt, f"{key}.prompt")
        values["condition"] = self._condition(values["condition"], f"{key}.condition")

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

    def _init_file(self, values: dict[str, Any], key: str, raw: Mapping[str, Any]) -> None:
        """The source must exist in the harness dir, the destination stay in the project."""
        source = values["source"]
        resolved = self._harness_file(source, f"{key}.source") if source else None
        if values["dest"]:
            self._project_path(values["dest"], f"{key}.dest")
        values["source"] = resolved if resolved is not None else Path(source)
