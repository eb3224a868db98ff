"""A real HTTP server on 127.0.0.1 that speaks the Messages API, streaming SSE, from a script.

The Claude Code CLI sends its conversation as ``POST /v1/messages?beta=true`` with ``stream:
true``. Requests with a ``tools`` field (an empty list in a session without tools) are the
conversation (*main* requests) and each one plays the next item of the script; requests without
the field are the CLI's side requests (titles, summaries) and get a short text without using the
script, as do ``count_tokens`` calls. A
non-streaming request (the CLI's retry after a broken stream) gets the same reply as plain JSON.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from .script import BrokenStream, Delay, HttpError, Reply, Request, Turn, _next_id, text

Handler = Callable[[Request], Reply]
SIDE_REPLY = Turn(text("OK"), usage={"input_tokens": 10, "output_tokens": 1})


class ScriptedModel:
    """Plays a script of replies to the CLI; records every request for assertions.

    Use it as a context manager (``with ScriptedModel([...]) as model:``) or call ``start()``
    and ``stop()``. Give either a list of replies or a ``handler`` that makes one per request.
    """

    def __init__(
        self,
        script: Iterable[Reply] = (),
        *,
        handler: Handler | None = None,
        when_exhausted: Literal["end", "error"] = "end",
        model_name: str | None = None,
    ) -> None:
        self._script = list(script)
        self._handler = handler
        self.when_exhausted = when_exhausted
        self.model_name = model_name
        self.requests: list[Request] = []
        self.side_requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: _ModelServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScriptedModel:
        if self._server is not None:
            return self
        server = _ModelServer(self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns at once
            name="scripted-model",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests use ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the scripted model is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def remaining(self) -> list[Reply]:
        """Script items not played yet."""
        with self._lock:
            return list(self._script)

    def add(self, *replies: Reply) -> None:
        """Append replies to the script while it runs."""
        with self._lock:
            self._script.extend(replies)

    def env(
        self,
        config_dir: Path,
        home: Path,
        *,
        max_retries: int = 0,
        api_timeout_ms: int = 30_000,
    ) -> dict[str, str]:
        """Environment that points the CLI here, with its config dir and HOME isolated."""
        config_dir.mkdir(parents=True, exist_ok=True)
        home.mkdir(parents=True, exist_ok=True)
        return {
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_API_KEY": "scripted-model-key-not-a-secret",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "ENABLE_TOOL_SEARCH": "false",
            "CLAUDE_CONFIG_DIR": str(config_dir),
            "HOME": str(home),
            "CLAUDE_CODE_MAX_RETRIES": str(max_retries),
            "API_TIMEOUT_MS": str(api_timeout_ms),
        }

    # -- serving ---------------------------------------------------------------------------

    def _next_reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._handler is not None:
                return self._handler(request)
            if self._script:
                return self._script.pop(0)
        if self.when_exhausted == "error":
            return HttpError(
                500,
                body={
                    "type": "error",
                    "error": {"type": "api_error", "message": "script exhausted"},
                },
            )
        return Turn(text("Script finished."))

    def _record_side(self, request: Request) -> None:
        with self._lock:
            self.side_requests.append(request)


class _ModelServer(ThreadingHTTPServer):
    """The HTTP server of one ``ScriptedModel``: its handlers reach the model through it."""

    daemon_threads = True

    def __init__(self, model: ScriptedModel) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.model = model


class _Handler(BaseHTTPRequestHandler):
    """Answers one request from the CLI with its ``_ModelServer``'s model."""

    server: _ModelServer
    server_version = "scripted-model/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log on stderr."""

    def do_POST(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self._send_json(400, HttpError(400).payload())
            return
        request = Request(
            path=self.path,
            headers=dict(self.headers.items()),
            body=body,
            received_at=time.monotonic(),
        )
        model = self.server.model
        if "/count_tokens" in self.path:
            model._record_side(request)
            self._send_json(200, json.dumps({"input_tokens": 100}).encode())
        elif "tools" not in body:
            model._record_side(request)
            self._play(SIDE_REPLY, body)
        else:
            self._play(model._next_reply(request), body)

    def _read_body(self) -> Any:
        """The request's JSON body, ``{}`` when empty; ValueError when it is not JSON."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"{}")

    def _play(self, reply: Reply, body: Mapping[str, Any]) -> None:
        while isinstance(reply, Delay):
            time.sleep(reply.seconds)
            reply = reply.then
        name = self.server.model.model_name or str(body.get("model") or "scripted-model")
        if isinstance(reply, HttpError):
            self._send_json(reply.status, reply.payload(), reply.headers)
        elif isinstance(reply, BrokenStream):
            self._stream(
                _events(Turn(text("This reply is cut off")), name), limit=reply.after_events
            )
        elif body.get("stream"):
            self._stream(_events(reply, name), headers=reply.headers)
        else:
            self._send_json(200, json.dumps(_message(reply, name)).encode(), reply.headers)

    def _send_json(
        self, status: int, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.send_header("request-id", _next_id("req"))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _stream(
        self,
        events: Iterator[tuple[str, dict[str, Any]]],
        *,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", _next_id("req"))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        for count, (event, data) in enumerate(events):
            if limit is not None and count >= limit:
                break  # HTTP/1.0: closing the connection now cuts the stream mid-message
            self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
        self.close_connection = True


def _message(turn: Turn, model: str) -> dict[str, Any]:
    return {
        "id": _next_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [dict(block) for block in turn.blocks],
        "stop_reason": turn.stop_reason,
        "stop_sequence": None,
        "usage": dict(turn.usage),
    }


def _events(turn: Turn, model: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The SSE events of one streamed message, in the order the API sends them."""
    start = _message(turn, model)
    start.update(content=[], stop_reason=None)
    start["usage"] = {"input_tokens": turn.usage.get("input_tokens", 0), "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(turn.blocks):
        if block.get("type") == "tool_use":
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            payload = json.dumps(block.get("input", {}))
            middle = len(payload) // 2  # two deltas, as the API splits long JSON
            deltas = [
                {"type": "input_json_delta", "partial_json": part}
                for part in (payload[:middle], payload[middle:])
            ]
        else:
            opening = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": block.get("text", "")}]
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": opening,
            },
        )
        for delta in deltas:
            yield (
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": turn.stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": turn.usage.get("output_tokens", 0)},
        },
    )
    yield "message_stop", {"type": "message_stop"}
