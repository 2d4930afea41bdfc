"""The list of conversations beside the chat, newest first, with a search box.

It shows summaries only (title, when, model; "nostr" before the time for a
conversation held over Nostr private messages); opening one is the pane's job.
``/`` focuses the search box, which filters by title and content as you type
(the search itself is the chat store's, run in a worker by the pane).

Titles and model names may come from outside (a reply's first words, a file
from another machine): each entry is built as Content from ``safe_line``
text, never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from sovtui.text import safe_line


@dataclass(frozen=True)
class ConversationItem:
    id: str
    title: str
    updated: datetime
    model: str = ""
    #: The other side's public key (hex) when the conversation is held over Nostr private messages.
    nostr_peer: str = ""


#: The mark before the model of a conversation held over Nostr private messages (sovtui agent serve).
NOSTR_MARK = "nostr"


def when(moment: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(moment.tzinfo)
    if moment.date() == now.date():
        return moment.strftime("%H:%M")
    if moment.year == now.year:
        return moment.strftime("%d %b")
    return moment.strftime("%Y-%m-%d")


class ConversationList(Vertical):
    DEFAULT_CSS = """
    ConversationList {
        width: 26;
        height: 1fr;
        border-right: vkey $panel;
    }
    ConversationList > Input {
        border: none;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    ConversationList > OptionList {
        height: 1fr;
        border: none;
        padding: 0;
    }
    """

    BINDINGS = [
        Binding("slash", "search", "Search", id="conversations.search", show=False),
        Binding("r", "request('rename')", "Rename", id="conversations.rename"),
        Binding("d", "request('delete')", "Delete", id="conversations.delete"),
        Binding("x", "request('export')", "Export", id="conversations.export"),
    ]

    class ActionRequested(Message):
        """rename, delete or export the highlighted conversation."""

        def __init__(self, action: str, conversation_id: str) -> None:
            super().__init__()
            self.action = action
            self.conversation_id = conversation_id

    class Chosen(Message):
        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class SearchChanged(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    def __init__(self, *, id: str | None = None, cursor_blink: bool = True) -> None:
        super().__init__(id=id)
        self.items: list[ConversationItem] = []
        self.now: datetime | None = None  # fixed in tests for stable snapshots
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ search", id="conversation-search")
        yield OptionList(id="conversation-options")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.cursor_blink

    def set_items(self, items: list[ConversationItem], *, selected: str | None = None) -> None:
        self.items = items
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(
                self.entry(item),
                id=item.id,
            )
            for item in items
        )
        if items:
            options.highlighted = 0
        if selected is not None:
            self.highlight(selected)

    def entry(self, item: ConversationItem) -> Content:
        """Title on the first line; on the second, the Nostr mark (if any), then when and which model."""
        mark: list[tuple[str, str]] = [(NOSTR_MARK + " ", "bold")] if item.nostr_peer else []
        return Content.assemble(safe_line(item.title)[:40] or "untitled", "\n", *mark,
                                (f"{when(item.updated, self.now)} {safe_line(item.model)}", "dim"))

    def highlight(self, conversation_id: str) -> None:
        options = self.query_one(OptionList)
        for index, item in enumerate(self.items):
            if item.id == conversation_id:
                options.highlighted = index
                return

    @property
    def highlighted_id(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.items:
            return None
        return self.items[options.highlighted].id

    def action_request(self, action: str) -> None:
        if self.highlighted_id is not None:
            self.post_message(self.ActionRequested(action, self.highlighted_id))

    def action_search(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.SearchChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Chosen(event.option.id))
