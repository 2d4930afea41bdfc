"""The list of conversations beside the chat, newest first, with a search box.

It shows summaries only (title, when, model; "nostr" before the time for a
conversation held over Nostr private messages); opening one is the pane's job.
``/`` focuses the search box, which searches titles and messages by word
prefixes as you type (the search itself is the chat store's index, run in a
worker by the pane); the words that matched are marked, and a conversation
found by its messages shows the words around the match instead of its model.

Ten thousand conversations are ten thousand rows, not widgets:
``ConversationLines`` is a Line API view that draws only the rows on screen
(each two lines high, so the scroll size is known without measuring
anything), so the list appears, scrolls and jumps to either end in the same
time whatever its length. Snippets cost a read of the conversation's text,
so the list asks for them (``SnippetsWanted``) only for the rows it draws.

Titles and model names may come from outside (a reply's first words, a file
from another machine): each entry is built as Content from ``safe_line``
text, never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input

from sovtui.chat.index import highlights
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


#: Lines per conversation in the list: title, then when and model (or the words around a match).
ROW = 2
#: Characters of a snippet kept before its first matched word.
LEAD = 6


class ConversationLines(ScrollView, can_focus=True):
    """The rows of the list, drawn only where they are on screen."""

    DEFAULT_CSS = """
    ConversationLines {
        height: 1fr;
        overflow-x: hidden;
        background: $surface;
        color: $foreground;
        & > .conversation-lines--highlighted {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .conversation-lines--highlighted {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"conversation-lines--highlighted"}

    BINDINGS = [
        Binding("down", "move(1)", "Down", show=False, id="conversations.down"),
        Binding("up", "move(-1)", "Up", show=False, id="conversations.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="conversations.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="conversations.page_up"),
        Binding("home", "jump(0)", "First", show=False, id="conversations.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="conversations.last"),
        Binding("enter", "choose", "Open", show=False, id="conversations.open"),
    ]

    highlighted: reactive[int | None] = reactive(None, always_update=True)

    class Chosen(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class SnippetsWanted(Message):
        """The rows on screen whose snippets are not known yet."""

        def __init__(self, ids: list[str]) -> None:
            super().__init__()
            self.ids = ids

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[ConversationItem] = []
        self.terms: list[str] = []
        #: id -> the words around the match ("" once asked and there is none).
        self.snippets: dict[str, str] = {}
        self.now: datetime | None = None
        self._entries: dict[tuple[int, int], tuple[Strip, Strip]] = {}
        self._asked: set[str] = set()

    def show(self, items: list[ConversationItem], terms: list[str]) -> None:
        self.items, self.terms = items, terms
        self.snippets, self._asked = {}, set()
        self._entries.clear()
        self.virtual_size = Size(self.size.width, len(items) * ROW)
        self.highlighted = 0 if items else None
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def add_snippets(self, found: dict[str, str], asked: list[str]) -> None:
        for cid in asked:
            self.snippets[cid] = found.get(cid, "")
        self._entries.clear()
        self.refresh()

    # --- drawing ------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._entries.clear()

    def on_resize(self) -> None:
        self._entries.clear()
        self.virtual_size = Size(self.size.width, len(self.items) * ROW)

    def render_line(self, y: int) -> Strip:
        line = self.scroll_offset.y + y
        index, part = divmod(line, ROW)
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self.items):
            return Strip.blank(width, base)
        if self.terms and index == self.scroll_offset.y // ROW:
            self._want_snippets()
        highlighted = index == self.highlighted
        key = (index, width)
        entry = self._entries.get(key) if not highlighted else None
        if entry is None:
            entry = self._render_entry(self.items[index], width, highlighted)
            if not highlighted:
                if len(self._entries) > 400:
                    self._entries.clear()
                self._entries[key] = entry
        return entry[part].apply_offsets(0, line)

    def _render_entry(self, item: ConversationItem, width: int, highlighted: bool) -> tuple[Strip, Strip]:
        style = self.get_visual_style("conversation-lines--highlighted") if highlighted else self.get_visual_style()
        first, second = entry_lines(item, self.now, self.terms, self.snippets.get(item.id, ""))
        strips = []
        for content in (first, second):
            text = content.truncate(width, pad=True)
            strips.append(Strip(text.render_segments(style), width))
        return strips[0], strips[1]

    def _want_snippets(self) -> None:
        top = self.scroll_offset.y // ROW
        shown = self.items[top: top + self.size.height // ROW + 1]
        wanted = [item.id for item in shown if item.id not in self._asked]
        if wanted:
            self._asked.update(wanted)
            self.post_message(self.SnippetsWanted(wanted))

    # --- moving -------------------------------------------------------------------

    def validate_highlighted(self, value: int | None) -> int | None:
        if value is None or not self.items:
            return None
        return max(0, min(value, len(self.items) - 1))

    def watch_highlighted(self, value: int | None) -> None:
        if value is not None:
            top, height = value * ROW, self.scrollable_content_region.height
            if top < self.scroll_y:
                self.scroll_to(y=top, animate=False, immediate=True)
            elif height and top + ROW > self.scroll_y + height:
                self.scroll_to(y=top + ROW - height, animate=False, immediate=True)
        self.refresh()

    def action_move(self, step: int) -> None:
        if self.items:
            self.highlighted = (self.highlighted or 0) + step if self.highlighted is not None else 0

    def action_page(self, step: int) -> None:
        self.action_move(step * max(1, self.size.height // ROW))

    def action_jump(self, where: int) -> None:
        if self.items:
            self.highlighted = where if where >= 0 else len(self.items) - 1

    def action_choose(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Chosen(self.highlighted))

    def on_click(self, event: events.Click) -> None:
        index = (self.scroll_offset.y + event.y) // ROW
        if 0 <= index < len(self.items):
            self.highlighted = index
            if event.chain >= 2:
                self.action_choose()


def entry_lines(item: ConversationItem, now: datetime | None, terms: list[str], snippet: str) -> tuple[Content, Content]:
    """An entry's two lines: the title; then the Nostr mark (if any), when, and the model or the words around the match."""
    title = safe_line(item.title)[:80] or "untitled"
    mark: list[tuple[str, str]] = [(NOSTR_MARK + " ", "bold")] if item.nostr_peer else []
    stamp = when(item.updated, now)
    if snippet:
        text = safe_line(snippet)
        spans = highlights(text, terms)
        text = text[max(0, spans[0][0] - LEAD):] if spans else text
        second = Content.assemble(*mark, (stamp + " ", "dim"), _marked(text, terms))
    else:
        second = Content.assemble(*mark, (f"{stamp} {safe_line(item.model)}", "dim"))
    return _marked(title, terms), second


def _marked(text: str, terms: list[str]) -> Content:
    content = Content(text)
    for start, end in highlights(text, terms):
        content = content.stylize("bold reverse", start, end)
    return content


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
    ConversationList > ConversationLines {
        height: 1fr;
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
        self.cursor_blink = cursor_blink
        self._now: datetime | None = None

    @property
    def now(self) -> datetime | None:
        """Fixed in tests for stable snapshots."""
        return self._now

    @now.setter
    def now(self, moment: datetime | None) -> None:
        self._now = moment
        if self.is_mounted:
            self.lines.now = moment

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ search", id="conversation-search")
        yield ConversationLines(id="conversation-options")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.cursor_blink
        self.lines.now = self._now

    @property
    def lines(self) -> ConversationLines:
        return self.query_one(ConversationLines)

    @property
    def items(self) -> list[ConversationItem]:
        return self.lines.items if self.is_mounted else []

    def set_items(self, items: list[ConversationItem], *, selected: str | None = None, terms: list[str] | None = None) -> None:
        """Show these conversations (``terms``: the searched words, marked where they match)."""
        self.lines.show(items, terms or [])
        if selected is not None:
            self.highlight(selected)

    def indexing(self, done: int, total: int) -> None:
        """Progress of a first look at many conversations, in the search box's placeholder."""
        self.query_one(Input).placeholder = f"indexing {done:,}/{total:,}…" if done < total else "/ search"

    def entry(self, item: ConversationItem) -> Content:
        """Title on the first line; on the second, the Nostr mark (if any), then when and which model."""
        first, second = entry_lines(item, self.now, [], "")
        return Content.assemble(first, "\n", second)

    def highlight(self, conversation_id: str) -> None:
        for index, item in enumerate(self.items):
            if item.id == conversation_id:
                self.lines.highlighted = index
                return

    @property
    def highlighted_id(self) -> str | None:
        index = self.lines.highlighted
        if index is None or not self.items:
            return None
        return self.items[index].id

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
        self.lines.focus()

    def on_conversation_lines_chosen(self, event: ConversationLines.Chosen) -> None:
        event.stop()
        self.post_message(self.Chosen(self.items[event.index].id))
