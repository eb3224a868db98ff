"""``agent-harness init``: a starter ``.agent-harness/`` that loads cleanly and runs as is.

The config is built as data and written by tomli-w, so it is valid TOML by construction; short
comments, the config model's own help for each table and key, are then placed above them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from ..config import DEFAULT_TOOLS, key_help
from ..errors import ExitCode, UsageError
from ..layout import Layout

STARTER: dict[str, Any] = {
    "max_turns": 1000,
    "max_iterations": 50,
    "auto_continue_delay": 3,
    "post_run_instructions": "Review the checkpoint commits with `git log`, then run the app.",
    "tools": {"builtin": list(DEFAULT_TOOLS)},
    "security": {
        "permission_mode": "acceptEdits",
        "allowed_paths": ["./**"],
        "sandbox": {"enabled": True, "auto_allow_bash_if_sandboxed": True},
        "bash": {"allowed_commands": ["git", "python3", "pytest"]},
    },
    "tracking": {"type": "json_checklist", "file": "feature_list.json", "passing_field": "passes"},
    "budget": {
        "max_cost_usd": 10.0,
        "max_sessions_without_progress": 5,
        "max_duration": "8h",
    },
    "error_recovery": {
        "max_consecutive_errors": 5,
        "initial_backoff_seconds": 5.0,
        "max_backoff_seconds": 120.0,
        "backoff_multiplier": 2.0,
    },
    "phases": [
        {
            "name": "initializer",
            "prompt": "file:prompts/initializer.md",
            "run_once": True,
            "condition": "not_exists:feature_list.json",
        },
        {"name": "coding", "prompt": "file:prompts/coding.md"},
    ],
    "init_files": [{"source": "prompts/app_spec.txt", "dest": "app_spec.txt"}],
}

HEADER = "# agent-harness config: `agent-harness verify` checks it; the README lists every key."
PHASE_COMMENTS = (
    "# Runs once, while feature_list.json does not exist yet.",
    "# Repeats until the tracker says complete.",
)

INITIALIZER = """\
You are the first of many sessions working on this project. Each session starts with a fresh
context, so everything the next one needs must be written down in files.

1. Read `app_spec.txt` carefully: it describes what to build.
2. Write `feature_list.json`: a JSON array with one object per feature or behaviour to build and
   check, each of the form

       {"description": "what the feature does, in one sentence",
        "steps": ["how to check it", "step by step"],
        "passes": false}

   Cover the whole specification, one testable behaviour per item, in the order to build them.
   Every item starts with "passes": false.
3. Set up the project skeleton the specification calls for (files, folders, a README saying how to
   run it) and commit nothing by hand: the harness commits your work after the session.

Do not implement features yet and do not mark anything as passing. Later sessions will work
through the list one item at a time.
"""

CODING = """\
You are continuing work on this project in a fresh context. Earlier sessions left their work in
the files and in git history.

1. Get your bearings: read `app_spec.txt`, `feature_list.json`, and `git log --oneline -20`.
2. Pick the first item in `feature_list.json` whose "passes" is false.
3. Implement it completely.
4. Check it for real, by following its "steps": run the code or the tests and read the output.
   If it does not work, fix it and check again.
5. Only when it demonstrably works, change that item's "passes" to true.

Rules:
- Never remove items from `feature_list.json` and never edit their "description" or "steps":
  the harness checks the list and restores it if it was changed.
- Do not mark an item passing that you have not checked in this session.
- Leave the project in a working state: the next session continues from what you leave behind.
"""

APP_SPEC = """\
Describe the application to build here: what it does, for whom, its main features, the stack
to use, and how to run it. The initializer session turns this into feature_list.json.
"""


def render_config() -> str:
    """The starter config as TOML text, with each table's and key's help as a comment above.

    The help comes from the config model (``key_help``), so it cannot drift from what loads.
    """
    out = [HEADER, f"# {key_help('model')}", '# model = "..."']
    table, phase_index = "", 0
    seen: set[str] = set()
    for line in tomli_w.dumps(STARTER).splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped.strip("[]")
            if out[-1] != "":
                out.append("")
            if table not in seen:
                out.append(f"# {key_help(table)}")
            if table == "phases":
                out.append(PHASE_COMMENTS[min(phase_index, len(PHASE_COMMENTS) - 1)])
                phase_index += 1
            seen.add(table)
        elif " = " in line and not line.startswith((" ", "]")):
            name = line.split(" = ", 1)[0]
            dotted = f"{table}.{name}" if table else name
            if dotted not in seen:
                out.append(f"# {key_help(dotted)}")
            seen.add(dotted)
        out.append(line)
    return "\n".join(out).rstrip() + "\n"


def init_project(project_dir: Path, harness_dir: Path | None = None) -> list[Path]:
    """Write the starter files; refuse, writing nothing, when a config already exists."""
    layout = Layout.of(project_dir, harness_dir)
    config = layout.config
    if config.exists():
        raise UsageError(
            f"{config} already exists and was kept; edit it, or remove it to start over"
        )
    files = {
        config: render_config(),
        layout.gitignore: layout.gitignore_text(),
        layout.prompt("initializer.md"): INITIALIZER,
        layout.prompt("coding.md"): CODING,
        layout.prompt("app_spec.txt"): APP_SPEC,
    }
    written = []
    for path, content in files.items():
        if path.exists():
            continue  # a prompt the user already wrote is theirs
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def run_init(layout: Layout) -> int:
    for path in init_project(layout.project_dir, layout.harness_dir):
        print(f"created {path}")
    print("Next: edit the prompts and config, then run `agent-harness verify`.")
    return int(ExitCode.COMPLETE)
