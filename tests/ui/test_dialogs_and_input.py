"""Shared widgets: the confirm and text dialogs, the chat input."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from sovtui.ui.screens.dialogs import ConfirmDialog, TextDialog
from sovtui.ui.widgets.chat_input import ChatInput
from sovtui.ui.widgets.message_log import last_code_block


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[object] = []
        #: What SovtuiApp has and the dialogs read (sovtui_app): no blinking in tests.
        self.cursor_blink = False
        self.sent: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("behind")
        yield ChatInput(id="prompt")

    def on_chat_input_submitted(self, message: ChatInput.Submitted) -> None:
        self.sent.append(message.text)
        message.input.clear()


async def test_confirm_requiring_a_word_ignores_anything_else() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.push_screen(ConfirmDialog("Delete?", require="chat1", danger=True), app.answers.append)
        await pilot.pause()
        await pilot.press("y", "enter")
        await pilot.pause()
        assert app.answers == [] and isinstance(app.screen, ConfirmDialog)
        await pilot.press("backspace", *"chat1", "enter")
        await pilot.pause()
        assert app.answers == [True]


async def test_dangerous_confirm_defaults_to_cancel() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.push_screen(ConfirmDialog("Pay 1,000 sats?", danger=True), app.answers.append)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == [False]


async def test_escape_cancels_a_text_dialog() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.push_screen(TextDialog("Rename", value="old"), app.answers.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.answers == [None]


async def test_enter_sends_and_ctrl_j_adds_a_line() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.query_one(ChatInput).focus()
        await pilot.press(*"hi", "ctrl+j", *"there", "enter")
        assert app.sent == ["hi\nthere"]
        await pilot.press("enter")  # an empty prompt is not sent
        assert app.sent == ["hi\nthere"]


async def test_up_and_down_walk_the_prompt_history() -> None:
    app = Host()
    async with app.run_test() as pilot:
        field = app.query_one(ChatInput)
        field.focus()
        await pilot.press(*"one", "enter", *"two", "enter", *"dra")
        await pilot.press("up")
        assert field.text == "two"
        await pilot.press("up")
        assert field.text == "one"
        await pilot.press("down", "down")
        assert field.text == "dra"


def test_last_code_block_is_found() -> None:
    text = "a\n```python\nprint(1)\n```\nb\n~~~\nx = 2\n~~~\n"
    assert last_code_block(text) == "x = 2\n"
    assert last_code_block("no code") is None
