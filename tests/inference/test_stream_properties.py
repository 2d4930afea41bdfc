"""Property tests: whatever NDJSON lines a host streams, sovtui stays in one piece.

A tiny raw HTTP server on 127.0.0.1 (tests/scripted_http.py) sends lines that
Hypothesis makes up: valid chunks with random content (control characters,
bidi overrides and lone surrogates included), random JSON objects, error
lines, and bytes that are not JSON at all. Through the official ``ollama``
client, sovtui's ``Backend`` and ``ChatSession`` either yield their events or
raise a ``BackendError``, never another exception; what ``sovtui chat`` and
``sovtui models pull`` write is safe to show and can be encoded; and the
reply saved on disk is every word that was shown.

Bounded: ``EXAMPLES`` examples per property, no deadline (one HTTP request
per example, on a shared two-core machine).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovtui.chat.session import ChatSession
from sovtui.chat.store import ConversationStore
from sovtui.cli.chat_cmd import ReplyWriter
from sovtui.cli.models_cmd import pull_line
from sovtui.context import Context
from sovtui.errors import SovtuiError
from sovtui.inference.backend import Backend
from sovtui.inference.errors import BackendError
from sovtui.inference.hosts import HostTarget
from sovtui.text import is_safe
from tests.egress import allow_endpoint
from tests.examples import examples
from tests.ollama_fixtures import point_local_host_at
from tests.scripted_http import ScriptedServer

EXAMPLES = examples(100)
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Text a hostile model likes: sequences that drive a terminal, mixed with any
#: character at all (lone surrogates included: JSON can carry "\ud800").
HOSTILE = st.sampled_from(["\x1b]52;c;ZXZpbA==\x07", "\x1b[2J", "\x1b[H", "\x9b31m", "\u202e", "\u2066", "\r", "\x00", "\x7f", "\ud800", "\n"])
TEXT = st.lists(st.one_of(HOSTILE, st.text(st.characters(exclude_categories=()), max_size=8)), max_size=6).map("".join)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
MAYBE_INT = st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False), TEXT)


def _line(value: object) -> bytes:
    # ensure_ascii keeps lone surrogates as "\ud800" escapes, as a hostile server would send them.
    return json.dumps(value).encode()


def chat_chunk() -> st.SearchStrategy[bytes]:
    message = st.fixed_dictionaries({"role": st.just("assistant"), "content": TEXT}, optional={"thinking": TEXT})
    return st.fixed_dictionaries(
        {"model": st.just("m"), "created_at": st.just("2026-03-14T09:26:53Z"), "message": message, "done": st.just(False)}
    ).map(_line)


def done_chunk() -> st.SearchStrategy[bytes]:
    return st.fixed_dictionaries(
        {"model": st.just("m"), "message": st.just({"role": "assistant", "content": ""}), "done": st.just(True)},
        optional={"done_reason": st.one_of(TEXT, JSON_VALUE), "eval_count": MAYBE_INT, "eval_duration": MAYBE_INT, "prompt_eval_count": MAYBE_INT},
    ).map(_line)


TRICKY = st.sampled_from(
    [
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"1e999",
        b"{",
        b"\xff\xfe not utf-8",
        b'{"message": null}',
        b'{"error": {"nested": 1}}',
        b'{"error": "[1]"}',
        b'{"error": ""}',
        b'{"message": {"role": "assistant", "content": "\\ud800\\u001b]52;c;ZXZpbA==\\u0007"}}',
        b"[" * 3000 + b"]" * 3000,
        b'{"a": ' * 3000 + b"1" + b"}" * 3000,
    ]
)


def lines(valid: st.SearchStrategy[bytes]) -> st.SearchStrategy[list[bytes]]:
    """Mostly valid streams, often broken by a random object, an error line or junk."""
    line = st.one_of(
        valid,
        valid,
        st.dictionaries(TEXT, JSON_VALUE, max_size=4).map(_line),
        JSON_VALUE.map(lambda value: _line({"error": value})),
        TRICKY,
        st.binary(max_size=40).filter(lambda raw: b"\n" not in raw),
    )
    return st.lists(line, max_size=8)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer().start()
    yield scripted
    scripted.stop()


@pytest.fixture
def host(server: ScriptedServer, ctx: Context) -> ScriptedServer:
    allow_endpoint("127.0.0.1", server.port)
    point_local_host_at(ctx.paths, server.url)
    return server


def _timed(name: str, started: float) -> None:
    print(f"{name}: {EXAMPLES} examples in {time.monotonic() - started:.1f} s")


# --- the backend --------------------------------------------------------------------


def test_backend_chat_yields_chunks_or_a_backend_error(host: ScriptedServer) -> None:
    started = time.monotonic()

    @PROPERTY
    @given(lines(st.one_of(chat_chunk(), done_chunk())), st.booleans())
    def check(stream: list[bytes], drop: bool) -> None:
        host.script("/api/chat", stream, drop_after=len(stream) // 2 if drop else None)

        async def read() -> None:
            async with Backend(HostTarget("local", host.url)) as backend:
                try:
                    async for chunk in backend.chat("m", [{"role": "user", "content": "hi"}]):
                        chunk.content.encode("utf-8")  # a lone surrogate would fail here, and on any screen
                        chunk.thinking.encode("utf-8")
                except BackendError as exc:
                    assert is_safe(str(exc), one_line=True), str(exc)

        asyncio.run(read())

    check()
    _timed("backend chat", started)


def test_backend_pull_yields_progress_or_a_backend_error(host: ScriptedServer) -> None:
    started = time.monotonic()
    progress_line = st.fixed_dictionaries(
        {"status": TEXT},
        optional={"digest": st.one_of(TEXT, st.just("sha256:" + "ab" * 32)), "total": MAYBE_INT, "completed": MAYBE_INT},
    ).map(_line)

    @PROPERTY
    @given(lines(progress_line))
    def check(stream: list[bytes]) -> None:
        host.script("/api/pull", stream)

        async def read() -> None:
            async with Backend(HostTarget("local", host.url)) as backend:
                try:
                    async for progress in backend.pull("m"):
                        shown = pull_line(progress)
                        assert is_safe(shown, one_line=True), shown
                        shown.encode("utf-8")
                        assert 0.0 <= progress.percent <= 100.0
                except BackendError as exc:
                    assert is_safe(str(exc), one_line=True), str(exc)

        asyncio.run(read())

    check()
    _timed("backend pull", started)


# --- a whole chat, as `sovtui chat` shows it ----------------------------------------------


def test_a_chat_shows_safe_text_and_saves_every_word_shown(host: ScriptedServer, ctx: Context) -> None:
    started = time.monotonic()
    store = ConversationStore(ctx.paths)

    @PROPERTY
    @given(lines(st.one_of(chat_chunk(), done_chunk())))
    def check(stream: list[bytes]) -> None:
        host.script("/api/chat", stream)
        session = ChatSession.new(ctx, model="m")
        session.store = store
        session.conversation.options["think"] = True
        out, err = io.StringIO(), io.StringIO()
        writer = ReplyWriter(out, err, dim=False)
        words: list[str] = []

        async def chat() -> None:
            try:
                async for event in session.send("hi"):
                    writer.write(event)
                    if event.kind == "content":
                        words.append(event.text)
            except SovtuiError as exc:
                assert isinstance(exc, BackendError), repr(exc)
                assert is_safe(str(exc), one_line=True), str(exc)

        asyncio.run(chat())
        for shown in (out.getvalue(), err.getvalue()):
            assert is_safe(shown), shown
            shown.encode("utf-8")
        saved = store.load(session.conversation.id)
        replies = [m for m in saved.messages if m.role == "assistant"]
        assert "".join(m.content for m in replies) == "".join(words)

    check()
    _timed("chat session", started)
