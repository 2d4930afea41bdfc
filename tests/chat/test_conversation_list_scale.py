"""The conversation list with a long history, at 80x24: rows drawn, not widgets; search as you type; others' saves appear."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sovtui.chat.models import Conversation, Message
from sovtui.chat.store import ConversationStore
from sovtui.paths import Paths
from sovtui.ui.panes.chat import ChatPane
from sovtui.ui.widgets.conversation_list import ConversationLines, ConversationList
from tests.pilot_helpers import wait_until

COUNT = 300
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def write_history(xdg: Paths) -> None:
    """``COUNT`` conversation files, as the store writes them, without a lock or fsync each."""
    folder = xdg.conversations_dir
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(COUNT):
        conversation = Conversation(id=f"20260101-000000-{n:04x}", title=f"talk {n:03d}", updated=START + timedelta(minutes=n),
                                    messages=[Message("user", f"question {n} about {'lightning' if n % 50 == 7 else 'soup'} channels")])
        (folder / f"{conversation.id}.json").write_text(json.dumps(conversation.to_dict()))


def drawn(lines: ConversationLines) -> str:
    """The list's rows as they are on screen now."""
    return "\n".join(lines.render_line(y).text for y in range(lines.size.height))


async def test_a_long_history_lists_scrolls_and_searches(make_app, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    write_history(xdg)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = app.query_one(ConversationList)
        lines = app.query_one(ConversationLines)
        await wait_until(pilot, lambda: len(listing.items) == COUNT, what="the whole list")
        assert len(list(listing.query("*"))) < 5  # rows are drawn, not mounted
        assert [item.title for item in listing.items[:2]] == ["talk 299", "talk 298"]  # newest first
        lines.focus()
        await pilot.pause()
        assert app.focused is lines, app.focused
        await pilot.press("end")
        assert listing.highlighted_id == "20260101-000000-0000"
        await wait_until(pilot, lambda: lines.scroll_offset.y == lines.max_scroll_y > 0, what="the scroll to the end")
        await pilot.pause()
        assert "talk 000" in drawn(lines) and "talk 299" not in drawn(lines)
        await pilot.press("home")
        assert listing.highlighted_id == "20260101-000000-012b" and lines.scroll_offset.y == 0

        listing.action_search()
        await pilot.press(*"light chan")
        await wait_until(pilot, lambda: len(listing.items) == 6, what="the search's hits")
        assert [item.title for item in listing.items] == [f"talk {n:03d}" for n in (257, 207, 157, 107, 57, 7)]
        await wait_until(pilot, lambda: lines.snippets.get(listing.items[0].id), what="the words around the match")
        await pilot.pause()
        assert "01 Jan about lightning ch" in drawn(lines).splitlines()[1]  # the words around the match, from just before it
        _, second = lines._render_entry(listing.items[0], 24, False)
        assert "reverse" in str([s.style for s in second if "lightning" in s.text])  # the matched words are marked

        await pilot.press(*(["backspace"] * 10))
        await wait_until(pilot, lambda: len(listing.items) == COUNT, what="the whole list again")


async def test_a_conversation_saved_by_another_process_appears_without_a_restart(make_app, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    write_history(xdg)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = app.query_one(ConversationList)
        await wait_until(pilot, lambda: len(listing.items) == COUNT, what="the list")
        elsewhere = ConversationStore(xdg)  # another process: its own store and index connection
        elsewhere.save(Conversation(title="from the other shell", updated=START + timedelta(days=30)))
        app.query_one(ChatPane)._check_folder()  # what the pane's timer does every LIST_CHECK seconds
        await wait_until(pilot, lambda: listing.items[0].title == "from the other shell", what="the new conversation")


async def test_the_first_frame_holds_the_newest_conversations(make_app, xdg: Paths, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With a saved history the list is on the first screen, not a frame later behind the other panes' building (issue 19)."""
    write_history(xdg)
    ConversationStore(xdg).refresh()  # indexed by an earlier start
    monkeypatch.setattr("sovtui.ui.panes.chat.FIRST_WAIT", 30.0)  # however busy the machine, the first frame waits for its screenful
    app = make_app()
    async with app.run_test(size=(80, 24)):
        listing = app.query_one(ConversationList)
        assert [item.title for item in listing.items[:2]] == ["talk 299", "talk 298"]
