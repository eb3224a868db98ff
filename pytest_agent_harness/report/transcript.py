"""A session's transcript (its JSONL in the harness's logs) as text a person reads: the
assistant's words, each tool call, errors and denials, results trimmed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..agent.display import printable

RESULT_LINES = 6
LINE_CHARS = 300


def _cut(text: str, limit: int = LINE_CHARS) -> str:
    text = printable(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _result(text: str) -> Iterator[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines[:RESULT_LINES]:
        yield f"      | {printable(line[:LINE_CHARS])}"
    if len(lines) > RESULT_LINES:
        yield f"      | ... ({len(lines) - RESULT_LINES} more lines)"


def _event(event: dict[str, object]) -> Iterator[str]:
    kind, text, tool = event.get("kind"), str(event.get("text") or ""), event.get("tool") or ""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)
    if kind == "init":
        yield f"model: {text or 'unknown'}"
    elif kind == "text":
        yield f"agent: {_cut(text, 2000)}"
    elif kind == "tool_call":
        yield f"  > {tool}: {_cut(text)}"
    elif kind == "tool_result":
        yield f"    {'! error' if event.get('is_error') else 'result'}:"
        yield from _result(text)
    elif kind == "denial":
        yield f"    x denied {tool}: {_cut(text)}"
    elif kind == "retry":
        status = data.get("error_status") or "connection error"
        yield f"  (API {status}: the CLI retried)"
    elif kind == "result":
        outcome = "error" if data.get("is_error") else "ended"
        yield (
            f"session {outcome}: {data.get('num_turns', '?')} turns, "
            f"${float(str(data.get('cost_usd') or 0)):.4f}"
        )


def transcript_text(path: Path) -> str:
    """The readable transcript; a line that is not JSON is shown as it is."""
    out: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                out.append(f"(unreadable line) {printable(raw.strip()[:LINE_CHARS])}")
                continue
            if isinstance(event, dict):
                out.extend(_event(event))
    return "\n".join(out) + "\n"
