"""The Chat pane driven by keys against the emulator."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sovtui.chat.models import Conversation, Message
from sovtui.chat.store import ConversationStore
from sovtui.paths import Paths
from sovtui.ui.panes.chat import ChatPane
from sovtui.ui.screens.dialogs import ConfirmDialog, TextDialog
from sovtui.ui.widgets.chat_input import ChatInput
from sovtui.ui.widgets.conversation_list import ConversationList
from sovtui.ui.widgets.message import MessageWidget
from sovtui.ui.widgets.message_log import MessageLog
from tests.ollama_emulator import OllamaEmulator
from tests.pilot_helpers import settle, wait_for_screen, wait_until


def shown(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(w.role, w.content) for w in app.query(MessageWidget)]


async def test_type_and_enter_at_once_streams_a_reply(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    ollama.set_reply("qwen3:0.6b", "Hello **there**.", thinking="They greeted me.")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, ChatInput)  # the prompt has focus on open
        await pilot.press(*"hi", "enter")
        await settle(app, pilot)
        assert shown(app) == [("user", "hi"), ("assistant", "Hello **there**.")]
        reply = app.query(MessageWidget).last()
        assert reply.thinking == "They greeted me."
        assert "tokens" in reply.stats and "tok/s" in reply.stats
        assert app.query_one(ChatInput).text == ""
    (summary,) = ConversationStore(xdg).summaries()
    assert summary.messages == 2


async def test_escape_stops_and_keeps_the_partial_reply(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    ollama.set_reply("qwen3:0.6b", "word " * 300, chunk_size=5, delay=0.01)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"talk", "enter")

        def streaming() -> bool:
            widgets = app.query(MessageWidget)
            return len(widgets) == 2 and widgets.last().role == "assistant" and widgets.last().content != ""

        # The reply streams in a worker: escape only once part of it is in, however slow the machine.
        await wait_until(pilot, streaming, what="the reply streaming")
        await pilot.press("escape")
        await settle(app, pilot)
        reply = app.query(MessageWidget).last()
        assert reply.interrupted and 0 < len(reply.content) < len("word " * 300)
        assert app.query_one(ChatPane).reply_worker is None
    (summary,) = ConversationStore(xdg).summaries()
    saved = ConversationStore(xdg).load(summary.id).messages[-1]
    assert saved.interrupted and saved.content == reply.content


async def test_backend_dying_mid_reply_keeps_it_and_says_so(make_app, ollama: OllamaEmulator) -> None:
    ollama.set_reply("qwen3:0.6b", "abcdefghijklmnop", chunk_size=4, drop_after=2)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"go", "enter")
        await settle(app, pilot)
        reply = app.query(MessageWidget).last()
        assert reply.content == "abcdefgh" and reply.interrupted
        assert any("was lost" in str(n.message) for n in app._notifications)


async def test_model_not_found_is_a_notification_not_a_crash(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(ChatPane).session.conversation.model = "ghost"
        await pilot.press(*"hi", "enter")
        await settle(app, pilot)
        assert shown(app) == [("user", "hi")]
        assert any("not installed" in str(n.message) for n in app._notifications)


async def test_regenerate_and_edit(make_app, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"one", "enter")
        await settle(app, pilot)
        ollama.set_reply("qwen3:0.6b", "second try")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert shown(app) == [("user", "one"), ("assistant", "second try")]
        ollama.replies.clear()
        await pilot.press("ctrl+g")  # the last prompt comes back into the box
        assert app.query_one(ChatInput).text == "one"
        app.query_one(ChatInput).load_text("uno")
        await pilot.press("enter")
        await settle(app, pilot)
        assert shown(app) == [("user", "uno"), ("assistant", "You said: uno")]


async def test_edit_an_earlier_prompt_from_the_message_log(make_app, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for word in ("first", "second"):
            await pilot.press(*word, "enter")
            await settle(app, pilot)
        app.query_one(MessageLog).focus()
        await pilot.press("up", "up", "up", "up", "e")  # walk up to "first"
        assert app.query_one(ChatInput).text == "first"
        await pilot.press("end", *" again", "enter")
        await settle(app, pilot)
        assert shown(app) == [("user", "first again"), ("assistant", "You said: first again")]


async def test_conversations_are_found_after_a_restart(make_app, ollama: OllamaEmulator, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"remember me", "enter")
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert shown(app) == []
    again = make_app()
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(again, pilot)
        listing = again.query_one(ConversationList)
        assert [item.title for item in listing.items] == ["remember me"]
        listing.lines.focus()
        await pilot.press("enter")
        await settle(again, pilot)
        assert shown(again)[0] == ("user", "remember me")
        assert isinstance(again.focused, ChatInput)


async def test_search_rename_delete_from_the_list(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    store = ConversationStore(xdg)
    for title in ("bitcoin nodes", "soup recipes"):
        conversation = Conversation(title=title)
        conversation.messages.append(Message("user", title))
        store.save(conversation)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        listing = app.query_one(ConversationList)
        listing.action_search()
        await pilot.press(*"soup")
        await settle(app, pilot)
        assert [item.title for item in listing.items] == ["soup recipes"]
        await pilot.press("enter")  # from the search box to the list
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, TextDialog)
        await pilot.press(*"broth", "enter")
        await settle(app, pilot)
        assert {s.title for s in store.summaries()} == {"bitcoin nodes", "broth"}
        listing.lines.focus()
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("tab", "enter")
        await settle(app, pilot)
        assert {s.title for s in store.summaries()} == {"bitcoin nodes"}


async def test_export_to_markdown(make_app, ollama: OllamaEmulator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    target = tmp_path / "out.md"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"export me", "enter")
        await settle(app, pilot)
        app.query_one(ChatPane).action_export()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        dialog.query_one("Input").value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, target.exists, what="the export written")  # written off the UI thread
        await settle(app, pilot)
    text = target.read_text()
    assert text.startswith("# export me") and "You said: export me" in text


async def test_a_public_host_asks_once_per_conversation(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    with xdg.config_file.open("a") as handle:
        handle.write('\n[hosts.cloud]\nurl = "https://ollama.example.com:443"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(ChatPane)
        pane.session.host_name = "cloud"  # chosen for this conversation: a host on the public internet
        await pilot.press(*"secret plans", "enter")
        await wait_for_screen(app, pilot, ConfirmDialog)  # opened by the send worker, after it asked the session
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # Cancel has the focus: nothing is sent
        await wait_until(pilot, lambda: not pane._sending, what="the send worker to end")  # so nothing can still be sent
        assert shown(app) == []
        assert app.query_one(ChatInput).text == "secret plans"
        assert not [r for r in ollama.requests if r[0] == "/api/chat"]


async def test_long_history_mounts_lazily(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    conversation = Conversation(title="long")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(2000):
        conversation.messages.append(Message("user" if n % 2 == 0 else "assistant", f"message {n}", time=start + timedelta(seconds=n)))
    ConversationStore(xdg).save(conversation)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(ChatPane)
        pane.open_conversation(conversation.id)
        await settle(app, pilot)
        log = app.query_one(MessageLog)
        assert log.total == 2000
        assert len(app.query(MessageWidget)) <= 40
        assert app.query(MessageWidget).last().content == "message 1999"
        log.focus()
        await pilot.press("home")
        await settle(app, pilot)
        assert app.query(MessageWidget).first().content == "message 0"
        assert len(app.query(MessageWidget)) <= 40
        await pilot.press("end")
        await settle(app, pilot)
        assert app.query(MessageWidget).last().content == "message 1999"


async def test_a_long_conversation_opens_with_a_screenful_then_fills_its_window(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    """Few messages before the first frame, the rest of the batch just after; none restyled by the later ones."""
    from sovtui.ui.widgets.message_log import BATCH, FIRST

    conversation = Conversation(title="long")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(200):
        text = f"message {n}" if n % 2 == 0 else f"reply {n} with **markdown**:\n\n- one\n- two"
        conversation.messages.append(Message("user" if n % 2 == 0 else "assistant", text, time=start + timedelta(seconds=n)))
    ConversationStore(xdg).save(conversation)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(ChatPane)
        log = app.query_one(MessageLog)
        seen: list[int] = []
        real = log._complete_window

        async def spy(*, earlier: bool) -> None:
            seen.append(len(app.query(MessageWidget)))
            await real(earlier=earlier)

        log._complete_window = spy  # type: ignore[method-assign]
        pane.open_conversation(conversation.id)
        await settle(app, pilot)
        assert seen == [FIRST]
        assert len(app.query(MessageWidget)) == BATCH
        assert app.query(MessageWidget).last().content.startswith("reply 199")
        # A rule on an order pseudo-class (":last-child") whose last part matches a
        # message would make Textual restyle every message on each mount.
        assert not any(w._has_order_style for w in app.query(MessageWidget))
