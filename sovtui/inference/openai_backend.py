"""An OpenAI-compatible model server, over the official ``openai`` SDK.

llama.cpp's llama-server, vLLM, LM Studio, LocalAI, SGLang and the cloud
services speak this API: ``GET /v1/models`` and ``POST /v1/chat/completions``
streamed as server-sent events. ``OpenAIBackend`` offers what ``Backend``
offers (``sovtui.inference.engine.Engine``), with the same ``ChatChunk``s and
the same errors, so nothing above this module knows which API a host speaks:

- a reply streams as content (and ``reasoning_content``, or vLLM's
  ``reasoning``, as thinking); token counts come from ``usage``, asked for
  with ``stream_options={"include_usage": True}``, and the speed is measured
  here (the API reports no durations);
- tool calls arrive in fragments (an ``index``, then the name, then pieces of
  the arguments' JSON) and are put together into ``ToolCall``s, sent in one
  chunk before the done chunk, as Ollama sends them; the conversation keeps
  them in Ollama's shape, and ``request_messages`` turns them back into
  OpenAI's (ids, arguments as a JSON string, ``tool_call_id`` on results);
- per-conversation options take their OpenAI names (``num_predict`` is
  ``max_tokens``); options the API has no word for (``num_ctx``,
  ``keep_alive``, ``think``) are the server's own settings and are not sent;
- 401/403 say the key was refused and never quote the server's words (
  OpenAI's own 401 repeats part of the key); a 404 for a model names the
  models the host serves; 429 says to wait (the SDK's retries are off, so a
  pool can fall back at once); a stream that ends before its finish reason
  is a ``BackendError``, and the session keeps the partial reply;
- pull, delete, copy, ps and unload raise ``OperationUnsupported``.

The SDK is imported when the first request is made, never at start-up. It
is given the API key explicitly (from the vault; none: a placeholder that
local servers ignore), so ``OPENAI_API_KEY``, ``OPENAI_ORG_ID`` and
``OPENAI_PROJECT_ID`` from the environment never go to a host the user did
not give them to.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import httpx

from sovtui.inference.backend import MANAGEMENT_TIMEOUT, STREAM_TIMEOUT
from sovtui.inference.engine import cannot
from sovtui.inference.errors import (
    BackendError,
    BackendUnreachable,
    KeyRefused,
    ModelNotFound,
    OperationUnsupported,
    RateLimited,
    ToolsRefused,
)
from sovtui.inference.hosts import HostTarget
from sovtui.inference.transport import UNREADABLE, reason, shared_tls_context, transport_error
from sovtui.inference.types import ChatChunk, LoadedModel, ModelDetails, ModelInfo, PullProgress, ToolCall
from sovtui.net import Locality
from sovtui.text import safe_line, valid_text

#: Sent when the host has no key: local servers started without ``--api-key`` ignore it.
NO_KEY = "sk-no-key"
#: Per-conversation options with the same meaning under another name in the OpenAI API.
OPTION_NAMES = {"temperature": "temperature", "seed": "seed", "top_p": "top_p", "num_predict": "max_tokens"}
#: Options some servers take beside the API's own (llama-server, vLLM): sent in the body as they are.
EXTRA_OPTIONS = ("top_k",)


def request_options(options: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ollama-named options as ``(parameters, extra body)`` for a chat completion."""
    params: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in (options or {}).items():
        if key in OPTION_NAMES:
            params[OPTION_NAMES[key]] = value
        elif key in EXTRA_OPTIONS:
            extra[key] = value
    return params, extra


def request_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Messages kept in Ollama's shape as the OpenAI API takes them.

    An assistant message's calls get ids (``call_<message>_<n>``: the API
    wants one, the conversation has none) and their arguments as a JSON
    string; each "tool" message after it answers the next call of that name
    (else the next call) by its id, as the API requires.
    """
    out: list[dict[str, Any]] = []
    pending: list[tuple[str, str]] = []  # (id, name) of calls not yet answered
    for index, message in enumerate(messages):
        role = str(message.get("role", ""))
        content = message.get("content") or ""
        if role == "assistant" and message.get("tool_calls"):
            calls = []
            pending = []
            for n, call in enumerate(message["tool_calls"]):
                function = call.get("function", {}) if isinstance(call, Mapping) else {}
                name = str(function.get("name", ""))
                call_id = str(call.get("id") or f"call_{index}_{n}")
                arguments = function.get("arguments", {})
                calls.append({
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)},
                })
                pending.append((call_id, name))
            out.append({"role": "assistant", "content": content or None, "tool_calls": calls})
        elif role == "tool":
            name = str(message.get("tool_name", ""))
            match = next((p for p in pending if p[1] == name), pending[0] if pending else None)
            if match is not None:
                pending.remove(match)
                out.append({"role": "tool", "content": content, "tool_call_id": match[0]})
            else:  # a result with no call before it: what it said still matters to the model
                out.append({"role": "user", "content": f"[{name or 'tool'} result] {content}"})
        else:
            out.append({"role": role, "content": content})
    return out


def _error_text(body: Any) -> str:
    """The message in an error body: OpenAI's ``{"error": {"message": ...}}``, vLLM's ``{"message": ...}``, or a string."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            return str(inner.get("message") or inner.get("detail") or "")
        return str(inner)
    return str(body or "")


def _extra(obj: Any, name: str) -> Any:
    """A field the SDK's models do not declare (``reasoning_content``, ``meta``), or None."""
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None) or {}
        value = extra.get(name)
    return value


def _parameters(count: int | None) -> str:
    """``135M``, ``7.2B``: a parameter count as Ollama writes it."""
    if not count:
        return ""
    return f"{count / 1e9:.1f}B" if count >= 1e9 else f"{count / 1e6:.0f}M"


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class _Calls:
    """Tool calls put together from their streamed fragments, by index."""

    def __init__(self) -> None:
        self.parts: dict[int, dict[str, str]] = {}

    def add(self, fragments: Any) -> None:
        for fragment in fragments or ():
            index = int(getattr(fragment, "index", 0) or 0)
            part = self.parts.setdefault(index, {"name": "", "arguments": ""})
            function = getattr(fragment, "function", None)
            if function is not None:
                if getattr(function, "name", None):
                    part["name"] = str(function.name)
                if getattr(function, "arguments", None):
                    part["arguments"] += str(function.arguments)

    def calls(self) -> tuple[ToolCall, ...]:
        found = []
        for _, part in sorted(self.parts.items()):
            text = part["arguments"].strip() or "{}"
            arguments = json.loads(text)
            if not part["name"] or not isinstance(arguments, dict):
                raise ValueError("a tool call without a name or with arguments that are not an object")
            found.append(ToolCall(valid_text(part["name"]), arguments))
        return tuple(found)


class OpenAIBackend:
    """One OpenAI-compatible host. Cheap to make; ``aclose()`` when done."""

    def __init__(self, target: HostTarget, *, timeout: float = MANAGEMENT_TIMEOUT, api_key: str | None = None) -> None:
        self.target = target
        self.timeout = timeout
        self._api_key = api_key or ""
        self._client_: Any = None
        self._served: list[Any] | None = None

    def __repr__(self) -> str:  # never the key
        return f"OpenAIBackend({self.target.name!r}, {self.target.url!r})"

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def url(self) -> str:
        return self.target.url

    @property
    def locality(self) -> Locality:
        return self.target.locality

    # --- plumbing -------------------------------------------------------------

    @property
    def _client(self) -> Any:
        if self._client_ is None:
            import openai

            client = openai.AsyncOpenAI(
                api_key=self._api_key or NO_KEY,
                base_url=self.url,
                timeout=httpx.Timeout(self.timeout),
                max_retries=0,
                http_client=openai.DefaultAsyncHttpxClient(verify=shared_tls_context()),
            )
            client.organization = client.project = None  # not from the environment: not ours to send
            self._client_ = client
        return self._client_

    async def aclose(self) -> None:
        if self._client_ is not None:
            await self._client_.close()
        self._client_ = None

    async def __aenter__(self) -> OpenAIBackend:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _scrub(self, text: str) -> str:
        """A server's words, one safe line, without the key (some servers quote it back)."""
        text = safe_line(valid_text(text).strip())
        if self._api_key and len(self._api_key) >= 4:
            text = text.replace(self._api_key, "***")
        return text[:300]

    @property
    def _server(self) -> str:
        return f"the server at {self.url}"

    def _unreachable(self, exc: BaseException) -> BackendError:
        return BackendUnreachable(self.url, reason(exc), local=self.locality is Locality.THIS_MACHINE, kind="OpenAI-compatible server")

    def _translate(self, exc: BaseException, *, model: str | None = None, tools: bool = False) -> BackendError:
        import openai

        if isinstance(exc, BackendError):
            return exc
        if isinstance(exc, openai.APITimeoutError):
            return BackendError(f"{self._server} did not answer in time")
        if isinstance(exc, openai.APIConnectionError):  # the SDK's wrapper of httpx's error: the cause says what happened
            cause = exc.__cause__ or exc.__context__
            lost = transport_error(cause, server=self._server, unreachable=self._unreachable) if cause is not None else None
            return lost or self._unreachable(cause or exc)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status in (401, 403):
                return KeyRefused(self.name, status, has_key=bool(self._api_key))
            if status == 429:
                retry = exc.response.headers.get("retry-after")
                try:
                    wait = float(retry) if retry is not None else None
                except ValueError:
                    wait = None
                return RateLimited(self.name, wait)
            message = self._scrub(_error_text(exc.body))
            if status == 404 and model is not None:
                return ModelNotFound(model, self.name, served=[])  # the names are filled in by the caller
            if status == 404:
                return BackendError(f"{self.url} answered 404: is it an OpenAI-compatible server (its base URL usually ends in /v1)?")
            if tools and status in (400, 422, 500) and "tool" in message.lower():
                return ToolsRefused(model or "", self.name, message)
            return BackendError(f"{self.name} answered {status}: {message or 'no reason given'}")
        if isinstance(exc, openai.APIError):  # an error event in the middle of a stream
            message = self._scrub(_error_text(exc.body) or exc.message)
            if tools and "tool" in message.lower():
                return ToolsRefused(model or "", self.name, message)
            return BackendError(f"{self.name} stopped with an error: {message}")
        lost = transport_error(exc, server=self._server, unreachable=self._unreachable)
        if lost is not None:
            return lost
        if isinstance(exc, openai.OpenAIError):
            return BackendError(f"talking to {self.url} failed: {self._scrub(str(exc))}")
        if isinstance(exc, UNREADABLE):
            return BackendError(f"{self.url} sent an answer that is not the OpenAI API's ({type(exc).__name__}): is it an OpenAI-compatible server?")
        raise exc

    async def _not_found(self, error: BackendError) -> BackendError:
        """A 404 for a model, with the names of the models the host does serve (if it says)."""
        if isinstance(error, ModelNotFound) and not error.served:
            try:
                served = [m.name for m in await self.list_models()]
            except BackendError:
                return error
            return ModelNotFound(error.model, self.name, served=served)
        return error

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except UNREADABLE as exc:
            raise self._translate(exc) from None

    # --- health ---------------------------------------------------------------

    async def version(self) -> str:
        """The API has no version call: listing the models is the health check."""
        await self._models()
        return "OpenAI-compatible"

    async def is_up(self) -> bool:
        try:
            await self._models()
        except BackendError:
            return False
        return True

    # --- models ---------------------------------------------------------------

    async def _models(self) -> list[Any]:
        try:
            page = await self._client.models.list()
            with self._reading():
                data = list(page.data)
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise self._translate(exc) from None
        self._served = data
        return data

    async def list_models(self) -> list[ModelInfo]:
        entries = await self._models()
        with self._reading():
            models = []
            for entry in entries:
                meta = _extra(entry, "meta")
                meta = meta if isinstance(meta, Mapping) else {}
                params = _count(meta.get("n_params"))
                created = _count(getattr(entry, "created", None))
                models.append(
                    ModelInfo(
                        name=valid_text(str(entry.id)),
                        size=_count(meta.get("size")) or 0,
                        parameter_size=_parameters(params),
                        quantization="",
                        family=valid_text(str(getattr(entry, "owned_by", "") or "")),
                        modified=datetime.fromtimestamp(created, timezone.utc) if created and 0 < created < 2**33 else None,
                    )
                )
            return models

    async def show(self, name: str) -> ModelDetails:
        """What /v1/models says of the model; tools are assumed (a server that cannot refuses them at chat)."""
        entries = self._served if self._served is not None else await self._models()
        with self._reading():
            entry = next((e for e in entries if str(e.id) == name), None)
            if entry is None:
                raise ModelNotFound(name, self.name, served=[valid_text(str(e.id)) for e in entries])
            meta = _extra(entry, "meta")
            meta = meta if isinstance(meta, Mapping) else {}
            context = _count(meta.get("n_ctx_train")) or _count(_extra(entry, "max_model_len"))
            return ModelDetails(
                name=name,
                family=valid_text(str(getattr(entry, "owned_by", "") or "")),
                parameter_size="",
                quantization="",
                capabilities=("completion", "tools"),
                context_length=context,
                template="",
                license="",
                parameters="",
            )

    def _cannot(self, operation: str) -> OperationUnsupported:
        what, reason = cannot(self.target, operation)
        return OperationUnsupported(self.name, what, reason)

    async def delete(self, name: str) -> None:
        raise self._cannot("delete")

    async def copy(self, source: str, destination: str) -> None:
        raise self._cannot("copy")

    async def ps(self) -> list[LoadedModel]:
        raise self._cannot("ps")

    async def unload(self, name: str) -> None:
        raise self._cannot("unload")

    async def pull(self, name: str) -> AsyncGenerator[PullProgress, None]:
        raise self._cannot("pull")
        yield  # pragma: no cover - an async generator, like Backend.pull

    # --- chat -----------------------------------------------------------------

    async def chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        think: bool | None = None,
        keep_alive: str | int | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncGenerator[ChatChunk, None]:
        """Stream a reply. Leaving the loop (or cancelling) closes the request.

        ``think`` and ``keep_alive`` are Ollama's: an OpenAI-compatible server
        thinks (and keeps models loaded) as it was started to.
        """
        params, extra = request_options(options)
        if tools:
            params["tools"] = list(tools)
        stream = None
        started = time.monotonic()
        first: float | None = None
        last = started
        calls = _Calls()
        usage: Any = None
        finish: str | None = None
        try:
            stream = await self._client.chat.completions.create(
                model=model,
                messages=request_messages(messages),
                stream=True,
                stream_options={"include_usage": True},
                timeout=STREAM_TIMEOUT,
                extra_body=extra or None,
                **params,
            )
            async for part in stream:
                if getattr(part, "usage", None) is not None:
                    usage = part.usage
                for choice in getattr(part, "choices", None) or ():
                    delta = choice.delta
                    content = (getattr(delta, "content", None) or "") if delta is not None else ""
                    thinking = (_extra(delta, "reasoning_content") or _extra(delta, "reasoning") or "") if delta is not None else ""
                    if delta is not None and getattr(delta, "tool_calls", None):
                        calls.add(delta.tool_calls)
                    if choice.finish_reason:
                        finish = str(choice.finish_reason)
                    if content or thinking:
                        now = time.monotonic()
                        first = first or now
                        last = now
                        yield ChatChunk(content=valid_text(str(content)), thinking=valid_text(str(thinking)))
            if finish is None:
                raise BackendError(f"the connection to {self.url} closed before the reply finished")
            found = calls.calls()
            if found:
                yield ChatChunk(tool_calls=found)
            end = time.monotonic()
            yield ChatChunk(
                done=True,
                done_reason="stop" if finish == "tool_calls" else valid_text(finish),
                eval_count=_count(getattr(usage, "completion_tokens", None)),
                eval_duration=int((last - first) * 1e9) if first is not None else None,
                prompt_eval_count=_count(getattr(usage, "prompt_tokens", None)),
                prompt_eval_duration=int(((first or end) - started) * 1e9),
                total_duration=int((end - started) * 1e9),
            )
        except Exception as exc:  # noqa: BLE001
            raise await self._not_found(self._translate(exc, model=model, tools=bool(tools))) from None
        finally:
            if stream is not None:
                await stream.close()
