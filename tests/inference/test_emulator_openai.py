"""The emulator's OpenAI-compatible chat, which the benchmark's peers (oterm) use.

sovtui itself speaks only Ollama's native API; this endpoint exists so a peer
can be measured against the same emulator. It follows Ollama's docs/openai.md:
a chat.completion, or server-sent chat.completion.chunk events ending in
``data: [DONE]``.
"""

from __future__ import annotations

import json
import time

import httpx

from tests.ollama_emulator import OllamaEmulator


def test_streams_chunks_then_done(ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "", parts=["Hel", "lo ", "there"])
    events = []
    with httpx.stream(
        "POST", f"{ollama.url}/v1/chat/completions", json={"model": "llama3.2:1b", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    ) as response:
        assert response.status_code == 200 and response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line:
                assert line.startswith("data: ")
                events.append(line[len("data: "):])
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "llama3.2:1b" for c in chunks)
    assert "".join(c["choices"][0]["delta"]["content"] for c in chunks) == "Hello there"
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, None, "stop"]
    for _ in range(200):  # the server's thread notes the count after its last write, maybe after we read it
        if "chunks" in ollama.last_stream:
            break
        time.sleep(0.01)
    assert ollama.last_stream["chunks"] == 3


def test_without_stream_one_completion(ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "A whole answer.")
    body = httpx.post(f"{ollama.url}/v1/chat/completions", json={"model": "llama3.2:1b", "messages": [{"role": "user", "content": "hi"}]}).json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "A whole answer."}


def test_an_unknown_model_is_an_openai_shaped_error(ollama: OllamaEmulator) -> None:
    response = httpx.post(f"{ollama.url}/v1/chat/completions", json={"model": "nope", "messages": []})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == 'model "nope" not found, try pulling it first'
