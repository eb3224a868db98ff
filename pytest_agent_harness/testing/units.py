"""A scripted model for parallel runs, where several sessions talk to it at once.

A list of replies cannot say which worker asked. ``UnitScript`` answers each request from the
unit its session works on (the ``Your unit: `KEY``` line of the prompt) and from how many
answers that conversation has had, so the same script plays the same way with one worker or
eight, in any order. ``replies(key, cwd)`` gives a unit's turns; ``{cwd}`` is the session's
working directory, the unit's worktree, which the prompt states.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from .script import Delay, Reply, Request, Turn, text, tool_use

UNIT = re.compile(r"Your unit: `([^`]+)`")
WORKING_DIRECTORY = re.compile(r"Your copy of the project: `([^`]+)`")
DONE = Turn(text("Done: this unit's tests pass."))


class UnitScript:
    """A ``ScriptedModel`` handler: ``ScriptedModel(handler=UnitScript(replies))``.

    ``delay`` is added before every answer (model latency); a conversation that has had all
    of its unit's replies gets a closing text, and one with no unit in its prompt gets that
    at once."""

    def __init__(
        self, replies: Callable[[str, str], Sequence[Reply]], *, delay: float = 0.0
    ) -> None:
        self.replies = replies
        self.delay = delay
        self.units: list[str] = []
        """The unit of every conversation's first request, in the order they came."""

    def __call__(self, request: Request) -> Reply:
        first = _first_user_text(request)
        match = UNIT.search(first)
        answered = sum(1 for m in request.messages if m.get("role") == "assistant")
        reply: Reply = DONE
        if match is not None:
            key = match[1]
            if answered == 0:
                self.units.append(key)
            cwd = WORKING_DIRECTORY.search(first)
            script = self.replies(key, cwd[1] if cwd else "")
            if answered < len(script):
                reply = script[answered]
        return Delay(self.delay, reply) if self.delay else reply


def _first_user_text(request: Request) -> str:
    for message in request.messages:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        return "\n".join(
            str(block.get("text", "")) for block in content or [] if isinstance(block, dict)
        )
    return ""


def write_unit_job(project: Path, units: int) -> None:
    """A job of ``units`` independent units for trying parallel runs: ``tests/test_uNN.py``
    expects ``uNN.value()`` to be NN, and every ``uNN.py`` starts out returning -1, so every
    unit fails until its work is done. ``fix_unit`` is the script that does each unit's work."""
    (project / "tests").mkdir(parents=True, exist_ok=True)
    (project / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    for number in range(units):
        name = f"u{number:02d}"
        (project / f"{name}.py").write_text("def value():\n    return -1\n")
        (project / "tests" / f"test_{name}.py").write_text(
            f"import {name}\n\n\ndef test_value():\n    assert {name}.value() == {number}\n"
        )


def fix_unit(key: str, cwd: str) -> list[Reply]:
    """The replies that do the work of unit ``tests/test_uNN.py`` of ``write_unit_job``."""
    number = int(re.sub(r"\D", "", key.rsplit("/", 1)[-1]) or 0)
    source = f"def value():\n    return {number}\n"
    return [Turn(tool_use("Write", {"file_path": f"{cwd}/u{number:02d}.py", "content": source}))]
