"""An invoice to be paid: its QR code, its text, and its state as it changes.

The state turns to paid through the wallet's payment_received notification
or, for wallets without notifications, by polling lookup_invoice; both run
in a worker, over the screen's own connection to the wallet, while the
screen is open. Closing the screen stops watching (and closes that
connection), not the invoice: it stays payable until it expires. The description and the
invoice came back from the wallet: both are shown through safe_line.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sovtui.errors import SovtuiError
from sovtui.qr import qr_lines
from sovtui.text import safe_line

if TYPE_CHECKING:
    from sovtui.wallet.nwc import Transaction
    from sovtui.wallet.service import WalletService


class InvoiceScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    InvoiceScreen { align: center middle; }
    InvoiceScreen > VerticalScroll {
        width: auto; max-width: 98%; height: auto; max-height: 100%;
        background: $surface; border: thick $primary 60%; padding: 0 1;
    }
    InvoiceScreen .title { text-style: bold; }
    InvoiceScreen #invoice-state { color: $warning; }
    InvoiceScreen #invoice-state.-paid { color: $success; text-style: bold; }
    InvoiceScreen #qr { width: auto; height: auto; }
    InvoiceScreen #invoice-text { width: 76; height: auto; }
    InvoiceScreen .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="invoice.close"),
        Binding("c", "copy", "Copy invoice", id="invoice.copy"),
    ]

    def __init__(self, tx: Transaction, service: WalletService, wallet: str, *, poll: float = 3.0) -> None:
        super().__init__()
        self.tx = tx
        self.service = service
        self.wallet = wallet
        self.poll = poll
        self.paid = False

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            memo = f" · {safe_line(self.tx.description)}" if self.tx.description else ""
            yield Static(f"Receive {self.tx.amount_sat:,} sats{memo}", classes="title", markup=False)
            yield Static("waiting for payment…", id="invoice-state", markup=False)
            yield Static("\n".join(qr_lines(self.tx.invoice.upper())), id="qr", markup=False)
            yield Static(safe_line(self.tx.invoice), id="invoice-text", markup=False)
            yield Static("c copies the invoice (OSC 52) · esc closes (the invoice stays valid)", classes="hint")

    def on_mount(self) -> None:
        self.watch_payment()

    @work(exclusive=True, group="invoice-watch", exit_on_error=False, description="Waiting for the invoice to be paid")
    async def watch_payment(self) -> None:
        try:
            async with self.service.client(self.wallet) as client:
                tx = await self.service.wait_paid(client, self.tx.payment_hash, poll=self.poll,
                                                  timeout=max(60.0, (self.tx.expires_at or 0) - time.time()))
        except SovtuiError as exc:
            self.query_one("#invoice-state", Static).update(safe_line(str(exc)))
            return
        state = self.query_one("#invoice-state", Static)
        if tx.state == "settled":
            self.paid = True
            state.update(f"PAID ✓ {tx.amount_sat:,} sats received")
            state.add_class("-paid")
        else:
            state.update(f"the invoice is {safe_line(tx.state)[:20]}")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(safe_line(self.tx.invoice))
        self.notify("invoice copied (OSC 52)", timeout=2)

    def action_close(self) -> None:
        self.dismiss(self.paid)
