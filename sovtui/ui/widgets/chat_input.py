"""The prompt box: enter sends, ctrl+j adds a line, up/down walk the history.

Shift+enter cannot be told apart from enter in many terminals, so the newline
key is ctrl+j, which every terminal sends as a line feed (also over SSH and
in tmux). Up on the first line and down on the last walk through earlier
prompts, as in a shell; anywhere else they move the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea


class ChatInput(TextArea):
    DEFAULT_CSS = """
    ChatInput {
        height: auto;
        min-height: 3;
        max-height: 10;
        border: tall $primary 40%;
    }
    ChatInput:focus {
        border: tall $primary;
    }
    """

    BINDINGS = [
        # Shown in the footer; the key itself is handled in _on_key, in order
        # with the typed characters (a priority binding would run before the
        # characters typed just ahead of it were inserted).
        Binding("enter", "submit", "Send", id="chat.send", show=True),
        Binding("ctrl+j", "newline", "Newline", id="chat.newline", show=True),
    ]

    @dataclass
    class Submitted(Message):
        input: ChatInput
        text: str

        @property
        def control(self) -> ChatInput:
            return self.input

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.placeholder = placeholder
        self.prompt_history: list[str] = []
        self._history_index: int | None = None
        self._draft = ""

    def action_submit(self) -> None:
        text = self.text
        if not text.strip():
            return
        if not self.prompt_history or self.prompt_history[-1] != text:
            self.prompt_history.append(text)
        self._history_index = None
        self._draft = ""
        self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        start, end = self.selection
        self._replace_via_keyboard("\n", start, end)

    async def _on_key(self, event: events.Key) -> None:
        if event.key in ("enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.action_submit() if event.key == "enter" else self.action_newline()
            return
        if event.key == "up" and self.cursor_location[0] == 0 and self.prompt_history:
            event.stop()
            event.prevent_default()
            self._walk_history(-1)
            return
        if event.key == "down" and self.cursor_location[0] == self.document.line_count - 1 and self._history_index is not None:
            event.stop()
            event.prevent_default()
            self._walk_history(+1)
            return
        await super()._on_key(event)

    def _walk_history(self, step: int) -> None:
        if self._history_index is None:
            if step > 0:
                return
            self._draft = self.text
            index = len(self.prompt_history) - 1
        else:
            index = self._history_index + step
        if index >= len(self.prompt_history):
            self._history_index = None
            self.load_text(self._draft)
        else:
            self._history_index = max(0, index)
            self.load_text(self.prompt_history[self._history_index])
        self.move_cursor(self.document.end)
