"""Conversations: streaming, stopping, failures, persistence, corrupt files, personas."""

from __future__ import annotations

import asyncio
import json

import pytest

from sovtui.chat.models import Conversation, Message, to_markdown
from sovtui.chat.personas import delete_persona, set_persona
from sovtui.chat.session import ChatSession, NoModel
from sovtui.chat.store import ConversationNotFound, ConversationStore
from sovtui.context import Context
from sovtui.errors import SovtuiError, UsageError
from sovtui.inference.errors import BackendError, ModelNotFound
from tests.ollama_emulator import OllamaEmulator


async def collect(stream) -> list:  # type: ignore[no-untyped-def]
    return [event async for event in stream]


async def test_reply_streams_and_is_saved_with_stats(ctx: Context, ollama: OllamaEmulator) -> None:
    ollama.set_reply("qwen3:0.6b", "Blue light scatters more.", thinking="Rayleigh", chunk_size=4)
    session = ChatSession.new(ctx, model="qwen3:0.6b")
    events = await collect(session.send("why is the sky blue?"))
    assert [e.kind for e in events if e.kind == "thinking"], "a thinking model's thoughts arrive separately"
    assert "".join(e.text for e in events if e.kind == "content") == "Blue light scatters more."
    assert events[-1].kind == "done"
    saved = ConversationStore(ctx.paths).load(session.conversation.id)
    user, reply = saved.messages
    assert (user.role, user.content) == ("user", "why is the sky blue?")
    assert reply.content == "Blue light scatters more." and reply.thinking == "Rayleigh"
    assert reply.eval_count and reply.eval_duration and reply.prompt_eval_count and reply.done_reason == "stop"
    assert not reply.interrupted
    assert saved.title == "why is the sky blue?" and saved.host == "local"


async def test_default_model_then_first_installed(ctx: Context, ollama: OllamaEmulator) -> None:
    session = ChatSession.new(ctx)
    await collect(session.send("hi"))
    assert session.conversation.model == "qwen3:0.6b"  # the first installed

    def change(config) -> None:  # type: ignore[no-untyped-def]
        config.inference.model = "llama3.2:1b"

    ctx.update_config(change)
    session = ChatSession.new(ctx)
    await collect(session.send("hi"))
    assert session.conversation.model == "llama3.2:1b"


async def test_no_model_installed(ctx: Context, ollama: OllamaEmulator) -> None:
    ollama.models.clear()
    with pytest.raises(NoModel, match="no model is installed on local: pull one"):
        await collect(ChatSession.new(ctx).send("hi"))


async def test_unknown_model_keeps_the_prompt_and_no_empty_reply(ctx: Context, ollama: OllamaEmulator) -> None:
    session = ChatSession.new(ctx, model="nope")
    with pytest.raises(ModelNotFound):
        await collect(session.send("hello?"))
    saved = ConversationStore(ctx.paths).load(session.conversation.id)
    assert [m.role for m in saved.messages] == ["user"]


async def test_stop_mid_stream_keeps_the_partial_reply(ctx: Context, ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "word " * 200, chunk_size=5, delay=0.005)
    session = ChatSession.new(ctx, model="llama3.2:1b")
    stream = session.send("talk")
    count = 0
    async for event in stream:
        count += event.kind == "content"
        if count == 10:
            break
    await stream.aclose()
    saved = ConversationStore(ctx.paths).load(session.conversation.id)
    reply = saved.messages[-1]
    assert reply.interrupted and reply.content == "word " * 10


async def test_cancelling_the_task_keeps_the_partial_reply(ctx: Context, ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "word " * 200, chunk_size=5, delay=0.01)
    session = ChatSession.new(ctx, model="llama3.2:1b")

    async def run() -> None:
        await collect(session.send("talk"))

    task = asyncio.create_task(run())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reply = ConversationStore(ctx.paths).load(session.conversation.id).messages[-1]
    assert reply.interrupted and reply.content.startswith("word ")


async def test_backend_dying_mid_stream_keeps_what_arrived(ctx: Context, ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "abcdefghijklmnop", chunk_size=4, drop_after=2)
    session = ChatSession.new(ctx, model="llama3.2:1b")
    with pytest.raises(BackendError, match="was lost"):
        await collect(session.send("go"))
    reply = ConversationStore(ctx.paths).load(session.conversation.id).messages[-1]
    assert reply.content == "abcdefgh" and reply.interrupted and "was lost" in reply.error


async def test_saves_at_least_every_second_while_streaming(ctx: Context, ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "x" * 40, chunk_size=1, delay=0.05)
    session = ChatSession.new(ctx, model="llama3.2:1b")
    store = ConversationStore(ctx.paths)
    seen_on_disk = []
    async for event in session.send("go"):
        if event.kind == "content" and len(event.message.content) in (30, 35):
            seen_on_disk.append(len(store.load(session.conversation.id).messages[-1].content))
    # 30 chunks took about 1.5 s: at least one intermediate save landed.
    assert seen_on_disk and seen_on_disk[0] >= 15


async def test_the_end_of_a_reply_is_announced_before_it_is_saved(ctx: Context, ollama: OllamaEmulator) -> None:
    """A screen shows the last words without waiting for the disk; "done" comes once the reply is saved."""
    ollama.set_reply("llama3.2:1b", "all of it", chunk_size=3)
    session = ChatSession.new(ctx, model="llama3.2:1b")
    store = ConversationStore(ctx.paths)
    kinds, on_disk = [], {}
    async for event in session.send("go"):
        kinds.append(event.kind)
        if event.kind in ("finished", "done"):
            assert event.message.content == "all of it" and event.message.done_reason == "stop"
            on_disk[event.kind] = store.load(session.conversation.id).messages[-1].done_reason
    assert kinds[-2:] == ["finished", "done"]
    assert on_disk == {"finished": None, "done": "stop"}


async def test_regenerate_replaces_the_last_reply(ctx: Context, ollama: OllamaEmulator) -> None:
    session = ChatSession.new(ctx, model="llama3.2:1b")
    await collect(session.send("first"))
    ollama.set_reply("llama3.2:1b", "a different answer")
    await collect(session.regenerate())
    messages = ConversationStore(ctx.paths).load(session.conversation.id).messages
    assert [m.content for m in messages] == ["first", "a different answer"]


async def test_edit_an_earlier_prompt_drops_what_followed(ctx: Context, ollama: OllamaEmulator) -> None:
    session = ChatSession.new(ctx, model="llama3.2:1b")
    await collect(session.send("one"))
    await collect(session.send("two"))
    await collect(session.edit(0, "uno"))
    messages = session.conversation.messages
    assert [m.content for m in messages] == ["uno", "You said: uno"]
    with pytest.raises(UsageError):
        await collect(session.edit(1, "not mine"))


async def test_options_persona_and_keep_alive_reach_ollama(ctx: Context, ollama: OllamaEmulator) -> None:
    set_persona(ctx, "pirate", "Talk like a pirate.")
    session = ChatSession.new(ctx, model="llama3.2:1b", persona="pirate")
    session.conversation.options.update({"temperature": 0.1, "seed": 42, "num_ctx": 2048, "keep_alive": "1m"})
    await collect(session.send("hello"))
    _, body = [r for r in ollama.requests if r[0] == "/api/chat"][-1]
    assert body["messages"][0] == {"role": "system", "content": "Talk like a pirate."}
    assert body["options"] == {"temperature": 0.1, "seed": 42, "num_ctx": 2048}
    assert body["keep_alive"] == "1m"


def test_personas_are_kept_in_config(ctx: Context) -> None:
    assert {"assistant", "concise", "coder", "tutor"} <= set(ctx.config.personas)
    set_persona(ctx, "mine", "Be yourself.")
    delete_persona(ctx, "tutor")
    text = ctx.paths.config_file.read_text()
    assert "[personas.mine]" in text and "[personas.tutor]" not in text
    with pytest.raises(UsageError):
        set_persona(ctx, "bad name", "x")
    with pytest.raises(UsageError, match="no persona named 'ghost'"):
        ChatSession.new(ctx, persona="ghost")


def test_round_trip_and_markdown(ctx: Context) -> None:
    store = ConversationStore(ctx.paths)
    conversation = Conversation(model="m", host="local")
    conversation.messages += [Message("user", "show code"), Message("assistant", "```py\nprint(1)\n```", thinking="easy", eval_count=3, eval_duration=10**9)]
    conversation.touch()
    store.save(conversation)
    again = store.load(conversation.id[:15])
    assert again == conversation
    markdown = to_markdown(again)
    assert "## You" in markdown and "```py\nprint(1)\n```" in markdown and "thinking" in markdown


def test_corrupt_file_is_reported_skipped_and_kept(ctx: Context) -> None:
    store = ConversationStore(ctx.paths)
    good = Conversation(title="fine")
    store.save(good)
    broken = store.folder / "20260101-000000-dead.json"
    broken.write_text('{"id": "x", "messages": [')
    before = broken.read_bytes()
    summaries = store.summaries()
    assert [s.id for s in summaries] == [good.id]
    (problem,) = store.problems
    assert problem.path == broken and "not valid JSON" in str(problem)
    assert broken.read_bytes() == before
    with pytest.raises(SovtuiError, match="cannot read this conversation"):
        store.load("20260101-000000-dead")
    assert broken.read_bytes() == before


def test_listing_reads_only_the_files_that_changed(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from sovtui.chat import index

    store = ConversationStore(ctx.paths)
    for n in range(3):
        store.save(Conversation(title=f"c{n}"))
    assert len(store.summaries()) == 3
    read: list[str] = []
    real = index._read
    monkeypatch.setattr(index, "_read", lambda path, key: read.append(path.name) or real(path, key))
    assert len(store.summaries()) == 3
    assert read == []  # the index answered; no conversation file was opened
    changed = store.load(store.summaries()[0].id)
    changed.rename("c9")
    store.save(changed)
    assert [s.title for s in store.summaries()][0] == "c9"
    assert read == [f"{changed.id}.json"]


def test_search_finds_titles_and_content(ctx: Context) -> None:
    store = ConversationStore(ctx.paths)
    a = Conversation(title="Bitcoin nodes")
    b = Conversation(title="Cooking")
    b.messages.append(Message("user", "How long do I boil an egg?"))
    store.save(a)
    store.save(b)
    assert [s.id for s in store.search("bitcoin")] == [a.id]
    assert [s.id for s in store.search("EGG")] == [b.id]


def test_unknown_and_ambiguous_ids(ctx: Context) -> None:
    store = ConversationStore(ctx.paths)
    with pytest.raises(ConversationNotFound):
        store.load("nothing")
    store.save(Conversation(id="20260101-000000-aaaa"))
    store.save(Conversation(id="20260101-000000-aaab"))
    with pytest.raises(SovtuiError, match="names 2 conversations"):
        store.load("20260101-000000-aa")
