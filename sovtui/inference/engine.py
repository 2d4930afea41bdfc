"""What every model server offers sovtui, whichever API it speaks.

``Engine`` is the interface the chat, the agent, the CLI and the panes use;
``open_backend(target)`` gives the one for the host's API: the Ollama
``Backend`` (the official ``ollama`` client) or ``OpenAIBackend`` (the
official ``openai`` SDK, imported only when such a host is used: it costs
more than a second to import cold, and start-up must not pay for it).

Both yield the same ``ChatChunk``s and raise the same ``BackendError`` kinds.
What an API cannot do (an OpenAI-compatible server has no pull, delete,
copy, list of loaded models or unload) raises ``OperationUnsupported``;
``unsupported(target, operation)`` says so beforehand, in one line, so a
front end does not offer it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sovtui.inference.hosts import HostTarget

if TYPE_CHECKING:
    from sovtui.inference.types import ChatChunk, LoadedModel, ModelDetails, ModelInfo, PullProgress
    from sovtui.net import Locality

#: The management operations only Ollama's API has.
OPERATIONS = ("pull", "delete", "copy", "ps", "unload")

_OPENAI_CANNOT = {
    "pull": ("pull models", "the OpenAI-compatible API has no download; load the model on the server itself"),
    "delete": ("delete models", "the OpenAI-compatible API cannot remove models; remove it on the server itself"),
    "copy": ("copy models", "the OpenAI-compatible API cannot copy models; name it on the server itself"),
    "ps": ("list loaded models", "the OpenAI-compatible API does not say what is in memory"),
    "unload": ("unload models", "the OpenAI-compatible API cannot unload a model; restart the server to free it"),
}


#: What the built-in engine does beyond the OpenAI-compatible API: its models are GGUF files sovtui manages.
_BUILTIN_CAN = frozenset({"pull", "delete"})


def unsupported(target: HostTarget, operation: str) -> str | None:
    """Why ``target`` cannot do ``operation`` (one of ``OPERATIONS``), in one line; None if it can."""
    if not target.is_openai or operation not in _OPENAI_CANNOT:
        return None
    if target.builtin and operation in _BUILTIN_CAN:
        return None
    what, reason = _OPENAI_CANNOT[operation]
    return f"{target.name} cannot {what}: {reason}"


def cannot(target: HostTarget, operation: str) -> tuple[str, str]:
    """``(what, reason)`` for ``OperationUnsupported`` (the operation must be unsupported)."""
    return _OPENAI_CANNOT[operation]


class Engine(Protocol):
    """One model server. Cheap to make; ``aclose()`` (or ``async with``) when done."""

    target: HostTarget
    timeout: float

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def locality(self) -> Locality: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Engine: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def version(self) -> str: ...
    async def is_up(self) -> bool: ...
    async def list_models(self) -> list[ModelInfo]: ...
    async def show(self, name: str) -> ModelDetails: ...
    async def delete(self, name: str) -> None: ...
    async def copy(self, source: str, destination: str) -> None: ...
    async def ps(self) -> list[LoadedModel]: ...
    async def unload(self, name: str) -> None: ...
    def pull(self, name: str) -> AsyncIterator[PullProgress]: ...
    def chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        think: bool | None = None,
        keep_alive: str | int | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncGenerator[ChatChunk, None]: ...


def open_backend(target: HostTarget, *, timeout: float | None = None, api_key: str | None = None) -> Engine:
    """The backend for ``target``'s API. ``api_key`` is used by OpenAI-compatible hosts only."""
    from sovtui.inference.backend import MANAGEMENT_TIMEOUT

    wait = MANAGEMENT_TIMEOUT if timeout is None else timeout
    if target.is_openai:
        from sovtui.inference.openai_backend import OpenAIBackend

        return OpenAIBackend(target, timeout=wait, api_key=api_key)
    from sovtui.inference.backend import Backend

    return Backend(target, timeout=wait)
