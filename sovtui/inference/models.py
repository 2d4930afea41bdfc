"""What a person does with the models on a host, as one set of rules for every front end.

``sovtui models`` and the Models pane both come here: which model is the
default (Ollama's ``llama3`` is ``llama3:latest``), making one the default
(only once the host says it is installed), what a host holds and runs, how
the list is sorted, and what a model name may look like.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovtui.config import Config
from sovtui.errors import UsageError
from sovtui.inference.errors import ModelNotFound
from sovtui.inference.types import LoadedModel, ModelDetails, ModelInfo

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.inference.hosts import HostTarget

#: The orders the model list can be shown in, in the order a key cycles through them.
SORT_KEYS = ("name", "size", "modified", "family")


def full_name(name: str) -> str:
    """The name with its tag, as Ollama lists it: ``llama3`` is ``llama3:latest``.

    A tag follows the last ``:`` after the last ``/`` (``host:5000/llama3`` has none).
    """
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def same_model(a: str, b: str) -> bool:
    """True when Ollama means the same model by both names."""
    return bool(a) and bool(b) and full_name(a) == full_name(b)


def check_model_name(name: str) -> str:
    """A model name as a person typed it, trimmed; UsageError if it cannot be one."""
    name = name.strip()
    if not name:
        raise UsageError("type a model name, e.g. qwen3:0.6b")
    if any(ch.isspace() for ch in name):
        raise UsageError("a model name has no spaces (e.g. qwen3:0.6b)")
    return name


def sort_models(models: list[ModelInfo], key: str) -> list[ModelInfo]:
    """``models`` in one of the ``SORT_KEYS`` orders (size and date: largest and newest first)."""
    if key == "size":
        return sorted(models, key=lambda m: m.size, reverse=True)
    if key == "modified":
        return sorted(models, key=lambda m: m.modified.timestamp() if m.modified else 0, reverse=True)
    if key == "family":
        return sorted(models, key=lambda m: (m.family, m.name))
    return sorted(models, key=lambda m: m.name)


async def installed_names(ctx: Context, host_name: str | None = None) -> list[str]:
    """The names of the models installed on the host."""
    async with ctx.backend(host_name) as backend:
        return [m.name for m in await backend.list_models()]


async def set_default_model(ctx: Context, name: str, host_name: str | None = None, *, installed: Sequence[str] | None = None) -> str:
    """Make ``name`` the model new chats use, once the host says it has it; the name kept.

    ModelNotFound when the host does not list it (``llama3`` matches
    ``llama3:latest``). ``installed``: the host's list, when the caller has
    just asked for it (a screen showing it); else the host is asked now.
    A host named here becomes the default host too: the model is that
    host's, and a default model on one host with prompts going to another
    would start every new chat with a model its host does not have.
    """
    name = check_model_name(name)
    if installed is None:
        installed = await installed_names(ctx, host_name)
    if not any(same_model(name, model) for model in installed):
        target = ctx.host(host_name)
        raise ModelNotFound(name, target.name, served=list(installed) if target.is_openai else None)

    def change(config: Config) -> None:
        config.inference.model = name
        if host_name is not None:
            config.inference.host = host_name

    await asyncio.to_thread(ctx.update_config, change)  # a locked file write: off the event loop
    return name


async def model_details(ctx: Context, name: str, host_name: str | None = None) -> ModelDetails:
    async with ctx.backend(host_name) as backend:
        return await backend.show(name)


async def delete_model(ctx: Context, name: str, host_name: str | None = None) -> None:
    async with ctx.backend(host_name) as backend:
        await backend.delete(name)


async def unload_model(ctx: Context, name: str, host_name: str | None = None) -> None:
    """Free the model's memory on the host now."""
    async with ctx.backend(host_name) as backend:
        await backend.unload(name)


@dataclass(frozen=True)
class HostSurvey:
    """What a host answers when asked what it has: its version, models, loaded models."""

    target: HostTarget
    version: str
    models: list[ModelInfo]
    #: None when the host cannot say (the OpenAI-compatible API has no such list).
    loaded: list[LoadedModel] | None
    #: The server is an ``ollama serve`` that sovtui started (and may stop).
    managed: bool


async def survey(ctx: Context, host_name: str | None = None) -> HostSurvey:
    """Ask the host for its version, its models and the loaded ones."""
    server = ctx.server(host_name)
    async with ctx.backend(host_name) as backend:
        version = await backend.version()
        models = await backend.list_models()
        loaded = None if backend.target.is_openai else await backend.ps()  # the OpenAI API does not say
    managed = await asyncio.to_thread(server.managed_pid) is not None
    return HostSurvey(server.target, version, models, loaded, managed)


def is_default(model: str, config: Config) -> bool:
    """True when ``model`` is the configured default model."""
    return same_model(model, config.inference.model)
