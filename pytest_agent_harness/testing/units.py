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

from .script import Delay, Reply, Request, Turn, text

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
