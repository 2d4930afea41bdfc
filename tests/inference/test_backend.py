"""The backend service against the emulator, through the official client."""

from __future__ import annotations

import asyncio

import pytest

from sovtui.inference.backend import Backend
from sovtui.inference.errors import BackendError, BackendUnreachable, ModelNotFound
from sovtui.inference.hosts import HostTarget
from tests.ollama_emulator import OllamaEmulator


def backend_for(emulator: OllamaEmulator) -> Backend:
    return Backend(HostTarget("local", emulator.url))


async def test_version_and_list(ollama: OllamaEmulator) -> None:
    async with backend_for(ollama) as backend:
        assert await backend.version() == "0.12.6"
        models = {m.name: m for m in await backend.list_models()}
    assert set(models) == {"qwen3:0.6b", "llama3.2:1b"}
    qwen = models["qwen3:0.6b"]
    assert (qwen.size, qwen.parameter_size, qwen.quantization, qwen.family) == (522_653_767, "751.63M", "Q4_K_M", "qwen3")
    assert qwen.modified is not None


async def test_show_reports_capabilities_and_context(ollama: OllamaEmulator) -> None:
    async with backend_for(ollama) as backend:
        details = await backend.show("qwen3:0.6b")
    assert "thinking" in details.capabilities
    assert details.context_length == 4096
    assert details.license


async def test_chat_streams_thinking_then_content_then_stats(ollama: OllamaEmulator) -> None:
    ollama.set_reply("qwen3:0.6b", "The sky scatters blue light.", thinking="Rayleigh scattering", chunk_size=5)
    chunks = []
    async with backend_for(ollama) as backend:
        async for chunk in backend.chat("qwen3:0.6b", [{"role": "user", "content": "why blue?"}], think=True):
            chunks.append(chunk)
    assert "".join(c.thinking for c in chunks) == "Rayleigh scattering"
    assert "".join(c.content for c in chunks) == "The sky scatters blue light."
    assert len([c for c in chunks if c.content]) > 1, "the reply must arrive in pieces"
    final = chunks[-1]
    assert final.done and final.done_reason == "stop"
    assert final.eval_count and final.eval_duration and final.prompt_eval_count


async def test_chat_sends_options_and_keep_alive(ollama: OllamaEmulator) -> None:
    async with backend_for(ollama) as backend:
        async for _ in backend.chat("llama3.2:1b", [{"role": "user", "content": "hi"}], options={"temperature": 0.2, "seed": 7}, keep_alive="10m"):
            pass
    path, body = ollama.requests[-1]
    assert path == "/api/chat"
    assert body["options"] == {"temperature": 0.2, "seed": 7}
    assert body["keep_alive"] == "10m"


async def test_unknown_model_is_model_not_found(ollama: OllamaEmulator) -> None:
    async with backend_for(ollama) as backend:
        with pytest.raises(ModelNotFound, match="model 'nope' is not installed on local: pull it with 'sovtui models pull nope'"):
            async for _ in backend.chat("nope", [{"role": "user", "content": "hi"}]):
                pass


async def test_error_line_mid_stream_keeps_what_arrived(ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "abcdefghijkl", chunk_size=4, error_after=2)
    got = []
    async with backend_for(ollama) as backend:
        with pytest.raises(BackendError, match="stopped with an error: an error was encountered while running the model"):
            async for chunk in backend.chat("llama3.2:1b", [{"role": "user", "content": "hi"}]):
                got.append(chunk.content)
    assert "".join(got) == "abcdefgh"


async def test_dropped_connection_is_a_clear_error(ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "abcdefghijkl", chunk_size=4, drop_after=1)
    async with backend_for(ollama) as backend:
        with pytest.raises(BackendError, match="connection to Ollama at .* was lost"):
            async for _ in backend.chat("llama3.2:1b", [{"role": "user", "content": "hi"}]):
                pass


async def test_leaving_a_stream_early_closes_it(ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "x" * 400, chunk_size=1, delay=0.01)
    async with backend_for(ollama) as backend:
        stream = backend.chat("llama3.2:1b", [{"role": "user", "content": "hi"}])
        async for _ in stream:
            break
        await stream.aclose()
        # The connection is free again: a next call is answered at once.
        assert await asyncio.wait_for(backend.list_models(), timeout=2)


async def test_pull_reports_progress_per_layer_and_installs(ollama: OllamaEmulator) -> None:
    seen = []
    async with backend_for(ollama) as backend:
        async for progress in backend.pull("gemma3:1b"):
            seen.append((progress.status, progress.percent, len(progress.layers)))
        names = {m.name for m in await backend.list_models()}
    assert seen[0][0] == "pulling manifest"
    assert seen[-1] == ("success", 100.0, 2)
    assert any(0 < pct < 100 for _, pct, _ in seen)
    assert "gemma3:1b" in names


async def test_pull_of_a_model_that_does_not_exist(ollama: OllamaEmulator) -> None:
    async with backend_for(ollama) as backend:
        with pytest.raises(BackendError, match="no model called 'no-such-model' in the Ollama library"):
            async for _ in backend.pull("no-such-model"):
                pass


async def test_pull_can_be_cancelled(ollama: OllamaEmulator) -> None:
    ollama.pull_delay = 0.2
    ollama.pull_steps = 50

    async def pull() -> None:
        async with backend_for(ollama) as backend:
            async for _ in backend.pull("gemma3:1b"):
                pass

    task = asyncio.create_task(pull())
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=2)
    async with backend_for(ollama) as backend:
        assert "gemma3:1b" not in {m.name for m in await backend.list_models()}


async def test_ps_unload_copy_delete(ollama: OllamaEmulator) -> None:
    async with backend_for(ollama) as backend:
        async for _ in backend.chat("llama3.2:1b", [{"role": "user", "content": "hi"}]):
            pass
        (loaded,) = await backend.ps()
        assert loaded.name == "llama3.2:1b" and loaded.expires_at is not None
        await backend.unload("llama3.2:1b")
        assert await backend.ps() == []
        await backend.copy("llama3.2:1b", "mine")
        assert "mine:latest" in {m.name for m in await backend.list_models()}
        await backend.delete("mine:latest")
        with pytest.raises(ModelNotFound):
            await backend.delete("mine:latest")


async def test_nothing_listening_is_unreachable_everywhere(no_ollama: str) -> None:
    async with Backend(HostTarget("local", no_ollama)) as backend:
        for call in (backend.version(), backend.list_models(), backend.ps(), backend.show("x")):
            with pytest.raises(BackendUnreachable, match=r"\(connection refused\): start it with 'sovtui backend start'"):
                await call
        with pytest.raises(BackendUnreachable):
            async for _ in backend.chat("x", [{"role": "user", "content": "hi"}]):
                pass
        with pytest.raises(BackendUnreachable):
            async for _ in backend.pull("x"):
                pass
        assert not await backend.is_up()


def test_every_client_shares_one_verifying_tls_context() -> None:
    import ssl

    from sovtui.inference.backend import Backend, shared_tls_context
    from sovtui.inference.hosts import HostTarget

    context = shared_tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    a = Backend(HostTarget(name="a", url="https://a.example:11434"))
    b = Backend(HostTarget(name="b", url="http://127.0.0.1:11434"))
    for backend in (a, b):
        for client in (backend._client, backend._stream_client):
            assert client._client._transport._pool._ssl_context is context
