"""A protocol-faithful OpenAI-compatible server for tests (and benchmarks).

It serves what llama.cpp's llama-server, vLLM and LM Studio serve and the
official ``openai`` SDK reads: ``GET /v1/models`` (a list object) and
``POST /v1/chat/completions``, streamed as server-sent events the way
OpenAI's API streams them (its API reference, "The chat completion chunk
object"): a first chunk whose delta holds the role, content chunks, a chunk
with an empty delta and the ``finish_reason``, then, when
``stream_options.include_usage`` was asked for, a chunk with no choices and
the ``usage`` (every chunk before it carries ``"usage": null``), then
``data: [DONE]``. Tool calls stream as OpenAI streams them: the first
fragment of a call has its ``index``, ``id``, ``type`` and name with empty
arguments, the following ones pieces of the arguments' JSON, and the finish
reason is ``tool_calls``. Errors have OpenAI's shape,
``{"error": {"message", "type", "param", "code"}}``, with its status codes
(401 a wrong key, 404 an unknown model, 429 with ``retry-after``, 400 tools
for a model that cannot take them, in llama-server's words).

``api_key``: when set, every request must carry ``Authorization: Bearer
<key>`` (401 otherwise, quoting part of the key back as OpenAI does: the
client must not show it). The models, the scripted replies (``Reply``: a
delay, an error event after N chunks, a connection dropped after N chunks)
and the tool script (``call NAME {json}`` lines in the prompt) are those of
the Ollama emulator, so the same tests run against both.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback import QuietServer, Served
from tests.ollama_emulator import ModelSpec, Reply, _chunks


class OpenAIEmulator(Served):
    """Start with ``OpenAIEmulator().start()``; ``.url`` is its base URL (ending in /v1)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, api_key: str | None = None) -> None:
        self.models: dict[str, ModelSpec] = {}
        self.replies: dict[str, Reply] = {}
        self.requests: list[tuple[str, Any]] = []
        #: The Authorization header of every request, in order.
        self.authorizations: list[str | None] = []
        #: Every request's headers (names lower-cased), in order.
        self.headers: list[dict[str, str]] = []
        self.api_key = api_key
        #: Answer every request 429 (with ``retry-after``) while set.
        self.rate_limited = False
        #: llama-server before its OpenAI-style usage chunk: usage rides on the finish chunk.
        self.usage_in_finish = False
        self.last_stream: dict[str, float] = {}
        self.lock = threading.Lock()
        emulator = self

        class Handler(_Handler):
            server_emulator = emulator

        self.server = QuietServer((host, port), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def add_model(self, name: str, **spec: Any) -> ModelSpec:
        model = ModelSpec(name=name, **spec)
        with self.lock:
            self.models[name] = model
        return model

    def set_reply(self, model: str, text: str, **kwargs: Any) -> None:
        self.replies[model] = Reply(text, **kwargs)

    def find(self, name: str | None) -> ModelSpec | None:
        with self.lock:
            return self.models.get(name or "")

    def chat_bodies(self) -> list[dict[str, Any]]:
        """The bodies of the chat requests received, in order."""
        return [body for path, body in self.requests if path == "/v1/chat/completions"]


def _error(message: str, kind: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    server_emulator: OpenAIEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def emu(self) -> OpenAIEmulator:
        return self.server_emulator

    # --- plumbing -------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _event(self, data: str) -> None:
        payload = f"data: {data}\n\n".encode()
        self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def _allowed(self) -> bool:
        """The key check and the rate limit, as OpenAI answers them."""
        header = self.headers.get("Authorization")
        self.emu.authorizations.append(header)
        self.emu.headers.append({k.lower(): v for k, v in self.headers.items()})
        key = self.emu.api_key
        if key is not None and header != f"Bearer {key}":
            given = (header or "").removeprefix("Bearer ")
            shown = f"{given[:3]}***{given[-4:]}" if len(given) > 8 else "***"
            message = (f"Incorrect API key provided: {shown}. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.")
            self._send_json(401, _error(message, "invalid_request_error", "invalid_api_key"))
            return False
        if self.emu.rate_limited:
            self._send_json(429, _error("Rate limit reached for requests", "requests", "rate_limit_exceeded"), {"retry-after": "7"})
            return False
        return True

    # --- routes ---------------------------------------------------------------

    def do_GET(self) -> None:
        self.emu.requests.append((self.path, None))
        if self.path != "/v1/models":
            self._send_json(404, _error(f"Invalid URL (GET {self.path})", "invalid_request_error", None))
            return
        if not self._allowed():
            return
        with self.emu.lock:
            models = list(self.emu.models.values())
        data = []
        for m in models:
            created = int(datetime.fromisoformat(m.modified_at.replace("Z", "+00:00")).timestamp())
            entry: dict[str, Any] = {"id": m.name, "object": "model", "created": created, "owned_by": m.family}
            entry["meta"] = {"n_ctx_train": m.context_length, "size": m.size}  # llama-server adds this
            data.append(entry)
        self._send_json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path != "/v1/chat/completions":
            self._send_json(404, _error(f"Invalid URL (POST {self.path})", "invalid_request_error", None))
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, _error("We could not parse the JSON body of your request.", "invalid_request_error", None))
            return
        self.emu.requests.append((self.path, body))
        if not self._allowed():
            return
        self._chat(body)

    def _chat(self, body: dict[str, Any]) -> None:
        name = body.get("model") or ""
        if not name:
            self._send_json(400, _error("you must provide a model parameter", "invalid_request_error", None, "model"))
            return
        model = self.emu.find(name)
        if model is None:
            message = f"The model `{name}` does not exist or you do not have access to it."
            self._send_json(404, _error(message, "invalid_request_error", "model_not_found"))
            return
        messages = body.get("messages") or []
        if not messages:
            self._send_json(400, _error("'messages' must contain at least one message", "invalid_request_error", None, "messages"))
            return
        if body.get("tools") and "tools" not in model.capabilities:
            self._send_json(400, _error("tools param requires --jinja flag", "invalid_request_error", None))
            return
        if body.get("tools"):
            try:
                script = self._tool_script(body, messages)
            except ValueError:
                message = "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."
                self._send_json(400, _error(message, "invalid_request_error", None, "messages"))
                return
            if script is not None:
                self._stream(body, model, [], tool_calls=script[0], text=script[1])
                return
        last = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        reply = self.emu.replies.get(model.name) or Reply(f"You said: {last}")
        parts = list(reply.parts) if reply.parts is not None else _chunks(reply.text, reply.chunk_size)
        thinking = _chunks(reply.thinking, reply.chunk_size)
        if not body.get("stream"):
            usage = {"prompt_tokens": self._prompt_tokens(messages), "completion_tokens": len(parts), "total_tokens": 0}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            choice = {"index": 0, "message": {"role": "assistant", "content": "".join(parts)}, "finish_reason": "stop", "logprobs": None}
            self._send_json(200, {**self._base(model), "object": "chat.completion", "choices": [choice], "usage": usage})
            return
        self._stream(body, model, parts, thinking=thinking, reply=reply)

    @staticmethod
    def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
        return sum(len(str(m.get("content") or "").split()) for m in messages) + 10

    def _base(self, model: ModelSpec) -> dict[str, Any]:
        return {"id": f"chatcmpl-{len(self.emu.requests)}", "created": int(time.time()), "model": model.name, "system_fingerprint": "fp_emulator"}

    def _tool_script(self, body: dict[str, Any], messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str] | None:
        """The Ollama emulator's tool script, in OpenAI's terms: calls by id, results by ``tool_call_id``."""
        index = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "user"), None)
        if index is None:
            return None
        rounds = [line.strip() for line in str(messages[index].get("content", "")).splitlines() if line.strip().startswith("call ")]
        if not rounds:
            return None
        after = messages[index + 1 :]
        made = [m for m in after if m.get("role") == "assistant" and m.get("tool_calls")]
        offered = {t.get("function", {}).get("name") for t in body.get("tools") or []}
        if len(made) < len(rounds):
            calls = []
            for part in rounds[len(made)].split("; call "):
                name, _, arguments = part.removeprefix("call ").strip().partition(" ")
                if name in offered:
                    calls.append({"name": name, "arguments": arguments.strip() or "{}"})
            return calls, "" if calls else "I have no such tool."
        # Every result must answer a call by its id, as the API requires.
        ids = {c.get("id"): c.get("function", {}).get("name") for m in made for c in m["tool_calls"]}
        results = []
        for m in after:
            if m.get("role") == "tool":
                if m.get("tool_call_id") not in ids:
                    raise ValueError("a tool message whose tool_call_id answers no call")
                results.append(f"{ids[m['tool_call_id']]}: {m.get('content', '')}")
        return [], "Done. " + " | ".join(results)

    def _stream(self, body: dict[str, Any], model: ModelSpec, parts: list[str], *, thinking: list[str] | None = None,
                reply: Reply | None = None, tool_calls: list[dict[str, Any]] | None = None, text: str = "") -> None:
        base = {**self._base(model), "object": "chat.completion.chunk"}
        usage_wanted = bool((body.get("stream_options") or {}).get("include_usage"))
        extra = {"usage": None} if usage_wanted else {}

        def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
            return json.dumps({**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **extra, **more})

        if not parts and text:
            parts = _chunks(text, 16)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        try:
            self._event(chunk({"role": "assistant", "content": "", "refusal": None}))
            pieces = [("reasoning_content", p) for p in thinking or []] + [("content", p) for p in parts]
            for kind, piece in pieces:
                if reply is not None and reply.error_after is not None and sent >= reply.error_after:
                    self._event(json.dumps(_error(reply.error, "server_error", None)))
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if reply is not None and reply.drop_after is not None and sent >= reply.drop_after:
                    self._drop()
                    return
                if reply is not None and reply.delay:
                    time.sleep(reply.delay)
                self._event(chunk({kind: piece}))
                if not sent:
                    self.emu.last_stream = {"first": time.perf_counter()}
                sent += 1
            for n, call in enumerate(tool_calls or []):
                ident = f"call_{int(time.time() * 1000) % 10**8}{n}"
                self._event(chunk({"tool_calls": [{"index": n, "id": ident, "type": "function",
                                                   "function": {"name": call["name"], "arguments": ""}}]}))
                arguments = call["arguments"]
                for piece in _chunks(arguments, 7):
                    self._event(chunk({"tool_calls": [{"index": n, "function": {"arguments": piece}}]}))
            finish = "tool_calls" if tool_calls else "stop"
            usage = {"prompt_tokens": self._prompt_tokens(body.get("messages") or []), "completion_tokens": max(sent, 1)}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            if usage_wanted and self.emu.usage_in_finish:
                self._event(chunk({}, finish, usage=usage))
            else:
                self._event(chunk({}, finish))
                if usage_wanted:
                    self._event(json.dumps({**base, "choices": [], "usage": usage}))
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            self.emu.last_stream["last"] = time.perf_counter()
            self.emu.last_stream["chunks"] = sent
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
