"""Which changes of a session are its agent's, for the checkpoint to commit.

Paths the agent's file tools name (Write, Edit, NotebookEdit) are its own. A file that appears
during the session without a file tool naming it (the output of a Bash command, a file a test
run writes) is its own when it was made while one of its tool calls ran: each call is a window
from the moment the harness sees it to the moment its result comes back, and a Bash command
started in the background keeps its window open until the session ends. A file made between
tool calls (the user's ``> run.log``, an editor's backup, anything the person does meanwhile) is
left out, and so is one that was there, untracked, before the session started. A file the
session renamed (``git mv``, ``mv``, a folder renamed) keeps its content and is no new file.

The time a file was made is read from its inode change time, which a program cannot set back.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MARGIN_SECONDS = 1.0
"""Slack on each side of a window: the time between a tool's result and its event, and file
systems that keep times to the second."""


@dataclass
class ToolWindows:
    """The spans of one session's tool calls, in wall-clock seconds."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    open: dict[str, float] = field(default_factory=dict)

    def started(self, call_id: str, tool_input: object) -> None:
        if isinstance(tool_input, dict) and tool_input.get("run_in_background"):
            call_id = f"background:{call_id}"  # its process outlives the call's result
        self.open[call_id] = time.time()

    def finished(self, call_id: str) -> None:
        start = self.open.pop(call_id, None)
        if start is not None:
            self.spans.append((start, time.time()))

    def close(self) -> None:
        """At the end of the session: whatever is still open ends now."""
        for call_id in list(self.open):
            self.finished(call_id)

    def covers(self, moment: float) -> bool:
        return any(a - MARGIN_SECONDS <= moment <= b + MARGIN_SECONDS for a, b in self.spans)


def made_outside(root: Path, paths: Iterable[str], *, windows: ToolWindows) -> set[str]:
    """Of ``paths`` (files new in this session), those made outside every tool call."""
    outside = set()
    for path in paths:
        try:
            changed = os.lstat(root / path).st_ctime
        except OSError:
            continue  # gone again: nothing to commit, nothing to leave out
        if not windows.covers(changed):
            outside.add(path)
    return outside
