"""The scrolling list of messages, mounted lazily from the end.

A conversation of thousands of messages opens by mounting only the newest
batch; older ones are mounted a batch at a time when the user scrolls to the
top (or presses home), keeping the view where it was. Mounting every message
up front would cost seconds and hundreds of MB of widgets for text nobody is
looking at.

Keys (when the log has focus): up/down (or k/j) select a message, c copies
it, y copies its last code block, t folds or unfolds its thinking, home loads
and jumps to the start, end jumps to the newest message.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from sovtui.ui.widgets.message import MessageWidget

BATCH = 30

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
    MessageLog > #earlier {
        color: $text-muted;
        text-align: center;
        width: 1fr;
        height: 1;
    }
    """

    BINDINGS = [
        Binding("up,k", "select(-1)", "Previous", id="log.previous", show=False),
        Binding("down,j", "select(1)", "Next", id="log.next", show=False),
        Binding("c", "copy_message", "Copy", id="log.copy"),
        Binding("y", "copy_code", "Copy code", id="log.copy_code"),
        Binding("t", "toggle_thinking", "Thinking", id="log.thinking"),
        Binding("home", "load_all_and_top", "Top", id="log.top", show=False),
        Binding("end", "bottom", "Newest", id="log.bottom", show=False),
    ]

    class Selected(Message):
        def __init__(self, widget: MessageWidget) -> None:
            super().__init__()
            self.widget = widget

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._make: Callable[[int], MessageWidget] | None = None
        self.total = 0
        self.first_mounted = 0
        self.selected: int | None = None

    # --- loading --------------------------------------------------------------

    async def show(self, total: int, make: Callable[[int], MessageWidget]) -> None:
        """Replace the content with ``total`` messages, mounting the newest batch."""
        self._make = make
        self.total = total
        self.selected = None
        await self.remove_children()
        self.first_mounted = max(0, total - BATCH)
        widgets = [make(i) for i in range(self.first_mounted, total)]
        await self.mount(Static("", id="earlier"), *widgets)
        self._update_earlier()
        self.anchor()
        self.scroll_end(animate=False, immediate=True)

    async def add(self, widget: MessageWidget) -> MessageWidget:
        """Append a new message (a prompt, or a reply about to stream)."""
        self.total = max(self.total, widget.index + 1)
        await self.mount(widget)
        self.anchor()
        self.scroll_end(animate=False)
        return widget

    async def truncate(self, keep: int) -> None:
        """Remove every message from index ``keep`` on (edit and resend)."""
        for widget in list(self.query(MessageWidget)):
            if widget.index >= keep:
                await widget.remove()
        self.total = keep
        if self.selected is not None and self.selected >= keep:
            self.selected = None

    async def load_earlier(self) -> bool:
        """Mount the previous batch above the current first message."""
        if self._make is None or self.first_mounted == 0:
            return False
        start = max(0, self.first_mounted - BATCH)
        widgets = [self._make(i) for i in range(start, self.first_mounted)]
        first = self.query(MessageWidget).first() if self.query(MessageWidget) else None
        old_height = self.virtual_size.height
        if first is not None:
            await self.mount(*widgets, before=first)
        else:
            await self.mount(*widgets)
        self.first_mounted = start
        self._update_earlier()
        # Keep what the user was looking at in place.
        self.call_after_refresh(self._keep_position, old_height)
        return True

    def _keep_position(self, old_height: int) -> None:
        grown = self.virtual_size.height - old_height
        if grown > 0:
            self.scroll_to(y=self.scroll_y + grown, animate=False, immediate=True)

    def _update_earlier(self) -> None:
        earlier = self.query_one("#earlier", Static)
        if self.first_mounted:
            earlier.update(f"↑ {self.first_mounted:,} earlier messages: scroll up or press home")
            earlier.display = True
        else:
            earlier.display = False

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 and old > 0 and self.first_mounted:
            self.run_worker(self.load_earlier(), group="load-earlier", exclusive=True)

    # --- selection and actions -------------------------------------------------

    def widgets(self) -> list[MessageWidget]:
        return list(self.query(MessageWidget))

    def widget_at(self, index: int) -> MessageWidget | None:
        for widget in self.query(MessageWidget):
            if widget.index == index:
                return widget
        return None

    async def action_select(self, step: int) -> None:
        if not self.total:
            return
        if self.selected is None:
            target = self.total - 1 if step < 0 else self.first_mounted
        else:
            target = min(max(self.selected + step, 0), self.total - 1)
        while target < self.first_mounted and await self.load_earlier():
            pass
        widget = self.widget_at(target)
        if widget is None:
            return
        self.selected = target
        self.release_anchor()
        for other in self.query(MessageWidget):
            other.set_class(other is widget, "-selected")
        self.scroll_to_widget(widget, animate=False)
        self.post_message(self.Selected(widget))

    def current(self) -> MessageWidget | None:
        if self.selected is None:
            widgets = self.widgets()
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

    def action_toggle_thinking(self) -> None:
        widget = self.current()
        if widget is not None and widget.thinking:
            widget.toggle_thinking()

    async def action_load_all_and_top(self) -> None:
        while await self.load_earlier():
            pass
        self.release_anchor()
        self.call_after_refresh(self.scroll_home, animate=False)

    def action_bottom(self) -> None:
        self.selected = None
        for widget in self.query(MessageWidget):
            widget.remove_class("-selected")
        self.anchor()
        self.scroll_end(animate=False)
