"""One key: its npub as text and as a QR code, and a way to copy it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from sovtui.qr import qr_lines


class KeyDetailsScreen(ModalScreen[None]):
    CSS_PATH = "key_details.tcss"
    BINDINGS = [
        Binding("escape,q,enter", "close", "Close", id="key_details.close"),
        Binding("c", "copy", "Copy npub", id="key_details.copy"),
    ]

    def __init__(self, label: str, role: str, npub: str, created: str) -> None:
        super().__init__()
        self.label, self.role, self.npub, self.created = label, role, npub, created

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self.label} · {self.role} · created {self.created[:10]}", classes="title", markup=False)
            yield Static("\n".join(qr_lines(self.npub)), id="qr", markup=False)
            yield Static(self.npub, markup=False)
            yield Static("c copies the npub (OSC 52) · esc closes", classes="hint")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.npub)
        self.notify("npub copied (OSC 52)", timeout=2)

    def action_close(self) -> None:
        self.dismiss(None)
