"""Show a block of text someone may want to copy: a signed event, a credential.

Read-only, scrollable, copied with OSC 52 on ``c`` so it reaches the user's own
clipboard over SSH. What is shown goes through ``safe_text`` (the fields may
come from a relay or another key's holder); what is copied is the text as it
is, so a signed event copied from here still verifies.
"""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from sovtui.text import safe_line, safe_text
from sovtui.ui.pane import sovtui_app


def event_json(event: dict[str, Any]) -> str:
    """A Nostr event as JSON a person can read: one field per line, each value compact."""
    fields = (f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in event.items())
    return "{\n" + ",\n".join(fields) + "\n}"


class TextViewScreen(ModalScreen[None]):
    CSS_PATH = "text_view.tcss"
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="text_view.close"),
        Binding("c", "copy", "Copy", id="text_view.copy"),
    ]

    def __init__(self, title: str, text: str, *, summary: str = "") -> None:
        super().__init__()
        self.title_text, self.text, self.summary = title, text, summary

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_line(self.title_text), classes="title", markup=False)
            if self.summary:
                yield Static(safe_text(self.summary), classes="summary", markup=False)
            yield TextArea(safe_text(self.text), read_only=True, soft_wrap=True, show_line_numbers=False, id="text-view")
            yield Static("c copies it (OSC 52) · esc closes", classes="hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.cursor_blink = sovtui_app(self).cursor_blink
        area.focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("copied (OSC 52)", timeout=2)

    def action_close(self) -> None:
        self.dismiss(None)
