"""The Wallet pane: balance, send, receive, history and budget, over NWC.

It shows and routes. The rules are ``sovtui.wallet.service``'s (the CLI's
too), the words ``sovtui.wallet.views``', the dialogs ``wallet_questions``';
connecting is ``sovtui.ui.flows.wallet_connect`` (the wizard's too). It draws
from config.toml at once and fills in what the wallet says from a worker; an
unreachable relay is a line with the next step, never a crash.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.widgets import DataTable, Static

from sovtui.errors import SovtuiError
from sovtui.text import safe_line
from sovtui.ui.messages import SovereigntyChanged
from sovtui.ui.pane import Pane
from sovtui.ui.panes import wallet_questions as ask
from sovtui.ui.screens.dialogs import ConfirmDialog
from sovtui.ui.vault_gate import ensure_open
from sovtui.wallet.errors import InvoiceNeedsAmount
from sovtui.wallet.service import WalletService
from sovtui.wallet.views import HISTORY_COLUMNS, history_row, sats, transaction_details, wallet_details, wallet_line

if TYPE_CHECKING:
    from sovtui.wallet.nwc import Transaction, WalletInfo
    from sovtui.wallet.service import PaymentPlan, WalletOverview


class WalletPane(Pane, can_focus=True):
    CSS_PATH = "wallet.tcss"

    BINDINGS = [
        Binding("s", "send", "Send", id="wallet.send"),
        Binding("r", "receive", "Receive", id="wallet.receive"),
        Binding("g", "refresh", "Refresh", id="wallet.refresh"),
        Binding("h", "toggle_balance", "Hide balance", id="wallet.hide"),
        Binding("b", "budget", "Budget", id="wallet.budget"),
        Binding("c", "connect", "Connect", id="wallet.connect"),
        Binding("w", "switch", "Switch wallet", id="wallet.switch", show=False),
        Binding("i", "info", "Info", id="wallet.info", show=False),
        Binding("m", "more", "Older", id="wallet.more", show=False),
        Binding("x", "remove", "Remove wallet", id="wallet.remove", show=False),
    ]

    PALETTE = (
        ("Wallet: send (pay an invoice)", "Paste a BOLT11 invoice, check it, confirm", "send"),
        ("Wallet: receive (make an invoice)", "An invoice and its QR code", "receive"),
        ("Wallet: connect a wallet", "Paste a nostr+walletconnect:// URI", "connect"),
        ("Wallet: set the budget", "Sats per day, week or month", "budget"),
        ("Wallet: refresh", "Balance and history again", "refresh"),
        ("Wallet: info", "Alias, network, methods, encryption", "info"),
        ("Wallet: switch wallet", "Use another connected wallet", "switch"),
        ("Wallet: hide or show the balance", "For screen sharing", "toggle_balance"),
        ("Wallet: remove a wallet", "Forget its connection secret", "remove"),
    )

    PAGE = 20

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hidden = False
        self.wallet: str | None = None
        self.error: str | None = None
        self.info: WalletInfo | None = None
        self.balance_msat: int | None = None
        self.transactions: list[Transaction] = []
        self.encryption = ""

    def compose(self) -> ComposeResult:
        for part in ("title", "balance", "budget", "status"):
            yield Static("", id=f"wallet-{part}", markup=False)
        table: DataTable[str] = DataTable(id="wallet-history", cursor_type="row")
        for label in HISTORY_COLUMNS:  # here, not in on_mount: see KeysPane.compose
            table.add_column(label, key=label.lower())
        yield table

    def on_show(self) -> None:
        self.render_view()
        if self.wallet and self._unlocked():
            self.action_refresh()

    def focus_target(self) -> Widget:
        return self  # on_focus hands it to the history when there is one

    def on_focus(self) -> None:
        table = self.query_one(DataTable)
        if table.display and table.row_count:
            table.focus()

    # --- asking the service -----------------------------------------------------------

    def service(self) -> WalletService:
        return WalletService(self.ctx)

    def _unlocked(self) -> bool:
        return self.ctx.vault.exists and self.ctx.vault.is_unlocked

    async def _vault_open(self) -> bool:
        return await ensure_open(self.sovtui, self.ctx.vault, create=False)

    def _chosen(self) -> str | None:
        """The wallet on screen; a hint when there is none."""
        if self.wallet is None:
            self.notify("no wallet connected: press c", severity="warning")
        return self.wallet

    # --- view -------------------------------------------------------------------------

    def _show(self, name: str | None, overview: WalletOverview | None = None) -> None:
        """Show a wallet (or none), with what it said if that is known."""
        self.wallet, self.error = name, None
        self.info = overview.info if overview else None
        self.balance_msat = overview.balance_msat if overview else None
        self.transactions = list(overview.transactions) if overview else []
        self.encryption = overview.encryption if overview else ""
        self.render_view()

    def render_view(self) -> None:
        names = list(self.service().shown())
        if self.wallet not in names:
            self.wallet, self.balance_msat, self.transactions, self.info = (names[0] if names else None), None, [], None
        title, balance, budget = (self.query_one(f"#wallet-{part}", Static) for part in ("title", "balance", "budget"))
        table = self.query_one(DataTable)
        balance.display = budget.display = table.display = self.wallet is not None
        if self.wallet is None:
            title.update("No wallet connected")
            self._status("Press c and paste your wallet's nostr+walletconnect:// URI (Alby Hub, LNbits, Coinos, Zeus …).")
            return
        about = f" · {wallet_line(self.info)}" + (f" · {self.encryption}" if self.encryption else "") if self.info else ""
        title.update(self.wallet + about + (f" · {len(names)} wallets (w switches)" if len(names) > 1 else ""))
        balance.update("Balance: " + ("••••• sats (h shows)" if self.hidden else "…" if self.balance_msat is None else sats(self.balance_msat)))
        try:
            budget.update("Budget: " + self.service().budget(self.wallet).describe())
        except SovtuiError as exc:
            budget.update(safe_line(str(exc)))
        if self.error:
            self._status(self.error, error=True)
        elif not self._unlocked():
            self._status("The vault is locked: press g and enter your passphrase to reach the wallet.")
        else:
            self._status("s send · r receive · g refresh · b budget · enter details" if self.transactions else "no transactions yet")
        table.clear()
        for tx in self.transactions:
            # Cells as Text: a str cell is parsed as markup, and a description of "[/]" would crash the app.
            table.add_row(*(Text(cell, end="") for cell in history_row(tx, time_pattern="%m-%d %H:%M")), key=tx.payment_hash or None)
        table.display = bool(self.transactions)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#wallet-status", Static)
        status.update(safe_line(text))
        status.set_class(error, "-error")

    # --- loading ------------------------------------------------------------------------

    @work(exclusive=True, group="wallet-refresh", exit_on_error=False, description="Reaching the wallet: balance, details, history")
    async def action_refresh(self) -> None:
        name = self.wallet
        if name is None or not await self._vault_open():
            self.render_view()
            return
        self._status(f"reaching {name}…")

        def unreachable(exc: SovtuiError) -> None:
            self.error = f"{exc} · g tries again"

        overview = await self.attempt(self.service().overview(name, limit=self.PAGE), on_error=unreachable)
        if overview is None:
            self.render_view()
        elif name == self.wallet:
            self._show(name, overview)

    @work(exclusive=True, group="wallet-refresh", exit_on_error=False, description="Older transactions")
    async def action_more(self) -> None:
        wallet, offset = self.wallet, len(self.transactions)
        if wallet is None or not self.ctx.vault.is_unlocked:
            return
        service = self.service()
        older = await self.attempt(service.using(wallet, lambda client: service.history(client, wallet, limit=self.PAGE, offset=offset)))
        if older == []:
            self.notify("no older transactions", timeout=2)
        elif older:
            self.transactions += older
            self.render_view()

    # --- actions ---------------------------------------------------------------------------

    def action_toggle_balance(self) -> None:
        self.hidden = not self.hidden
        self.render_view()

    @work(exclusive=True, group="wallet-action", exit_on_error=False, description="Choosing a wallet")
    async def action_switch(self) -> None:
        names = list(self.service().shown())
        if len(names) < 2:
            self.notify("only one wallet is connected" if names else "no wallet connected: press c", timeout=3)
            return
        name = await ask.which_wallet(self, names, self.wallet)
        if name and name != self.wallet:
            self._show(name)
            self.action_refresh()

    @work(exclusive=True, group="wallet-action", exit_on_error=False, description="Connecting a wallet")
    async def action_connect(self) -> None:
        from sovtui.ui.flows.wallet_connect import connect_by_dialogs

        name = await connect_by_dialogs(self, progress=self._status)
        if name is None:
            self.render_view()
            return
        self.notify(f"connected {name}")
        self.post_message(SovereigntyChanged())
        self._show(name)
        self.action_refresh()

    @work(exclusive=True, group="wallet-action", exit_on_error=False, description="Paying an invoice")
    async def action_send(self) -> None:
        wallet = self._chosen()
        text = await ask.invoice_to_pay(self) if wallet else None
        if not wallet or not text:
            return
        plan = await self._plan(wallet, text)
        if plan is None:
            self.render_view()  # the budget line as config.toml has it now
            return
        if not await ask.payment_confirmed(self, wallet, plan) or not await self._vault_open():
            return
        self._status(f"paying {plan.amount_sat:,} sats…")

        def failed(exc: SovtuiError) -> None:
            self.render_view()
            self._status(str(exc), error=True)
            self.notify(str(exc), severity="error")

        service = self.service()
        outcome = await self.attempt(service.using(wallet, lambda client: service.pay(client, plan)), on_error=failed)
        if outcome is not None:
            severity: SeverityLevel = "information" if outcome.state == "settled" else "warning" if outcome.state == "pending" else "error"
            self.notify(outcome.describe(with_preimage=False), severity=severity, timeout=8)
            self.action_refresh()

    async def _plan(self, wallet: str, text: str) -> PaymentPlan | None:
        """The checked payment; for an invoice without an amount, the amount is asked for first."""
        service = self.service()
        try:
            return await asyncio.to_thread(service.prepare_payment, wallet, text)
        except InvoiceNeedsAmount:
            amount = await ask.missing_amount(self)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return None
        return await self.attempt(lambda: service.prepare_payment(wallet, text, amount_sat=amount)) if amount is not None else None

    @work(exclusive=True, group="wallet-action", exit_on_error=False, description="Making an invoice")
    async def action_receive(self) -> None:
        from sovtui.ui.screens.invoice import InvoiceScreen

        wallet = self._chosen()
        wanted = await ask.invoice_to_make(self) if wallet else None
        if not wallet or not wanted or not await self._vault_open():
            return
        service = self.service()
        tx = await self.attempt(service.using(wallet, lambda client: service.receive(client, *wanted)))
        if tx is not None and await self.app.push_screen_wait(InvoiceScreen(tx, service, wallet)):
            self.action_refresh()

    @work(exclusive=True, group="wallet-action", exit_on_error=False, description="Setting the budget")
    async def action_budget(self) -> None:
        wallet = self.wallet
        current = self.service().shown().get(wallet) if wallet else None
        if wallet is None or current is None:
            self.render_view()
            return
        wanted = await ask.new_budget(self, wallet, current)
        service = self.service()
        budget = await self.attempt(lambda: service.set_budget(wallet, *wanted)) if wanted else None
        if budget is not None:
            self.notify(f"{wallet}: {budget.after_change()}")
            self.post_message(SovereigntyChanged())
            self.render_view()

    def action_info(self) -> None:
        cfg = self.service().shown().get(self.wallet) if self.wallet else None
        if self.wallet is None or cfg is None:
            self.render_view()
            return
        lines = wallet_details(cfg.relays, cfg.wallet_pubkey, self.info, self.encryption)
        self.app.push_screen(ConfirmDialog(f"Wallet {self.wallet}", "\n".join(lines), confirm_label="Close"))

    @work(exclusive=True, group="wallet-action", exit_on_error=False, description="Forgetting a wallet")
    async def action_remove(self) -> None:
        name = self.wallet
        if name is None or not await ask.removal_confirmed(self, name):
            return
        service = self.service()
        if await self._vault_open() and await self.succeeds(lambda: service.remove(name)):
            self.notify(f"removed {name}")
            self.post_message(SovereigntyChanged())
            self._show(None)

    @work(exclusive=True, group="wallet-action", exit_on_error=False, description="A transaction's details")
    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.transactions):
            body = "\n".join(transaction_details(self.transactions[event.cursor_row]))
            await self.app.push_screen_wait(ConfirmDialog("Transaction", body, confirm_label="Close"))
