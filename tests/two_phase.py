"""A two-phase project for end-to-end tests: an initializer writes a feature list, coding follows.

The real Claude Code CLI runs real tools in a fresh project; only the model is scripted. The
initializer session writes a feature list, the coding session builds the feature, checks it with
Bash and marks the items passing, and the json_checklist tracker ends the run as complete.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_agent_harness.testing import Reply

DEMO_CONFIG = """\
# A two-phase project: the initializer writes the feature list once, coding sessions follow.
max_turns = 30
auto_continue_delay = 0
post_run_instructions = "Try it: python3 greet.py World"

[tools]
builtin = ["Read", "Write", "Edit", "Glob", "Grep", "Bash"]

[security]
permission_mode = "acceptEdits"

[security.sandbox]
enabled = false

[security.bash]
allowed_commands = ["python3"]

[tracking]
type = "json_checklist"
file = "feature_list.json"

[[phases]]
name = "initializer"
prompt = "file:prompts/initializer.md"
run_once = true
condition = "not_exists:feature_list.json"

[[phases]]
name = "coding"
prompt = "file:prompts/coding.md"
"""

INITIALIZER_PROMPT = """\
Read app_spec.txt and write feature_list.json: a JSON array of items, each
{"description": ..., "steps": [...], "passes": false}. Do not implement anything yet.
"""

CODING_PROMPT = """\
Pick the first item in feature_list.json whose "passes" is false, implement it, run it to
check it really works, and only then set its "passes" to true. Never edit descriptions or
remove items.
"""

APP_SPEC = "A command-line greeter: `python3 greet.py NAME` prints `Hello, NAME!`.\n"

FEATURES = [
    {
        "description": "greet.py prints a greeting for the name given",
        "steps": ["run python3 greet.py World", "see Hello, World!"],
        "passes": False,
    },
    {
        "description": "greet.py without a name greets the world",
        "steps": ["run python3 greet.py", "see Hello, world!"],
        "passes": False,
    },
]

GREET = """\
import sys

name = sys.argv[1] if len(sys.argv) > 1 else "world"
print(f"Hello, {name}!")
"""


def write_project(project_dir: Path) -> None:
    """Lay out the demo project: config, prompts, spec."""
    harness = project_dir / ".agent-harness"
    (harness / "prompts").mkdir(parents=True, exist_ok=True)
    (harness / "config.toml").write_text(DEMO_CONFIG, encoding="utf-8")
    (harness / "prompts" / "initializer.md").write_text(INITIALIZER_PROMPT, encoding="utf-8")
    (harness / "prompts" / "coding.md").write_text(CODING_PROMPT, encoding="utf-8")
    (project_dir / "app_spec.txt").write_text(APP_SPEC, encoding="utf-8")


def demo_script(project_dir: Path) -> list[Reply]:
    """What the scripted model says, turn by turn, across both sessions."""
    from pytest_agent_harness.testing import Turn, text, tool_use

    features = project_dir / "feature_list.json"
    return [
        # Session 1: initializer.
        Turn(
            text("I'll read the spec."),
            tool_use("Read", {"file_path": str(project_dir / "app_spec.txt")}),
        ),
        Turn(
            text("Writing the feature list."),
            tool_use(
                "Write", {"file_path": str(features), "content": json.dumps(FEATURES, indent=2)}
            ),
        ),
        Turn(text("The feature list is written; coding starts next session.")),
        # Session 2: coding.
        Turn(text("Reading the feature list."), tool_use("Read", {"file_path": str(features)})),
        Turn(
            text("Implementing greet.py."),
            tool_use("Write", {"file_path": str(project_dir / "greet.py"), "content": GREET}),
        ),
        Turn(
            text("Checking both features for real."),
            tool_use("Bash", {"command": "python3 greet.py World && python3 greet.py"}),
        ),
        Turn(
            text("Both work; marking them passing."),
            tool_use(
                "Edit",
                {
                    "file_path": str(features),
                    "old_string": '"passes": false',
                    "new_string": '"passes": true',
                    "replace_all": True,
                },
            ),
        ),
        Turn(text("All features pass.")),
    ]
