"""The scrolling list of messages: a window over the conversation, mounted lazily.

Only a window of messages is ever mounted (the newest batch when a
conversation opens). Scrolling to the top of the window mounts the batch
before it, scrolling to the bottom the batch after it, and the far end of
the window is unmounted once it grows past ``MAX_MOUNTED``; home and end jump
straight to either end of the conversation. Mounting every message of a
long conversation would cost seconds and hundreds of MB of widgets for text
nobody is looking at.

Keys (when the log has focus): up/down (or k/j) select a message, c copies
it, y copies its last code block, t folds or unfolds its thinking, e edits
one of your prompts and sends it again, home and end jump to the first and
the newest message.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from sovtui.ui.widgets.message import MessageWidget

BATCH = 16
#: Messages mounted before the first paint when a conversation opens or jumps
#: to an end: enough to fill an 80x24 screen. The rest of the batch is mounted
#: just after, off the critical path (each Markdown reply is a tree of widgets
#: whose styles cost milliseconds apiece).
FIRST = 4
MAX_MOUNTED = 120

_CODE_BLOCK = re.compile(r"^(`{3,}|~{3,})[^\n]*\n(.*?)^\1[ \t]*$", re.DOTALL | re.MULTILINE)


def last_code_block(markdown: str) -> str | None:
    """The body of the last fenced code block in ``markdown``."""
    blocks = _CODE_BLOCK.findall(markdown)
    return blocks[-1][1] if blocks else None


class MessageLog(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    MessageLog {
        height: 1fr;
        padding: 0 1 0 0;
    }
    MessageLog > .edge {
        color: $text-muted;
        text-align: center;
        width: 1fr;
        height: 1;
    }
    MessageLog > MessageWidget.-selected {
        background: $primary 20%;
    }
    """

    BINDINGS = [
        Binding("up,k", "select(-1)", "Previous", id="log.previous", show=False),
        Binding("down,j", "select(1)", "Next", id="log.next", show=False),
        Binding("c", "copy_message", "Copy", id="log.copy"),
        Binding("y", "copy_code", "Copy code", id="log.copy_code"),
        Binding("t", "toggle_thinking", "Thinking", id="log.thinking"),
        Binding("e", "edit", "Edit", id="log.edit"),
        Binding("home", "top", "First", id="log.top", show=False),
        Binding("end", "bottom", "Newest", id="log.bottom", show=False),
    ]

    class EditRequested(Message):
        """The user wants to change one of their prompts and send it again."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._make: Callable[[int], MessageWidget] | None = None
        self.total = 0
        self.first_mounted = 0
        self.last_mounted = 0  # exclusive
        self.selected: int | None = None
        self._loading = False

    # --- the window ---------------------------------------------------------------

    async def show(self, total: int, make: Callable[[int], MessageWidget]) -> None:
        """Show a conversation of ``total`` messages, from its newest batch."""
        self._make = make
        self.total = total
        self.selected = None
        await self._mount_window(max(0, total - FIRST), total)
        self.anchor()
        self.scroll_end(animate=False, immediate=True)
        self.call_after_refresh(self._complete_window, earlier=True)

    async def _complete_window(self, *, earlier: bool) -> None:
        """Grow a window mounted with FIRST messages to a whole BATCH, away from the view.

        Above the view (the log is anchored to its end) or below it (after
        ``home``), so what the user is reading does not move.
        """
        if self._make is None or self._loading:
            return
        self._loading = True
        try:
            if earlier:
                await self._prepend(max(0, self.last_mounted - BATCH))
            else:
                await self._append(min(self.total, self.first_mounted + BATCH))
            self._update_edges()
        finally:
            self._loading = False

    def compose(self) -> ComposeResult:
        yield Static("", id="earlier", classes="edge")
        yield Static("", id="later", classes="edge")

    def on_mount(self) -> None:
        self._update_edges()

    async def _mount_window(self, first: int, last: int) -> None:
        # While the window is replaced, scroll events must not load batches.
        self._loading = True
        try:
            self.first_mounted, self.last_mounted = first, last
            await self.remove_children(self._widgets())
            widgets = [self._make(i) for i in range(first, last)] if self._make else []
            if widgets:
                await self.mount(*widgets, before=self.query_one("#later"))
            self._update_edges()
        finally:
            self._loading = False

    def _update_edges(self) -> None:
        earlier = self.query_one("#earlier", Static)
        earlier.display = self.first_mounted > 0
        earlier.update(f"↑ {self.first_mounted:,} earlier messages: scroll up, or home for the first")
        later = self.query_one("#later", Static)
        hidden = self.total - self.last_mounted
        later.display = hidden > 0
        later.update(f"↓ {hidden:,} newer messages: scroll down, or end for the newest")

    def _widgets(self) -> list[MessageWidget]:
        return list(self.query(MessageWidget))

    async def _prepend(self, start: int) -> None:
        """Mount messages ``start`` .. the first mounted one, above the others."""
        if self._make is not None and start < self.first_mounted:
            await self.mount(*[self._make(i) for i in range(start, self.first_mounted)], after=self.query_one("#earlier"))
            self.first_mounted = start

    async def _append(self, end: int) -> None:
        """Mount messages after the last mounted one, up to ``end``."""
        if self._make is not None and end > self.last_mounted:
            await self.mount(*[self._make(i) for i in range(self.last_mounted, end)], before=self.query_one("#later"))
            self.last_mounted = end

    async def load_earlier(self) -> bool:
        if self._make is None or self.first_mounted == 0 or self._loading:
            return False
        self._loading = True
        try:
            old_height = self.virtual_size.height
            await self._prepend(max(0, self.first_mounted - BATCH))
            await self._trim(from_end=True)
            self._update_edges()
            self.call_after_refresh(self._keep_position, old_height)
        finally:
            self._loading = False
        return True

    async def load_later(self) -> bool:
        if self._make is None or self.last_mounted >= self.total or self._loading:
            return False
        self._loading = True
        try:
            await self._append(min(self.total, self.last_mounted + BATCH))
            before = self.virtual_size.height
            if await self._trim(from_end=False):
                self.call_after_refresh(self._shift_up, before)
            self._update_edges()
        finally:
            self._loading = False
        return True

    async def _trim(self, *, from_end: bool) -> bool:
        widgets = self._widgets()
        extra = len(widgets) - MAX_MOUNTED
        if extra <= 0:
            return False
        doomed = widgets[-extra:] if from_end else widgets[:extra]
        await self.remove_children(doomed)
        if from_end:
            self.last_mounted -= extra
        else:
            self.first_mounted += extra
        return True

    def _keep_position(self, old_height: int) -> None:
        grown = self.virtual_size.height - old_height
        if grown > 0:
            self.scroll_to(y=self.scroll_y + grown, animate=False, immediate=True)

    def _shift_up(self, old_height: int) -> None:
        shrunk = old_height - self.virtual_size.height
        if shrunk > 0:
            self.scroll_to(y=max(0, self.scroll_y - shrunk), animate=False, immediate=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self._loading:
            return
        if new <= 0 < old and self.first_mounted:
            self.run_worker(self.load_earlier(), group="log-window", exclusive=True, exit_on_error=False, description="mount earlier messages")
        elif new >= self.max_scroll_y > 0 and new > old and self.last_mounted < self.total:
            self.run_worker(self.load_later(), group="log-window", exclusive=True, exit_on_error=False, description="mount newer messages")

    # --- changes while chatting ----------------------------------------------------

    async def add(self, widget: MessageWidget) -> MessageWidget:
        """Append a new message (a prompt, or a reply about to stream)."""
        if self.last_mounted < self.total and self._make is not None:
            await self._mount_window(max(0, self.total - BATCH), self.total)
        self.total = max(self.total, widget.index + 1)
        await self.mount(widget, before=self.query_one("#later"))
        self.last_mounted = self.total
        self.anchor()
        self.scroll_end(animate=False)
        return widget

    async def truncate(self, keep: int) -> None:
        """Forget every message from index ``keep`` on (edit and resend)."""
        self.total = keep
        if keep <= self.first_mounted:
            await self._mount_window(max(0, keep - BATCH), keep)
        else:
            await self.remove_children([w for w in self._widgets() if w.index >= keep])
            self.last_mounted = min(self.last_mounted, keep)
            self._update_edges()
        if self.selected is not None and self.selected >= keep:
            self.selected = None

    # --- selection and actions -------------------------------------------------------

    def widget_at(self, index: int) -> MessageWidget | None:
        for widget in self.query(MessageWidget):
            if widget.index == index:
                return widget
        return None

    async def action_select(self, step: int) -> None:
        if not self.total:
            return
        if self.selected is None:
            target = self.last_mounted - 1 if step < 0 else self.first_mounted
        else:
            target = min(max(self.selected + step, 0), self.total - 1)
        if target < self.first_mounted:
            await self.load_earlier()
        elif target >= self.last_mounted:
            await self.load_later()
        widget = self.widget_at(target)
        if widget is None:
            return
        self.selected = target
        self.release_anchor()
        for other in self.query(MessageWidget):
            other.set_class(other is widget, "-selected")
        self.scroll_to_widget(widget, animate=False)

    def current(self) -> MessageWidget | None:
        if self.selected is None:
            widgets = self._widgets()
            return widgets[-1] if widgets else None
        return self.widget_at(self.selected)

    def action_copy_message(self) -> None:
        widget = self.current()
        if widget is None:
            return
        self.app.copy_to_clipboard(widget.content)
        self.notify("message copied (OSC 52)", timeout=2)

    def action_copy_code(self) -> None:
        widget = self.current()
        code = last_code_block(widget.content) if widget else None
        if code is None:
            self.notify("no code block in this message", severity="warning", timeout=2)
            return
        self.app.copy_to_clipboard(code)
        self.notify("code block copied (OSC 52)", timeout=2)

    def action_edit(self) -> None:
        widget = self.current()
        if widget is None or widget.role != "user":
            self.notify("select one of your prompts (up/down) to edit it", severity="warning", timeout=3)
            return
        self.post_message(self.EditRequested(widget.index))

    def action_toggle_thinking(self) -> None:
        widget = self.current()
        if widget is not None and widget.thinking:
            widget.toggle_thinking()

    async def action_top(self) -> None:
        self.release_anchor()
        self.selected = None
        if self.first_mounted > 0 and self._make is not None:
            await self._mount_window(0, min(self.total, FIRST))
            self.call_after_refresh(self._home_then_complete)
            return
        self.call_after_refresh(self.scroll_home, animate=False, immediate=True)

    def _home_then_complete(self) -> None:
        """Show the first messages, and only after that frame mount the rest of the batch."""
        self.scroll_home(animate=False, immediate=True)
        self.call_after_refresh(self._complete_window, earlier=False)

    async def action_bottom(self) -> None:
        self.selected = None
        if self.last_mounted < self.total and self._make is not None:
            await self._mount_window(max(0, self.total - FIRST), self.total)
            self.call_after_refresh(self._complete_window, earlier=True)
        for widget in self.query(MessageWidget):
            widget.remove_class("-selected")
        self.anchor()
        self.scroll_end(animate=False)
