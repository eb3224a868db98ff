"""The scripted model at the protocol level: SSE events, errors, recording, exhaustion."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

import pytest

from pytest_agent_harness.testing import (
    BrokenStream,
    Delay,
    HttpError,
    Request,
    ScriptedModel,
    Turn,
    text,
    tool_use,
)

TOOLS = [{"name": "Write", "input_schema": {"type": "object"}}]


def post(
    model: ScriptedModel, body: dict[str, Any], path: str = "/v1/messages?beta=true"
) -> tuple[int, dict[str, str], bytes]:
    host, port = model.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        response = conn.getresponse()
        try:
            data = response.read()
        except http.client.IncompleteRead as exc:
            data = exc.partial
        return response.status, dict(response.getheaders()), data
    finally:
        conn.close()


def sse(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in data.decode().split("\n\n"):
        if chunk.strip():
            lines = dict(line.split(": ", 1) for line in chunk.splitlines())
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def main_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "m-1",
        "stream": True,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": "hi"}],
        **extra,
    }


def test_text_and_tool_use_stream_in_api_order() -> None:
    call = tool_use("Write", {"file_path": "/p/x", "content": "a" * 50}, id="toolu_1")
    with ScriptedModel([Turn(text("hello"), call)]) as model:
        status, headers, data = post(model, main_body())
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    events = sse(data)
    assert [e for e, _ in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[0][1]["message"]["model"] == "m-1"
    assert events[4][1]["content_block"] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "Write",
        "input": {},
    }
    partial = "".join(d["delta"]["partial_json"] for e, d in events[5:7])
    assert json.loads(partial) == {"file_path": "/p/x", "content": "a" * 50}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_text_only_turn_ends_the_turn_and_reports_usage() -> None:
    with ScriptedModel([Turn(text("done"), usage={"input_tokens": 7, "output_tokens": 3})]) as m:
        events = sse(post(m, main_body())[2])
    assert events[0][1]["message"]["usage"]["input_tokens"] == 7
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"
    assert events[-2][1]["usage"]["output_tokens"] == 3


def test_http_error_has_status_headers_and_api_error_body() -> None:
    with ScriptedModel([HttpError(429, headers={"retry-after": "2"})]) as model:
        status, headers, data = post(model, main_body())
    assert status == 429
    assert headers["retry-after"] == "2"
    assert json.loads(data)["error"]["type"] == "rate_limit_error"


def test_broken_stream_stops_before_message_stop() -> None:
    with ScriptedModel([BrokenStream(after_events=2)]) as model:
        events = sse(post(model, main_body())[2])
    assert [e for e, _ in events] == ["message_start", "content_block_start"]


def test_non_streaming_request_gets_a_json_message() -> None:
    with ScriptedModel([Turn(text("plain"))]) as model:
        status, _, data = post(model, main_body(stream=False))
    message = json.loads(data)
    assert status == 200
    assert message["content"] == [{"type": "text", "text": "plain"}]
    assert message["stop_reason"] == "end_turn"


def test_delay_then_reply() -> None:
    with ScriptedModel([Delay(0.05, Turn(text("late")))]) as model:
        events = sse(post(model, main_body())[2])
    assert events[2][1]["delta"]["text"] == "late"


def test_side_requests_and_count_tokens_do_not_use_the_script() -> None:
    with ScriptedModel([Turn(text("main"))]) as model:
        _, _, counted = post(model, {"model": "m"}, "/v1/messages/count_tokens?beta=true")
        side = sse(post(model, {"model": "m", "stream": True, "messages": []})[2])
        assert model.remaining == [Turn(text("main"))]
        assert len(model.side_requests) == 2 and model.requests == []
    assert json.loads(counted) == {"input_tokens": 100}
    assert side[2][1]["delta"]["text"] == "OK"


def test_requests_are_recorded_with_tool_results() -> None:
    body = main_body(
        messages=[
            {"role": "user", "content": [{"type": "text", "text": "go"}]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "is_error": True,
                        "content": [{"type": "text", "text": "denied"}],
                    },
                ],
            },
        ],
        system=[{"type": "text", "text": "be brief"}],
    )
    with ScriptedModel([Turn(text("ok"))]) as model:
        post(model, body)
    (request,) = model.requests
    assert request.tools == ["Write"]
    assert request.system == "be brief"
    assert request.last_user_text == "go"
    assert request.tool_results == [{"tool_use_id": "t1", "content": "denied", "is_error": True}]


@pytest.mark.parametrize(("mode", "status"), [("end", 200), ("error", 500)])
def test_exhausted_script(mode: str, status: int) -> None:
    with ScriptedModel([], when_exhausted=mode) as model:  # type: ignore[arg-type]
        assert post(model, main_body())[0] == status


def test_handler_makes_each_reply() -> None:
    def handler(request: Request) -> Turn:
        return Turn(text(f"you said {request.last_user_text}"))

    with ScriptedModel(handler=handler) as model:
        events = sse(post(model, main_body())[2])
    assert events[2][1]["delta"]["text"] == "you said hi"


def test_stop_releases_the_port_and_thread() -> None:
    before = threading.active_count()
    model = ScriptedModel().start()
    url = model.url
    model.stop()
    assert threading.active_count() == before
    host, port = url.removeprefix("http://").split(":")
    with pytest.raises(OSError):
        http.client.HTTPConnection(host, int(port), timeout=2).request("GET", "/")
    with pytest.raises(RuntimeError):
        _ = model.url
