"""The model rules, once, at the service: what ``sovtui models`` and the Models pane both meet."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sovtui.config import load_config
from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.inference.errors import ModelNotFound
from sovtui.inference.models import check_model_name, full_name, is_default, same_model, set_default_model, sort_models, survey
from sovtui.inference.types import ModelInfo
from tests.ollama_emulator import OllamaEmulator


def test_ollama_names_with_and_without_a_tag() -> None:
    assert full_name("llama3") == "llama3:latest"
    assert full_name("qwen3:0.6b") == "qwen3:0.6b"
    assert full_name("registry.local:5000/llama3") == "registry.local:5000/llama3:latest"
    assert same_model("llama3", "llama3:latest") and not same_model("llama3", "llama3:8b")
    assert not same_model("", "")


def test_a_model_name_has_no_spaces() -> None:
    assert check_model_name("  qwen3:0.6b ") == "qwen3:0.6b"
    for bad in ("", "  ", "qwen3 0.6b"):
        with pytest.raises(UsageError):
            check_model_name(bad)


async def test_the_default_model_must_be_installed(ctx: Context, ollama: OllamaEmulator) -> None:
    with pytest.raises(ModelNotFound, match="'ghost' is not installed on local"):
        await set_default_model(ctx, "ghost")
    assert load_config(ctx.paths.config_file).inference.model == ""
    assert await set_default_model(ctx, "qwen3:0.6b") == "qwen3:0.6b"
    assert load_config(ctx.paths.config_file).inference.model == "qwen3:0.6b"
    assert is_default("qwen3:0.6b", ctx.config)


async def test_the_default_model_without_its_tag_means_latest(ctx: Context) -> None:
    """No host asked: the caller hands over the list it has just shown."""
    await set_default_model(ctx, "llama3", installed=["llama3:latest"])
    assert ctx.reload().inference.model == "llama3"
    assert is_default("llama3:latest", ctx.config)
    with pytest.raises(ModelNotFound):
        await set_default_model(ctx, "llama3", installed=["llama3:8b"])


async def test_a_survey_of_the_host(ctx: Context, ollama: OllamaEmulator) -> None:
    found = await survey(ctx)
    assert found.target.name == "local" and found.version and not found.managed
    assert sorted(m.name for m in found.models) == ["llama3.2:1b", "qwen3:0.6b"]


def test_sorting() -> None:
    def model(name: str, size: int, day: int, family: str) -> ModelInfo:
        return ModelInfo(name, size, "", "", family, datetime(2026, 1, day, tzinfo=timezone.utc))

    models = [model("b", 1, 3, "x"), model("a", 3, 1, "y"), model("c", 2, 2, "x")]
    assert [m.name for m in sort_models(models, "name")] == ["a", "b", "c"]
    assert [m.name for m in sort_models(models, "size")] == ["a", "c", "b"]
    assert [m.name for m in sort_models(models, "modified")] == ["b", "c", "a"]
    assert [m.name for m in sort_models(models, "family")] == ["b", "c", "a"]


async def test_a_default_model_on_a_named_host_makes_that_host_the_default(ctx: Context) -> None:
    """The model is that host's: left on another default host, new chats would ask for a model it lacks."""
    assert ctx.config.inference.host == "local"
    await set_default_model(ctx, "smollm2", "builtin", installed=["smollm2"])
    config = load_config(ctx.paths.config_file)
    assert (config.inference.host, config.inference.model) == ("builtin", "smollm2")
    await set_default_model(ctx, "llama3", installed=["llama3:latest"])  # no host named: the host stays
    config = load_config(ctx.paths.config_file)
    assert (config.inference.host, config.inference.model) == ("builtin", "llama3")
