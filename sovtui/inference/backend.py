"""The service for one Ollama host, over the official ``ollama.AsyncClient``.

Every management call has a timeout (the client's default is none). Errors
from the client and from httpx become ``BackendError`` and its kinds, with a
message that names the host and the next step. The client's traps are handled
here once, so nothing above this module has to know them:

- a refused connection on a streaming call raises a raw ``httpx.ConnectError``
  at the first iteration (a plain call raises ``ConnectionError`` instead);
- an ``{"error": ...}`` line mid-stream is ``ResponseError`` with status -1;
- pulling a model that does not exist answers 200, then an error line;
- leaving a stream early leaves the HTTP request open until ``aclose()``, so
  every stream is closed in a ``finally``;
- a line that is not JSON, not an object, or not shaped like Ollama's raises
  whatever ``json``, pydantic or the client trip over (ValueError,
  TypeError, AttributeError ...): a host that sends anything gets a
  ``BackendError``, never a traceback.

Text a host sends is data: an error message it sends is quoted through
``safe_line``, so the message is safe wherever it is shown; replies and
names are made safe where they are shown (the CLI and the TUI).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from typing import Any

import httpx

from sovtui.inference.errors import BackendError, BackendUnreachable, ModelNotFound
from sovtui.inference.hosts import HostTarget
from sovtui.inference.transport import UNREADABLE, reason, shared_tls_context, transport_error
from sovtui.inference.types import ChatChunk, ToolCall, LayerProgress, LoadedModel, ModelDetails, ModelInfo, PullProgress
from sovtui.net import Locality
from sovtui.text import safe_line, valid_text

MANAGEMENT_TIMEOUT = 10.0
#: A reply may wait long for its first token while a big model loads.
STREAM_TIMEOUT = httpx.Timeout(connect=5.0, read=600.0, write=30.0, pool=5.0)


class Backend:
    """One Ollama host. Cheap to make; ``aclose()`` when done."""

    def __init__(self, target: HostTarget, *, timeout: float = MANAGEMENT_TIMEOUT) -> None:
        self.target = target
        self.timeout = timeout
        self._client_: Any = None
        self._stream_client_: Any = None

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
            import ollama

            self._client_ = ollama.AsyncClient(host=self.url, timeout=httpx.Timeout(self.timeout), verify=shared_tls_context())
        return self._client_

    @property
    def _stream_client(self) -> Any:
        if self._stream_client_ is None:
            import ollama

            self._stream_client_ = ollama.AsyncClient(host=self.url, timeout=STREAM_TIMEOUT, verify=shared_tls_context())
        return self._stream_client_

    async def aclose(self) -> None:
        for client in (self._client_, self._stream_client_):
            if client is not None:
                await client._client.aclose()
        self._client_ = self._stream_client_ = None

    async def __aenter__(self) -> Backend:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _translate(self, exc: BaseException, model: str | None = None) -> BackendError:
        from ollama import ResponseError

        if isinstance(exc, BackendError):
            return exc
        lost = transport_error(exc, server=f"Ollama at {self.url}",
                               unreachable=lambda e: BackendUnreachable(self.url, reason(e), local=self.locality is Locality.THIS_MACHINE))
        if lost is not None:
            return lost
        if isinstance(exc, ResponseError):
            message = safe_line(valid_text(str(exc.error)).strip())  # the server's words
            if model and exc.status_code == 404 and "not found" in message:
                return ModelNotFound(model, self.name)
            if exc.status_code == -1:
                return BackendError(f"Ollama at {self.name} stopped with an error: {message}")
            return BackendError(f"Ollama at {self.name} answered {exc.status_code}: {message}")
        if isinstance(exc, UNREADABLE):
            return BackendError(f"{self.url} sent an answer that is not Ollama's ({type(exc).__name__}): is it an Ollama server?")
        raise exc

    async def _call(self, coro: Any, model: str | None = None) -> Any:
        try:
            return await coro
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            raise self._translate(exc, model) from None

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Turning an answer into our records: a value of the wrong kind is the host's fault."""
        try:
            yield
        except UNREADABLE as exc:
            raise self._translate(exc) from None

    # --- health ---------------------------------------------------------------

    async def version(self) -> str:
        """Ollama's version (GET /api/version, which the client lacks)."""
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout, verify=shared_tls_context()) as client:
                response = await client.get("/api/version")
                response.raise_for_status()
                return valid_text(str(response.json().get("version", "unknown")))
        except (httpx.HTTPError, ValueError) as exc:
            if isinstance(exc, httpx.HTTPStatusError):
                raise BackendError(f"{self.url} answered {exc.response.status_code}: is it an Ollama server?") from None
            if isinstance(exc, ValueError):
                raise BackendError(f"{self.url} did not answer like an Ollama server") from None
            raise self._translate(exc) from None
        except UNREADABLE:
            raise BackendError(f"{self.url} did not answer like an Ollama server") from None

    async def is_up(self) -> bool:
        try:
            await self.version()
        except BackendError:
            return False
        return True

    # --- models ---------------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        response = await self._call(self._client.list())
        with self._reading():
            models = []
            for entry in response.models:
                details = entry.details
                models.append(
                    ModelInfo(
                        name=valid_text(entry.model or ""),
                        size=int(entry.size or 0),
                        parameter_size=valid_text((details.parameter_size if details else "") or ""),
                        quantization=valid_text((details.quantization_level if details else "") or ""),
                        family=valid_text((details.family if details else "") or ""),
                        modified=entry.modified_at,
                        digest=valid_text(entry.digest or ""),
                    )
                )
            return models

    async def show(self, name: str) -> ModelDetails:
        response = await self._call(self._client.show(name), model=name)
        with self._reading():
            info = response.modelinfo or {}
            context = next((int(v) for k, v in info.items() if k.endswith(".context_length")), None)
            details = response.details
            return ModelDetails(
                name=name,
                family=valid_text((details.family if details else "") or ""),
                parameter_size=valid_text((details.parameter_size if details else "") or ""),
                quantization=valid_text((details.quantization_level if details else "") or ""),
                capabilities=tuple(valid_text(c) for c in response.capabilities or ()),
                context_length=context,
                template=valid_text(response.template or ""),
                license=valid_text(response.license or ""),
                parameters=valid_text(response.parameters or ""),
            )

    async def delete(self, name: str) -> None:
        await self._call(self._client.delete(name), model=name)

    async def copy(self, source: str, destination: str) -> None:
        await self._call(self._client.copy(source, destination), model=source)

    async def ps(self) -> list[LoadedModel]:
        response = await self._call(self._client.ps())
        with self._reading():
            return [
                LoadedModel(
                    name=valid_text(entry.model or entry.name or ""),
                    size=int(entry.size or 0),
                    size_vram=int(entry.size_vram or 0),
                    expires_at=entry.expires_at,
                    context_length=entry.context_length,
                )
                for entry in response.models
            ]

    async def unload(self, name: str) -> None:
        """Free the model's memory now (keep_alive 0)."""
        await self._call(self._client.generate(model=name, prompt="", keep_alive=0), model=name)

    async def pull(self, name: str) -> AsyncGenerator[PullProgress, None]:
        """Download a model, yielding progress; cancel by leaving the loop."""
        progress = PullProgress(status="starting", started=time.monotonic())
        stream = None
        try:
            stream = await self._call(self._stream_client.pull(name, stream=True), model=name)
            async for part in stream:
                now = time.monotonic()
                progress.now = now
                progress.status = valid_text(part.status or progress.status)
                progress.digest = part.digest
                if part.digest and part.total:
                    layer = progress.layers.get(part.digest)
                    if layer is None:
                        layer = progress.layers[part.digest] = LayerProgress(part.digest, int(part.total), started=now)
                    layer.completed = int(part.completed or layer.completed)
                    layer.updated = now
                progress.done = part.status == "success"
                yield progress
        except Exception as exc:  # noqa: BLE001
            translated = self._translate(exc, model=name)
            if "file does not exist" in str(exc):
                translated = BackendError(f"no model called '{name}' in the Ollama library (check the name at https://ollama.com/library)")
            raise translated from None
        finally:
            if stream is not None:
                await stream.aclose()

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

        ``tools`` (Ollama's function schemas) are offered to the model; the
        calls it makes arrive as ``ChatChunk.tool_calls``. Offer them only to
        a model whose ``show()`` capabilities include "tools".
        """
        stream = None
        try:
            stream = await self._call(
                self._stream_client.chat(
                    model=model,
                    messages=list(messages),
                    options=dict(options) if options else None,
                    think=think,
                    keep_alive=keep_alive,
                    tools=list(tools) if tools else None,
                    stream=True,
                ),
                model=model,
            )
            async for part in stream:
                message = part.message
                yield ChatChunk(
                    content=valid_text(message.content or "") if message else "",
                    thinking=valid_text(message.thinking or "") if message else "",
                    tool_calls=_tool_calls(message),
                    done=bool(part.done),
                    done_reason=valid_text(part.done_reason) if part.done_reason else None,
                    eval_count=part.eval_count,
                    eval_duration=part.eval_duration,
                    prompt_eval_count=part.prompt_eval_count,
                    prompt_eval_duration=part.prompt_eval_duration,
                    total_duration=part.total_duration,
                )
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc, model=model) from None
        finally:
            if stream is not None:
                await stream.aclose()


def _tool_calls(message: Any) -> tuple[ToolCall, ...]:
    """The tool calls in a streamed message; a call without a name, or with arguments that are not an object, is the host's fault."""
    calls = getattr(message, "tool_calls", None) if message is not None else None
    if not calls:
        return ()
    found = []
    for call in calls:
        function = call.function
        arguments = function.arguments if function.arguments is not None else {}
        if not function.name or not isinstance(arguments, Mapping):
            raise ValueError("a tool call without a name or with arguments that are not an object")
        found.append(ToolCall(valid_text(str(function.name)), dict(arguments)))
    return tuple(found)
