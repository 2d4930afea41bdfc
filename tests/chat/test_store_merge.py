"""Two holders of one conversation: every save reads the file again and merges.

Each ``ConversationStore`` here stands for another process (a TUI, ``sovtui
chat --continue``, ``sovtui chats rename``): each loaded the conversation
itself, and each saves what it holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovtui.chat.models import Conversation, Message
from sovtui.chat.store import ConversationStore, merge
from sovtui.errors import SovtuiError
from sovtui.paths import Paths
from tests.examples import examples

START = datetime(2026, 3, 14, 9, 0, tzinfo=timezone.utc)


def at(second: int) -> datetime:
    return START + timedelta(seconds=second)


def saved(paths: Paths, *contents: str) -> Conversation:
    conversation = Conversation(title="shared")
    conversation.messages = [Message("user" if n % 2 == 0 else "assistant", text, time=at(n)) for n, text in enumerate(contents)]
    ConversationStore(paths).save(conversation)
    return conversation


def texts(conversation: Conversation) -> list[str]:
    return [m.content for m in conversation.messages]


def test_two_processes_continue_at_once_and_keep_both_exchanges(xdg: Paths) -> None:
    first = saved(xdg, "hi", "hello")
    a_store, b_store = ConversationStore(xdg), ConversationStore(xdg)
    a, b = a_store.load(first.id), b_store.load(first.id)
    a.messages.append(Message("user", "from a", time=at(10)))
    a_store.save(a)
    b.messages.append(Message("user", "from b", time=at(11)))
    b_store.save(b)
    a.messages.append(Message("assistant", "reply to a", time=at(12)))
    a_store.save(a)
    b.messages.append(Message("assistant", "reply to b", time=at(13)))
    b_store.save(b)
    assert texts(ConversationStore(xdg).load(first.id)) == ["hi", "hello", "from b", "reply to b", "from a", "reply to a"]


def test_a_streaming_reply_keeps_growing_while_another_process_renames(xdg: Paths) -> None:
    first = saved(xdg, "hi")
    chat_store, rename_store = ConversationStore(xdg), ConversationStore(xdg)
    chat = chat_store.load(first.id)
    reply = Message("assistant", "part", time=at(5))
    chat.messages.append(reply)
    chat_store.save(chat)
    renamed = rename_store.load(first.id)
    renamed.title = "a better title"
    rename_store.save(renamed)
    reply.content += " and the rest"
    chat_store.save(chat)
    final = ConversationStore(xdg).load(first.id)
    assert final.title == "a better title"
    assert texts(final) == ["hi", "part and the rest"]
    # The TUI's own rename still wins over the file when it is the later change.
    chat.title = "mine"
    chat_store.save(chat)
    assert ConversationStore(xdg).load(first.id).title == "mine"


def test_regenerate_drops_the_old_reply_but_not_another_process_s_prompt(xdg: Paths) -> None:
    first = saved(xdg, "q", "old answer")
    tui_store, cli_store = ConversationStore(xdg), ConversationStore(xdg)
    tui, cli = tui_store.load(first.id), cli_store.load(first.id)
    cli.messages.append(Message("user", "cli prompt", time=at(20)))
    cli_store.save(cli)
    tui.messages.pop()  # regenerate: the old answer goes
    tui.messages.append(Message("assistant", "new answer", time=at(21)))
    tui_store.save(tui)
    assert texts(ConversationStore(xdg).load(first.id)) == ["q", "new answer", "cli prompt"]


def test_a_conversation_deleted_meanwhile_is_written_whole(xdg: Paths) -> None:
    first = saved(xdg, "q", "a")
    store = ConversationStore(xdg)
    mine = store.load(first.id)
    ConversationStore(xdg).delete(first.id)
    mine.messages.append(Message("user", "still typing", time=at(30)))
    store.save(mine)
    assert texts(ConversationStore(xdg).load(first.id)) == ["q", "a", "still typing"]


def test_an_unreadable_file_is_never_overwritten(xdg: Paths) -> None:
    first = saved(xdg, "q")
    store = ConversationStore(xdg)
    mine = store.load(first.id)
    path = store.path_of(first.id)
    path.write_text("{ not json")
    mine.messages.append(Message("assistant", "a", time=at(1)))
    with pytest.raises(SovtuiError, match="cannot read this conversation"):
        store.save(mine)
    assert path.read_text() == "{ not json"


def test_messages_with_the_same_time_are_all_kept(xdg: Paths) -> None:
    """Messages made in one instant (imports, tests) are told apart by their order."""
    conversation = Conversation()
    conversation.messages = [Message("user", f"same {n}", time=START) for n in range(3)]
    store = ConversationStore(xdg)
    store.save(conversation)
    other_store = ConversationStore(xdg)
    other = other_store.load(conversation.id)
    other.messages.append(Message("user", "other", time=START))
    other_store.save(other)
    conversation.messages.append(Message("assistant", "mine", time=at(1)))
    store.save(conversation)
    assert texts(ConversationStore(xdg).load(conversation.id)) == ["same 0", "same 1", "same 2", "mine", "other"]


# --- merge as a property ------------------------------------------------------------------


def _messages(texts_: list[str], first: int) -> list[dict]:
    return [Message("user", text, time=at(first + n)).to_dict() for n, text in enumerate(texts_)]


WORDS = st.lists(st.text(min_size=1, max_size=5), max_size=6)


@settings(max_examples=examples(200), deadline=None)
@given(WORDS, WORDS, WORDS, st.integers(min_value=0, max_value=6))
def test_merge_keeps_what_both_sides_added_in_their_order(common: list[str], ours: list[str], theirs: list[str], dropped: int) -> None:
    base = {"title": "t", "updated": "2026-03-14T09:00:00Z", "messages": _messages(common, 0)}
    # This side may also drop some of its last common messages (regenerate, edit).
    kept = base["messages"][: max(0, len(common) - dropped)]
    mine = {**base, "messages": kept + _messages(ours, 100)}
    other = {**base, "title": "renamed", "messages": base["messages"] + _messages(theirs, 200)}
    merged = merge(base, mine, other)
    contents = [m["content"] for m in merged["messages"]]
    mine_added = [m["content"] for m in _messages(ours, 100)]
    theirs_added = [m["content"] for m in _messages(theirs, 200)]
    assert contents[: len(kept)] == [m["content"] for m in kept]
    rest = contents[len(kept) :]
    assert sorted(rest) == sorted(mine_added + theirs_added)
    assert [c for c in rest[: len(mine_added)]] == mine_added  # ours follow the message they followed here
    assert merged["title"] == "renamed"
