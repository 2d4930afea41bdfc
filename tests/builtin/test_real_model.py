"""A real model answers: SmolLM2-135M-Instruct on the built-in engine (llama-cpp-python's server).

These check what no emulator can: real tokens through a real chat template,
at a real model's pace. They check behaviour, not words: the reply is made
of text, it streams in several pieces, token counts come back, a stop keeps
what came, a second turn costs the first turn's tokens again. One engine
serves the whole session (``engine`` in conftest) and is stopped after it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sovtui.chat.session import ChatSession, ChatSettings
from sovtui.chat.store import ConversationStore
from sovtui.context import Context
from tests.builtin.conftest import Engine
from tests.egress import egress_env

pytestmark = pytest.mark.real_model

ROOT = Path(__file__).resolve().parents[2]


def _ctx() -> Context:
    return Context()


async def test_the_official_openai_client_gets_a_real_streamed_reply(engine_env: Engine) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=engine_env.url, api_key="none", max_retries=0)
    try:
        models = [m.id async for m in client.models.list()]
        assert models == ["smollm2"]  # the alias from the multi-model config, not the file path
        stream = await client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": "Say hello."}], stream=True, max_tokens=16, temperature=0,
            stream_options={"include_usage": True},
        )
        pieces, usage = [], None
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
            usage = chunk.usage or usage
    finally:
        await client.close()
    assert len(pieces) >= 3 and "".join(pieces).strip()
    assert usage is None or usage.completion_tokens >= 1


async def test_a_reply_of_real_tokens_streams_and_is_saved(engine_env: Engine) -> None:
    ctx = _ctx()
    session = ChatSession.new(ctx, model="smollm2", host_name="builtin")
    session.configure(ChatSettings(model="smollm2", options={"num_predict": 24, "temperature": 0}))
    events = [event async for event in session.send("What is the capital of France?")]
    pieces = [e.text for e in events if e.kind == "content"]
    assert len(pieces) >= 3, "a real reply arrives token by token"
    assert events[-1].kind == "done"
    saved = ConversationStore(ctx.paths).load(session.conversation.id)
    user, reply = saved.messages
    assert reply.role == "assistant" and reply.content == "".join(pieces) and reply.content.strip()
    assert reply.model == "smollm2" and reply.host == "builtin" and not reply.interrupted
    assert reply.eval_count and reply.eval_count >= len(pieces) - 1 and reply.prompt_eval_count
    assert reply.tokens_per_second and reply.tokens_per_second > 1
    assert saved.host == "builtin"


async def test_stop_mid_reply_keeps_the_partial(engine_env: Engine) -> None:
    ctx = _ctx()
    session = ChatSession.new(ctx, model="smollm2", host_name="builtin")
    stream = session.send("Write a long story about a dragon and a lighthouse.")
    pieces = []
    async for event in stream:
        if event.kind == "content":
            pieces.append(event.text)
            if len(pieces) == 5:
                break
    await stream.aclose()
    reply = ConversationStore(ctx.paths).load(session.conversation.id).messages[-1]
    assert reply.interrupted and reply.content == "".join(pieces) and reply.content.strip()
    # The engine is free again at once: the next request is answered.
    after = [e async for e in ChatSession.new(ctx, model="smollm2", host_name="builtin").send("Hi")]
    assert after[-1].kind == "done"


async def test_a_second_turn_carries_the_first_as_context(engine_env: Engine) -> None:
    ctx = _ctx()
    session = ChatSession.new(ctx, model="smollm2", host_name="builtin")
    session.configure(ChatSettings(model="smollm2", options={"num_predict": 12, "temperature": 0}))
    [e async for e in session.send("My name is Zebulon.")]
    first = session.conversation.messages[-1]
    [e async for e in session.send("What is my name?")]
    second = session.conversation.messages[-1]
    assert first.prompt_eval_count and second.prompt_eval_count and first.eval_count
    # The model read the whole first exchange again: the prompt grew by at least its tokens.
    assert second.prompt_eval_count >= first.prompt_eval_count + first.eval_count
    saved = ConversationStore(ctx.paths).load(session.conversation.id)
    assert [m.role for m in saved.messages] == ["user", "assistant", "user", "assistant"]


def test_two_sovtui_processes_share_one_engine(engine_env: Engine) -> None:
    env = {**os.environ, **egress_env(), "PYTHONPATH": os.pathsep.join([str(ROOT), egress_env()["PYTHONPATH"]])}
    command = [sys.executable, "-m", "sovtui", "chat", "--host", "builtin", "-m", "smollm2", "--temperature", "0"]
    children = [
        subprocess.Popen([*command, f"Count to {n}."], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        for n in (3, 4)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, outputs):
        assert child.returncode == 0, err
        assert out.strip()
    record = json.loads(engine_env.server.pid_file.read_text())
    assert record["pid"] == engine_env.pid, "no second engine was started"
    status = asyncio.run(engine_env.server.status())
    assert status.answering and status.pid == engine_env.pid


def test_starting_it_again_finds_the_running_engine(cli, engine_env: Engine) -> None:
    result = cli("backend", "start", "--host", "builtin")
    assert result.returncode == 0, result.stderr
    assert f"pid {engine_env.pid}" in result.stdout and "127.0.0.1" in result.stdout
    status = json.loads(cli("backend", "status", "--host", "builtin", "--json").stdout)
    assert status["answering"] and status["managed"] and status["pid"] == engine_env.pid


async def test_a_running_engine_is_local_inference_for_the_level(engine_env: Engine) -> None:
    """The engine has no [hosts] entry; running, its model answers on this machine: level 2, not "full dependence"."""
    from sovtui.sovereignty import assess, gather_state

    ctx = _ctx()
    ctx.config.hosts.clear()  # in memory only: no Ollama host to ask, the engine is not the default host
    assert ctx.config.inference.host != "builtin"
    state = await gather_state(ctx, files=False)
    assert [(h.name, h.answering, h.models, h.builtin) for h in state.hosts] == [("builtin", True, 1, True)]
    assessment = assess(state)
    assert assessment.level == 2 and assessment.level_name == "local inference"
    assert not {"ollama-missing", "builtin-stopped"} & {f.id for f in assessment.findings}
