"""Snapshots of the shell: fixed sizes, no clock, no blinking cursor, no paths."""

from __future__ import annotations

from functools import partial

from tests.pilot_helpers import settle, wait_for_workers


def test_shell_80x24(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_shell_120x40(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40))


def test_shell_light_theme_on_wallet(snap_compare, make_app, xdg) -> None:
    xdg.config_dir.mkdir(parents=True)
    xdg.config_file.write_text('[ui]\ntheme = "sovtui-light"\n')
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["f4"])


def test_models_pane(snap_compare, make_app, ollama_fixed) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=partial(settle, press=["f2"]))


def test_models_pull_dialog(snap_compare, make_app, ollama_fixed, monkeypatch) -> None:
    from sovtui.inference import suggest

    monkeypatch.setattr(suggest, "total_ram", lambda: 6 * suggest.GB)
    monkeypatch.setattr(suggest, "has_gpu", lambda: False)

    async def open_dialog(pilot) -> None:  # type: ignore[no-untyped-def]
        # settle: the pane may be built, and its list read, after the first lot of workers is counted.
        await settle(pilot.app, pilot, press=["f2"])
        await pilot.press("p")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_dialog)


def test_models_unreachable_host(snap_compare, make_app, xdg) -> None:
    from tests.egress import allow_endpoint
    from tests.ollama_fixtures import SNAPSHOT_DEAD_PORT, point_local_host_at

    allow_endpoint("127.0.0.1", SNAPSHOT_DEAD_PORT)
    point_local_host_at(xdg, f"http://127.0.0.1:{SNAPSHOT_DEAD_PORT}")
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=partial(settle, press=["f2"]))


def _conversation_with_code_and_thinking(xdg):  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    from sovtui.chat.models import Conversation, Message
    from sovtui.chat.store import ConversationStore

    moment = datetime(2026, 3, 14, 9, 26, tzinfo=timezone.utc)
    conversation = Conversation(id="20260314-092600-beef", title="Reverse a list", created=moment, updated=moment, host="local", model="qwen3:0.6b")
    conversation.messages = [
        Message("user", "How do I reverse a list in Python?", time=moment),
        Message(
            "assistant",
            "Use slicing or `reversed()`:\n\n```python\nitems = [1, 2, 3]\nprint(items[::-1])\n```\n\nSlicing makes a copy.",
            thinking="The user wants the idiomatic way. Mention slicing first.",
            time=moment, model="qwen3:0.6b", eval_count=42, eval_duration=1_400_000_000, prompt_eval_count=18, done_reason="stop",
        ),
    ]
    ConversationStore(xdg).save(conversation)
    return conversation


def test_chat_pane_with_code_and_thinking(snap_compare, make_app, xdg, ollama_fixed) -> None:
    from datetime import datetime, timezone

    conversation = _conversation_with_code_and_thinking(xdg)

    async def open_it(pilot) -> None:  # type: ignore[no-untyped-def]
        from sovtui.ui.panes.chat import ChatPane
        from sovtui.ui.widgets.conversation_list import ConversationList

        listing = pilot.app.query_one(ConversationList)
        listing.now = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)
        await wait_for_workers(pilot.app)
        pilot.app.query_one(ChatPane).open_conversation(conversation.id)
        await wait_for_workers(pilot.app)
        pilot.app.query_one(ChatPane).load_list()
        await wait_for_workers(pilot.app)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=open_it)


def test_chat_pane_80x24_thinking_open(snap_compare, make_app, xdg, ollama_fixed) -> None:
    from datetime import datetime, timezone

    conversation = _conversation_with_code_and_thinking(xdg)

    async def open_it(pilot) -> None:  # type: ignore[no-untyped-def]
        from sovtui.ui.panes.chat import ChatPane
        from sovtui.ui.widgets.conversation_list import ConversationList
        from sovtui.ui.widgets.message_log import MessageLog

        pilot.app.query_one(ConversationList).now = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)
        await wait_for_workers(pilot.app)
        pilot.app.query_one(ChatPane).open_conversation(conversation.id)
        await wait_for_workers(pilot.app)
        pilot.app.query_one(ChatPane).load_list()
        await wait_for_workers(pilot.app)
        pilot.app.query_one(MessageLog).focus()
        await pilot.press("t")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_it)
