"""``agent-harness try --script FILE``: the project's config, run offline on a scripted model.

The project is copied (without ``.git`` and the harness's runtime files) into a new temporary
folder, or ``--into DIR``, and a run starts there with the real Claude Code CLI answered by the
scripted model: the config's prompts, phases, tools, allowlists and tracker are exercised, and
the project itself is left as it was. Costs shown are the scripted usage's: simulated.

The script is JSON (``{"replies": [...]}``) or TOML (``[[replies]]``); each reply is one answer
of the model, played in order:

- ``text``: what the assistant says; ``tools``: a list of ``{name, input}`` tool calls;
- ``http_error`` (a status) with optional ``headers``: an error answer instead;
- ``delay``: seconds to wait before answering.

``{project}`` in any string is replaced by the folder the run happens in, so a script can name
files (``{"name": "Write", "input": {"file_path": "{project}/notes.md", ...}}``).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from ..agent.display import Display
from ..errors import UsageError
from ..layout import HARNESS_DIR_NAME, RUNTIME_IGNORES, Layout

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def _placed(value: Any, project: str) -> Any:
    if isinstance(value, str):
        return value.replace("{project}", project)
    if isinstance(value, list):
        return [_placed(v, project) for v in value]
    if isinstance(value, dict):
        return {k: _placed(v, project) for k, v in value.items()}
    return value


def load_script(path: Path, project: Path) -> list[Any]:
    """The replies of a script file, as the scripted model plays them."""
    from ..testing import Delay, HttpError, Turn, text, tool_use

    try:
        raw = path.read_text(encoding="utf-8")
        data = tomllib.loads(raw) if path.suffix == ".toml" else json.loads(raw)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot be read as a script ({exc})") from exc
    replies = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(replies, list) or not replies:
        raise UsageError(f"{path}: expected a non-empty 'replies' list (see `try --help`)")
    out: list[Any] = []
    for index, reply in enumerate(_placed(replies, str(project)), start=1):
        if not isinstance(reply, dict):
            raise UsageError(f"{path}: replies[{index}] should be a table or object")
        if "http_error" in reply:
            answer: Any = HttpError(int(reply["http_error"]), headers=reply.get("headers") or {})
        else:
            blocks = [text(str(reply["text"]))] if reply.get("text") else []
            for call in reply.get("tools") or []:
                blocks.append(tool_use(str(call["name"]), dict(call.get("input") or {})))
            if not blocks:
                raise UsageError(f"{path}: replies[{index}] has no text, tools or http_error")
            answer = Turn(*blocks)
        out.append(Delay(float(reply["delay"]), answer) if reply.get("delay") else answer)
    return out


def _copy(project: Path, into: Path) -> None:
    """The project less ``.git`` and the harness's runtime files (the runtime .gitignore's own
    patterns), so the try starts where a first run would."""
    runtime = [entry.rstrip("/") for entry in RUNTIME_IGNORES if not entry.startswith("#")]

    def ignored(folder: str, names: list[str]) -> set[str]:
        skip = {".git"} & set(names)
        if Path(folder).name == HARNESS_DIR_NAME:
            skip |= {n for n in names if any(fnmatch(n, pattern) for pattern in runtime)}
        return skip

    shutil.copytree(project, into, symlinks=True, ignore=ignored, dirs_exist_ok=True)


def run_try(
    layout: Layout,
    script: Path,
    into: Path | None,
    max_iterations: int | None,
    display: Display | None = None,
) -> int:
    from ..config import load_config
    from ..plugins import load_plugins
    from ..run.loop import Runner
    from ..testing import ScriptedModel
    from .demo import _state_dir_in

    if not layout.config.exists():
        raise UsageError(f"{layout.config} does not exist; run `agent-harness init` first")
    if into is not None and into.exists() and any(into.iterdir()):
        raise UsageError(f"--into {into} is not empty; give an empty or new folder")
    target = into or Path(tempfile.mkdtemp(prefix="agent-harness-try-"))
    _copy(layout.project_dir, target)
    copy = Layout.of(target)
    display = display or Display(cost_note=" (simulated)")
    display.line(f"Trying {layout.config} in {copy.project_dir} (the project is left as it was)")
    with (
        tempfile.TemporaryDirectory(prefix="agent-harness-try-home-") as home,
        _state_dir_in(Path(home) / "state"),
        ScriptedModel(load_script(script, copy.project_dir)) as model,
    ):
        env = model.env(config_dir=copy.claude_config_dir, home=Path(home))
        display.line(f"Scripted model on {model.url}: {len(model.remaining)} replies, offline")
        plugins = load_plugins()
        overrides = {"max_iterations": max_iterations} if max_iterations else {}
        config = load_config(
            copy.project_dir, overrides=overrides, tracker_types=plugins.tracker_types()
        )
        result = Runner(config, display, plugins=plugins, extra_env=env).run()
        display.line(f"Requests the model answered: {len(model.requests)}")
    return int(result.exit_code)
