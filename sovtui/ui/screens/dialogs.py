"""Small modal dialogs shared by every pane: confirm, and ask for a line of text.

Both answer through ``dismiss``: ``ConfirmDialog`` with True/False,
``TextDialog`` with the text or None when cancelled. Escape always cancels.
A dangerous confirmation (deleting, spending) can require typing a word, so a
stray enter cannot do harm.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from sovtui.ui.pane import sovtui_app

_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: 64;
    max-width: 95%;
    height: auto;
    border: thick $primary 60%;
    background: $surface;
    padding: 1 2;
}}
{name} .dialog--title {{
    text-style: bold;
    padding-bottom: 1;
}}
{name} .dialog--body {{
    padding-bottom: 1;
}}
{name} Horizontal {{
    height: auto;
    align-horizontal: right;
}}
{name} Button {{
    margin-left: 1;
    min-width: 10;
}}
"""


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no. With ``require`` the user must type that word to confirm."""

    DEFAULT_CSS = _CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("y", "confirm", "Yes", id="dialog.yes", show=False),
        Binding("n", "cancel", "No", id="dialog.no", show=False),
    ]

    def __init__(self, title: str, body: str = "", *, confirm_label: str = "Yes", require: str | None = None, danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label
        self.require = require
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog--title", markup=False)
            if self.body:
                yield Static(self.body, classes="dialog--body", markup=False)
            if self.require:
                yield Static(f"Type {self.require!r} to confirm:", markup=False)
                yield Input(id="confirm-word")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        if self.require:
            field = self.query_one("#confirm-word", Input)
            field.cursor_blink = sovtui_app(self).cursor_blink
            field.focus()
        else:
            self.query_one("#cancel" if self.danger else "#confirm", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        if self.require:
            typed = self.query_one("#confirm-word", Input).value.strip()
            if typed != self.require:
                self.notify(f"type {self.require!r} exactly to confirm", severity="warning")
                return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class TextDialog(ModalScreen[str | None]):
    """Ask for one line of text (a title, a name, a pasted value)."""

    DEFAULT_CSS = _CSS.format(name="TextDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, *, value: str = "", placeholder: str = "", body: str = "", password: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.body = body
        self.password = password

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog--title", markup=False)
            if self.body:
                yield Static(self.body, classes="dialog--body", markup=False)
            yield Input(value=self.value, placeholder=self.placeholder, password=self.password, id="text")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        field = self.query_one("#text", Input)
        field.cursor_blink = sovtui_app(self).cursor_blink
        field.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.dismiss(self.query_one("#text", Input).value)
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few named things (a persona, a model)."""

    DEFAULT_CSS = _CSS.format(name="ChoiceDialog") + """
    ChoiceDialog OptionList { height: auto; max-height: 14; border: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]], *, current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices  # (value, label)
        self.current = current

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        with Vertical():
            yield Static(self.title_text, classes="dialog--title", markup=False)
            yield OptionList(*[Option(label, id=value) for value, label in self.choices])

    def on_mount(self) -> None:
        from textual.widgets import OptionList

        options = self.query_one(OptionList)
        options.focus()
        for index, (value, _) in enumerate(self.choices):
            if value == self.current:
                options.highlighted = index

    def on_option_list_option_selected(self, event) -> None:  # type: ignore[no-untyped-def]
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PasteDialog(ModalScreen[str | None]):
    """Ask for a block of text that may span lines (a signed event's JSON).

    ``Input`` keeps only the first line of a paste, which would cut a
    pretty-printed event in half; a ``TextArea`` keeps all of it. ``enter``
    adds a line, so ``ctrl+s`` (or tab to OK) submits.
    """

    DEFAULT_CSS = _CSS.format(name="PasteDialog") + """
    PasteDialog > Vertical { width: 90%; max-width: 100; }
    PasteDialog TextArea { height: 10; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "submit", "OK", id="dialog.submit"),
    ]

    def __init__(self, title: str, *, body: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea

        with Vertical():
            yield Static(self.title_text, classes="dialog--title", markup=False)
            if self.body:
                yield Static(self.body, classes="dialog--body", markup=False)
            yield TextArea(id="paste", soft_wrap=True, show_line_numbers=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("OK (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        from textual.widgets import TextArea

        area = self.query_one("#paste", TextArea)
        area.cursor_blink = sovtui_app(self).cursor_blink
        area.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_submit(self) -> None:
        from textual.widgets import TextArea

        self.dismiss(self.query_one("#paste", TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
