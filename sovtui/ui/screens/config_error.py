"""Shown instead of the app when config.toml cannot be used.

The file is never touched from here: the user fixes it (``sovtui config
edit``) and presses r to read it again, or quits.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from sovtui.errors import ConfigError
from sovtui.ui.widgets.key_bar import KeyBar


class ConfigErrorScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "retry", "Read again", id="config_error.retry"),
        Binding("q", "app.quit", "Quit", id="config_error.quit"),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="config-error"):
            yield Static("sovtui cannot read its settings", classes="error-title")
            yield Static(self.message, id="config-error-message", classes="error-message", markup=False)
            yield Static(
                "The file was not changed. Fix it (for example with "
                "`sovtui config edit` in another shell), then press r to read it "
                "again, or q to quit."
            )
        yield KeyBar()

    def action_retry(self) -> None:
        try:
            self.app.ctx.reload()  # type: ignore[attr-defined]
        except ConfigError as exc:
            self.message = str(exc)
            self.query_one("#config-error-message", Static).update(self.message)
            self.notify("still broken", severity="error")
            return
        self.dismiss()
