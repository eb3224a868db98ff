"""Per-session transcripts (JSON lines in the harness's logs), with credentials redacted.

Every event a session produces (messages, tool calls, tool results, denials, retries, the
result) is one JSON line. Transcripts are read by people and pasted into bug reports, so any
string that looks like a credential is replaced before it reaches the disk.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from ..envvars import SECRET_VARIABLES
from ..files import open_append
from .session import SessionEvent

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8

_PATTERNS = [
    re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/\-]{12,}=*"),
    re.compile(
        r"(?i)((?:api[_-]?key|auth[_-]?token|access[_-]?token|secret|password|passwd)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]{6,}"
    ),
]


class Redactor:
    """Replaces credential-looking strings and the values of known secret variables."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.values = sorted(
            {env[name] for name in SECRET_VARIABLES if len(env.get(name, "")) >= MIN_SECRET_LENGTH},
            key=len,
            reverse=True,
        )

    def text(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(_keep_prefix, text)
        return text

    def value(self, value: Any) -> Any:
        """Redact every string inside a JSON-like value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {str(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


def _keep_prefix(match: re.Match[str]) -> str:
    # Patterns with a group keep their label ("Bearer ", "api_key=") so the log stays readable.
    return (match.group(1) if match.re.groups else "") + REDACTED


class Transcript:
    """Appends a session's events to its JSONL file as they happen."""

    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        self.path = path
        self.redactor = redactor or Redactor()
        self._handle: BinaryIO | None = open_append(path)

    def write(self, event: SessionEvent) -> None:
        if self._handle is None:
            return
        record = {
            "time": round(time.time(), 3),
            "kind": event.kind,
            "tool": event.tool,
            "text": event.text,
            "is_error": event.is_error,
            "data": dict(event.data),
        }
        line = json.dumps(self.redactor.value(record), default=str) + "\n"
        self._handle.write(line.encode("utf-8"))
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_transcript(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
