"""A session's prompt: the phase's text, then what the harness knows that the agent must."""

from __future__ import annotations

MAX_ERROR_CHARS = 1500
MAX_PROGRESS_CHARS = 3000


def assemble_prompt(
    phase_prompt: str,
    *,
    session: int,
    progress: str = "",
    last_error: str = "",
    notices: tuple[str, ...] = (),
) -> str:
    """The phase prompt followed by harness context, each part bounded in length."""
    parts = [phase_prompt.rstrip()]
    context = [
        f"This is session {session}. You start with a fresh context: read the project's files "
        "to see what earlier sessions did."
    ]
    if progress:
        context.append(
            "Progress as the harness measured it:\n" + _bounded(progress, MAX_PROGRESS_CHARS)
        )
    if last_error:
        context.append(
            "The previous session ended with an error; take it into account:\n"
            + _bounded(last_error, MAX_ERROR_CHARS)
        )
    context.extend(notices)
    parts.append("## From the harness\n\n" + "\n\n".join(context))
    return "\n\n".join(parts) + "\n"


def _bounded(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 20].rstrip() + "\n[... truncated]"
