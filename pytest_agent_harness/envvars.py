"""The environment variables the harness reads, sets or withholds, named once.

Secrets: the sandbox denies them to the agent's shell, the harness's own test runs start without
them, transcripts redact their values, and ``verify`` judges the ones the CLI reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

INNER_RUN = "AGENT_HARNESS_INNER_RUN"
"""Set in the pytest runs the harness makes, so that they never start a harness themselves."""
MODEL = "AGENT_HARNESS_MODEL"
MAX_ITERATIONS = "AGENT_HARNESS_MAX_ITERATIONS"

API_KEY = "ANTHROPIC_API_KEY"
AUTH_TOKEN = "ANTHROPIC_AUTH_TOKEN"
OAUTH_TOKEN = "CLAUDE_CODE_OAUTH_TOKEN"
API_CREDENTIALS = (API_KEY, AUTH_TOKEN, OAUTH_TOKEN)
"""What the Claude Code CLI authenticates with."""
ADDED_BY_CLI = ("CLAUDE_CODE_MESSAGING_TOKEN",)
"""Secrets the Claude Code CLI puts in the environment of what it starts (shells, servers)."""

OTHER_SECRETS = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "OPENAI_API_KEY",
)
"""Secrets commonly present in a developer's or CI's environment."""

SECRET_VARIABLES = API_CREDENTIALS + OTHER_SECRETS

_SECRET_NAME = re.compile(r"(_API_KEY$|_TOKEN$|_SECRET|PASSWORD)")


def is_secret(name: str) -> bool:
    """Whether a variable of this name should never reach a process the agent influences."""
    return name in SECRET_VARIABLES or bool(_SECRET_NAME.search(name))


def without_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in environ.items() if not is_secret(name)}
