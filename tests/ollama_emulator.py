"""A protocol-faithful Ollama server for tests (and benchmarks).

It serves Ollama's real routes with its field names, status codes and error
texts (docs: shared/reference/ollama-api.md, ollama-api-errors.mdx,
ollama-api-streaming.mdx), streams NDJSON with chunked transfer encoding, and
can misbehave on purpose: an ``{"error": ...}`` line mid-stream, slow chunks,
a connection dropped mid-body. It runs in a thread on 127.0.0.1 so both
in-process tests and CLI subprocesses reach it, always through the official
``ollama`` client in sovtui.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback import QuietServer, Served

VERSION = "0.12.6"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


@dataclass
class ModelSpec:
    name: str
    family: str = "llama"
    parameter_size: str = "1B"
    quantization_level: str = "Q4_K_M"
    size: int = 800_000_000
    capabilities: tuple[str, ...] = ("completion",)
    context_length: int = 4096
    license: str = "Apache License 2.0"
    template: str = "{{ .Prompt }}"
    modified_at: str = field(default_factory=_now)

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }


@dataclass
class Reply:
    text: str
    thinking: str = ""
    chunk_size: int = 4
    delay: float = 0.0
    error_after: int | None = None
    drop_after: int | None = None
    error: str = "an error was encountered while running the model"
    parts: list[str] | None = None  # exact chunks, instead of splitting ``text``


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] if text else []


def _tag(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


class OllamaEmulator(Served):
    """Start with ``OllamaEmulator().start()``; ``.url`` is its address."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.models: dict[str, ModelSpec] = {}
        self.registry: dict[str, ModelSpec] = {}
        self.loaded: dict[str, datetime] = {}
        self.replies: dict[str, Reply] = {}
        self.requests: list[tuple[str, Any]] = []
        #: perf_counter times of the first and last chunk of the latest reply (benchmarks).
        self.last_stream: dict[str, float] = {}
        self.pull_delay = 0.0
        self.pull_steps = 4
        self.lock = threading.Lock()
        emulator = self

        class Handler(_Handler):
            server_emulator = emulator

        self.server = QuietServer((host, port), Handler)

    # --- control --------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_model(self, name: str, **spec: Any) -> ModelSpec:
        model = ModelSpec(_tag(name), **spec)
        with self.lock:
            self.models[model.name] = model
        return model

    def add_to_registry(self, name: str, **spec: Any) -> ModelSpec:
        """A model that ``/api/pull`` can download."""
        model = ModelSpec(_tag(name), **spec)
        self.registry[model.name] = model
        return model

    def set_reply(self, model: str, text: str, **kwargs: Any) -> None:
        self.replies[_tag(model)] = Reply(text, **kwargs)

    def find(self, name: str | None) -> ModelSpec | None:
        if not name:
            return None
        return self.models.get(_tag(name))




class _Handler(BaseHTTPRequestHandler):
    server_emulator: OllamaEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def setup(self) -> None:
        super().setup()
        # Ollama's Go server sends every chunk at once (Go sets TCP_NODELAY);
        # without this, Nagle's algorithm would hold small chunks back.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # --- plumbing -------------------------------------------------------------

    @property
    def emu(self) -> OllamaEmulator:
        return self.server_emulator

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        return json.loads(raw)

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send_json(status, {"error": message})

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, payload: Any) -> None:
        data = (json.dumps(payload) + "\n").encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the connection mid-body, as a crashed server would."""
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    # --- routes ---------------------------------------------------------------

    def do_HEAD(self) -> None:
        if self.path == "/":
            self._send_text(200, "Ollama is running")
        else:
            self._send_text(404, "404 page not found")

    def do_GET(self) -> None:
        self.emu.requests.append((self.path, None))
        if self.path == "/":
            self._send_text(200, "Ollama is running")
        elif self.path == "/api/version":
            self._send_json(200, {"version": VERSION})
        elif self.path == "/api/tags":
            with self.emu.lock:
                models = list(self.emu.models.values())
            self._send_json(
                200,
                {
                    "models": [
                        {
                            "name": m.name,
                            "model": m.name,
                            "modified_at": m.modified_at,
                            "size": m.size,
                            "digest": _digest(m.name),
                            "details": m.details(),
                        }
                        for m in models
                    ]
                },
            )
        elif self.path == "/api/ps":
            self._ps()
        else:
            self._send_text(404, "404 page not found")

    def do_DELETE(self) -> None:
        if self.path != "/api/delete":
            self._send_text(404, "404 page not found")
            return
        body = self._parsed()
        if body is None:
            return
        self.emu.requests.append((self.path, body))
        name = body.get("model") or body.get("name")
        if not name:
            self._error(400, "model is required")
            return
        with self.emu.lock:
            model = self.emu.models.pop(_tag(name), None)
            self.emu.loaded.pop(_tag(name), None)
        if model is None:
            self._error(404, f"model '{name}' not found")
            return
        self._send_text(200, "")

    def _parsed(self) -> Any:
        try:
            return self._body()
        except json.JSONDecodeError as exc:
            self._error(400, f"invalid character in JSON body: {exc.msg}")
            return None

    def do_POST(self) -> None:
        routes = {
            "/api/show": self._show,
            "/api/copy": self._copy,
            "/api/pull": self._pull,
            "/api/chat": self._chat,
            "/api/generate": self._generate,
            "/v1/chat/completions": self._openai_chat,
        }
        handler = routes.get(self.path)
        if handler is None:
            self._send_text(404, "404 page not found")
            return
        body = self._parsed()
        if body is None:
            return
        self.emu.requests.append((self.path, body))
        handler(body)

    def _ps(self) -> None:
        now = datetime.now(timezone.utc)
        with self.emu.lock:
            entries = [(self.emu.models.get(name), until) for name, until in self.emu.loaded.items()]
        models = []
        for model, until in entries:
            if model is None or until < now:
                continue
            models.append(
                {
                    "name": model.name,
                    "model": model.name,
                    "size": model.size + 200_000_000,
                    "digest": _digest(model.name),
                    "details": model.details(),
                    "expires_at": until.isoformat().replace("+00:00", "Z"),
                    "size_vram": 0,
                    "context_length": model.context_length,
                }
            )
        self._send_json(200, {"models": models})

    def _show(self, body: dict[str, Any]) -> None:
        name = body.get("model") or body.get("name")
        if not name:
            self._error(400, "model is required")
            return
        model = self.emu.find(name)
        if model is None:
            self._error(404, f"model '{name}' not found")
            return
        self._send_json(
            200,
            {
                "license": model.license,
                "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {model.name}\n",
                "parameters": "stop                           \"<|eot_id|>\"",
                "template": model.template,
                "details": model.details(),
                "model_info": {
                    "general.architecture": model.family,
                    "general.parameter_count": 1_000_000_000,
                    f"{model.family}.context_length": model.context_length,
                },
                "capabilities": list(model.capabilities),
                "modified_at": model.modified_at,
            },
        )

    def _copy(self, body: dict[str, Any]) -> None:
        source, destination = body.get("source"), body.get("destination")
        if not source or not destination:
            self._error(400, "source and destination are required")
            return
        model = self.emu.find(source)
        if model is None:
            self._error(404, f"model '{source}' not found")
            return
        with self.emu.lock:
            copy = ModelSpec(**{**model.__dict__, "name": _tag(destination), "modified_at": _now()})
            self.emu.models[copy.name] = copy
        self._send_text(200, "")

    def _pull(self, body: dict[str, Any]) -> None:
        name = body.get("model") or body.get("name")
        if not name:
            self._error(400, "model is required")
            return
        stream = body.get("stream", True)
        spec = self.emu.registry.get(_tag(name))
        if not stream:
            if spec is None:
                self._error(500, "pull model manifest: file does not exist")
                return
            with self.emu.lock:
                self.emu.models[spec.name] = ModelSpec(**{**spec.__dict__, "modified_at": _now()})
            self._send_json(200, {"status": "success"})
            return
        self._start_stream()
        try:
            self._chunk({"status": "pulling manifest"})
            if spec is None:
                time.sleep(self.emu.pull_delay)
                self._chunk({"error": "pull model manifest: file does not exist"})
                self._end_stream()
                return
            layers = [(f"sha256:{_digest(spec.name + 'model')}", spec.size - 20_000), (f"sha256:{_digest(spec.name + 'params')}", 20_000)]
            for digest, total in layers:
                steps = self.emu.pull_steps
                self._chunk({"status": f"pulling {digest[7:19]}", "digest": digest, "total": total})
                for step in range(1, steps + 1):
                    time.sleep(self.emu.pull_delay)
                    self._chunk(
                        {"status": f"pulling {digest[7:19]}", "digest": digest, "total": total, "completed": total * step // steps}
                    )
            for status in ("verifying sha256 digest", "writing manifest", "removing any unused layers"):
                self._chunk({"status": status})
            with self.emu.lock:
                self.emu.models[spec.name] = ModelSpec(**{**spec.__dict__, "modified_at": _now()})
            self._chunk({"status": "success"})
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # --- generation -----------------------------------------------------------

    def _keep_alive(self, model: ModelSpec, keep_alive: Any) -> str | None:
        """Record the model as loaded (or unloaded); return a done_reason."""
        seconds = 300.0
        if isinstance(keep_alive, (int, float)):
            seconds = float(keep_alive)
        elif isinstance(keep_alive, str) and keep_alive:
            units = {"s": 1, "m": 60, "h": 3600}
            seconds = float(keep_alive[:-1]) * units.get(keep_alive[-1], 1) if keep_alive[-1] in units else float(keep_alive)
        with self.emu.lock:
            if seconds == 0:
                self.emu.loaded.pop(model.name, None)
                return "unload"
            until = datetime.now(timezone.utc) + (timedelta(days=3650) if seconds < 0 else timedelta(seconds=seconds))
            self.emu.loaded[model.name] = until
        return None

    def _prepare(self, body: dict[str, Any]) -> ModelSpec | None:
        name = body.get("model")
        if not name:
            self._error(400, "model is required")
            return None
        model = self.emu.find(name)
        if model is None:
            self._error(404, f'model "{name}" not found, try pulling it first')
            return None
        if body.get("think") and "thinking" not in model.capabilities:
            self._error(400, f'"{name}" does not support thinking')
            return None
        return model

    def _chat(self, body: dict[str, Any]) -> None:
        model = self._prepare(body)
        if model is None:
            return
        messages = body.get("messages") or []
        if not messages:
            reason = self._keep_alive(model, body.get("keep_alive")) or "load"
            self._send_json(
                200,
                {"model": model.name, "created_at": _now(), "message": {"role": "assistant", "content": ""}, "done_reason": reason, "done": True},
            )
            return
        if body.get("tools"):
            if "tools" not in model.capabilities:
                self._error(400, f"registry.ollama.ai/library/{model.name} does not support tools")
                return
            if self._tool_script(model, body, messages):
                return
        last = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        self._generate_reply(
            model,
            body,
            default=f"You said: {last}",
            wrap=lambda content, thinking: {
                "message": {"role": "assistant", "content": content, **({"thinking": thinking} if thinking else {})}
            },
            prompt_tokens=sum(len(str(m.get("content", "")).split()) for m in messages) + 10,
        )

    def _tool_script(self, model: ModelSpec, body: dict[str, Any], messages: list[dict[str, Any]]) -> bool:
        """A model that calls tools as the prompt tells it, the way Ollama streams tool calls.

        The last user message scripts it, one line per round:
        ``call get_balance`` or ``call pay_invoice {"invoice": "lnbc..."}``
        (several calls on one line, separated by `` ; call ``, are made in
        one chunk, as a model may). Each round it makes the next line's
        calls (a chunk whose message has ``tool_calls``, then the done
        chunk); once every line has its results (role "tool" messages after
        the prompt, each with ``tool_name``), it answers in words, quoting
        them. A prompt without ``call`` lines is answered as usual.
        """
        index = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "user"), None)
        if index is None:
            return False
        rounds = [line.strip() for line in str(messages[index].get("content", "")).splitlines() if line.strip().startswith("call ")]
        if not rounds:
            return False
        after = messages[index + 1 :]
        made = sum(1 for m in after if m.get("role") == "assistant" and m.get("tool_calls"))
        offered = {t.get("function", {}).get("name") for t in body.get("tools") or []}
        self._keep_alive(model, body.get("keep_alive"))
        started = time.perf_counter_ns()
        if made < len(rounds):
            calls = []
            for part in rounds[made].split("; call "):
                name, _, arguments = part.removeprefix("call ").strip().partition(" ")
                if name not in offered:  # a model only calls what it was offered
                    continue
                calls.append({"function": {"name": name, "arguments": json.loads(arguments) if arguments.strip() else {}}})
            message: dict[str, Any] = {"role": "assistant", "content": ""}
            if calls:
                message["tool_calls"] = calls
            else:
                message["content"] = "I have no such tool."
            pieces = [message]
        else:
            results = [f"{m.get('tool_name', '?')}: {m.get('content', '')}" for m in after if m.get("role") == "tool"]
            text = "Done. " + " | ".join(results)
            pieces = [{"role": "assistant", "content": part} for part in _chunks(text, 16)]
        final = {"model": model.name, "created_at": _now(), "message": {"role": "assistant", "content": ""},
                 "done": True, "done_reason": "stop", **self._stats(started, 20, len(pieces))}
        if not body.get("stream", True):
            merged = {"role": "assistant", "content": "".join(p.get("content", "") for p in pieces)}
            if pieces[0].get("tool_calls"):
                merged["tool_calls"] = pieces[0]["tool_calls"]
            self._send_json(200, {**final, "message": merged})
            return True
        self._start_stream()
        try:
            for piece in pieces:
                self._chunk({"model": model.name, "created_at": _now(), "message": piece, "done": False})
            self._chunk(final)
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        return True

    def _generate(self, body: dict[str, Any]) -> None:
        model = self._prepare(body)
        if model is None:
            return
        prompt = body.get("prompt", "")
        if not prompt:
            reason = self._keep_alive(model, body.get("keep_alive")) or "load"
            self._send_json(200, {"model": model.name, "created_at": _now(), "response": "", "done": True, "done_reason": reason})
            return
        self._generate_reply(
            model,
            body,
            default=f"You said: {prompt}",
            wrap=lambda content, thinking: {"response": content, **({"thinking": thinking} if thinking else {})},
            prompt_tokens=len(prompt.split()) + 10,
        )

    def _generate_reply(self, model: ModelSpec, body: dict[str, Any], *, default: str, wrap, prompt_tokens: int) -> None:  # type: ignore[no-untyped-def]
        reply = self.emu.replies.get(model.name) or Reply(default)
        self._keep_alive(model, body.get("keep_alive"))
        thinking_parts = _chunks(reply.thinking, reply.chunk_size) if body.get("think") else []
        content_parts = list(reply.parts) if reply.parts is not None else _chunks(reply.text, reply.chunk_size)
        started = time.perf_counter_ns()
        if not body.get("stream", True):
            self._send_json(
                200,
                {"model": model.name, "created_at": _now(), **wrap(reply.text, "".join(thinking_parts)), "done": True,
                 "done_reason": "stop", **self._stats(started, prompt_tokens, len(content_parts) + len(thinking_parts))},
            )
            return
        self._start_stream()
        sent = 0
        try:
            for kind, part in [("thinking", p) for p in thinking_parts] + [("content", p) for p in content_parts]:
                if reply.error_after is not None and sent >= reply.error_after:
                    self._chunk({"error": reply.error})
                    self._end_stream()
                    return
                if reply.drop_after is not None and sent >= reply.drop_after:
                    self._drop()
                    return
                if reply.delay:
                    time.sleep(reply.delay)
                content, thinking = (part, "") if kind == "content" else ("", part)
                self._chunk({"model": model.name, "created_at": _now(), **wrap(content, thinking), "done": False})
                if not sent:
                    self.emu.last_stream = {"first": time.perf_counter()}
                sent += 1
            final = {"model": model.name, "created_at": _now(), **wrap("", ""), "done": True, "done_reason": "stop"}
            final.update(self._stats(started, prompt_tokens, sent))
            self._chunk(final)
            self._end_stream()
            self.emu.last_stream["last"] = time.perf_counter()
            self.emu.last_stream["chunks"] = sent
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _openai_chat(self, body: dict[str, Any]) -> None:
        """Ollama's OpenAI-compatible chat (docs/openai.md): chat.completion, or SSE chunks and [DONE].

        Only what peers such as oterm use: model, messages, stream. Errors
        take OpenAI's shape, {"error": {"message", "type", ...}}.
        """
        name = body.get("model") or ""
        model = self.emu.find(name) if name else None
        if model is None:
            message = f'model "{name}" not found, try pulling it first' if name else "model is required"
            self._send_json(404 if name else 400, {"error": {"message": message, "type": "api_error", "param": None, "code": None}})
            return
        messages = body.get("messages") or []
        last = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        reply = self.emu.replies.get(model.name) or Reply(f"You said: {last}")
        parts = list(reply.parts) if reply.parts is not None else _chunks(reply.text, reply.chunk_size)
        created, ident = int(time.time()), f"chatcmpl-{len(self.emu.requests)}"
        base = {"id": ident, "created": created, "model": model.name, "system_fingerprint": "fp_ollama"}
        if not body.get("stream"):
            usage = {"prompt_tokens": 10, "completion_tokens": len(parts), "total_tokens": 10 + len(parts)}
            choice = {"index": 0, "message": {"role": "assistant", "content": reply.text or "".join(parts)}, "finish_reason": "stop"}
            self._send_json(200, {**base, "object": "chat.completion", "choices": [choice], "usage": usage})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(data: str) -> None:
            payload = f"data: {data}\n\n".encode()
            self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            self.wfile.flush()

        def chunk(delta: dict[str, Any], finish: str | None) -> str:
            return json.dumps({**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

        try:
            for sent, part in enumerate(parts):
                if reply.delay:
                    time.sleep(reply.delay)
                event(chunk({"role": "assistant", "content": part}, None))
                if not sent:
                    self.emu.last_stream = {"first": time.perf_counter()}
            event(chunk({"role": "assistant", "content": ""}, "stop"))
            event("[DONE]")
            self._end_stream()
            self.emu.last_stream["last"] = time.perf_counter()
            self.emu.last_stream["chunks"] = len(parts)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    @staticmethod
    def _stats(started: int, prompt_tokens: int, eval_count: int) -> dict[str, int]:
        total = max(time.perf_counter_ns() - started, 1_000_000)
        return {
            "total_duration": total + 1_500_000,
            "load_duration": 1_000_000,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 500_000,
            "eval_count": eval_count,
            "eval_duration": max(total, eval_count * 10_000_000),
        }


if __name__ == "__main__":  # pragma: no cover - a handy manual server
    import argparse

    parser = argparse.ArgumentParser(description="Run the Ollama emulator")
    parser.add_argument("--port", type=int, default=11434)
    args = parser.parse_args()
    emulator = OllamaEmulator(port=args.port)
    emulator.add_model("qwen3:0.6b", family="qwen3", parameter_size="751.63M", capabilities=("completion", "thinking"))
    emulator.add_model("llama3.2:1b", parameter_size="1.2B")
    emulator.add_to_registry("gemma3:1b", family="gemma3", parameter_size="999.89M")
    emulator.start()
    print(f"Ollama emulator on {emulator.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()
