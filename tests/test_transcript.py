"""Transcripts keep every event and never a credential."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_agent_harness.agent.session import SessionEvent
from pytest_agent_harness.agent.transcript import Redactor, Transcript, read_transcript

API_KEY = "sk-ant-api03-" + "Z" * 60
OAUTH = "sk-ant-oat01-" + "Q" * 60


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"export ANTHROPIC_API_KEY={API_KEY}", API_KEY),
        (f"token is {OAUTH}.", OAUTH),
        ("Authorization: Bearer abcdefghijklmnop1234", "abcdefghijklmnop1234"),
        ("ghp_" + "a" * 36, "ghp_" + "a" * 36),
        ("AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOP"),
        ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
        ("api_key=s3cr3tvalue99", "s3cr3tvalue99"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "MIIE"),
    ],
)
def test_credential_looking_strings_are_redacted(text: str, secret: str) -> None:
    redacted = Redactor(environ={}).text(text)
    assert secret not in redacted
    assert "[REDACTED]" in redacted


def test_values_of_secret_variables_are_redacted_whatever_their_shape() -> None:
    redactor = Redactor(environ={"CLAUDE_CODE_OAUTH_TOKEN": "plain-looking-value-123"})
    assert redactor.text("echo plain-looking-value-123") == "echo [REDACTED]"


def test_ordinary_text_is_left_alone() -> None:
    text = "pytest -k 'test_password_reset' passed: 3 tests, see keys.py"
    assert Redactor(environ={}).text(text) == text


def test_transcript_writes_one_redacted_line_per_event(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "session-001.jsonl"
    transcript = Transcript(path, Redactor(environ={"ANTHROPIC_API_KEY": API_KEY}))
    transcript.write(
        SessionEvent(
            kind="tool_call",
            tool="Bash",
            text=f"echo {API_KEY}",
            data={"input": {"command": f"curl -H 'x-api-key: {API_KEY}'"}},
        )
    )
    transcript.write(SessionEvent(kind="denial", tool="Bash", text="rm -rf /"))
    transcript.close()
    raw = path.read_text()
    assert API_KEY not in raw
    records = list(read_transcript(path))
    assert [r["kind"] for r in records] == ["tool_call", "denial"]
    assert json.loads(raw.splitlines()[1])["text"] == "rm -rf /"
