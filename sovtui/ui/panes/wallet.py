"""The Wallet pane: balance, send, receive, history and budget, over NWC.

Everything that touches the network runs in a worker: the pane draws at once
from config.toml (which wallets, which budget) and fills in the balance and
history when the wallet answers. A relay that cannot be reached is a line in
the pane with the next step, never a crash. Paying always shows the decoded
invoice and asks first; the safety rules themselves live in
``sovtui.wallet.service``, shared with the CLI. The pane reads config.toml
afresh through the service each time it draws, so a budget changed from
another shell shows (and holds) here too. Whatever the wallet or an invoice
says (alias, descriptions, states, error messages) is shown through
``sovtui.text.safe_line``.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sovtui.amounts import parse_sats
from sovtui.errors import SovtuiError
from sovtui.text import safe_line
from sovtui.ui.messages import SovereigntyChanged


class WalletPane(Vertical, can_focus=True):
    DEFAULT_CSS = """
    WalletPane { height: 1fr; padding: 0 1; }
    WalletPane #wallet-title { height: 1; text-style: bold; }
    WalletPane #wallet-balance { height: 1; }
    WalletPane #wallet-budget { height: 1; color: $text-muted; }
    WalletPane #wallet-status { height: auto; color: $text-muted; padding: 1 0 0 0; }
    WalletPane #wallet-status.-error { color: $error; }
    WalletPane #wallet-history { height: 1fr; margin-top: 1; }
    """

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
        self.wallet: str | None = None
        self.balance_msat: int | None = None
        self.hidden = False
        self.transactions: list[Any] = []
        self.info: Any = None
        self.encryption = ""
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="wallet-title", markup=False)
        yield Static("", id="wallet-balance", markup=False)
        yield Static("", id="wallet-budget", markup=False)
        yield Static("", id="wallet-status", markup=False)
        yield DataTable(id="wallet-history", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("when", "When"), ("dir", "Dir"), ("sats", "Sats"), ("state", "State"), ("desc", "Description")):
            table.add_column(label, key=key)

    def on_show(self) -> None:
        self.render_view()
        if self.wallet and self.vault.exists and self.vault.is_unlocked:
            self.action_refresh()

    def on_focus(self) -> None:
        table = self.query_one(DataTable)
        if table.display and table.row_count:
            table.focus()

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.app.ctx  # type: ignore[attr-defined]

    @property
    def vault(self):  # type: ignore[no-untyped-def]
        return self.ctx.vault

    def service(self):  # type: ignore[no-untyped-def]
        from sovtui.wallet.service import WalletService

        return WalletService(self.ctx)

    # --- view -------------------------------------------------------------------------

    def _names(self) -> list[str]:
        """The wallets in config.toml now (the copy last read, if the file cannot be read)."""
        try:
            return self.service().names()
        except SovtuiError:
            return sorted(self.ctx.config.wallets)

    def _wallet_config(self, name: str):  # type: ignore[no-untyped-def]
        try:
            return self.service().config_of(name)
        except SovtuiError:
            return self.ctx.config.wallets.get(name)

    def render_view(self) -> None:
        names = self._names()
        if self.wallet not in names:
            self.wallet = names[0] if names else None
            self.balance_msat, self.transactions, self.info = None, [], None
        title = self.query_one("#wallet-title", Static)
        balance = self.query_one("#wallet-balance", Static)
        budget = self.query_one("#wallet-budget", Static)
        table = self.query_one(DataTable)
        balance.display = budget.display = self.wallet is not None
        if self.wallet is None:
            title.update("No wallet connected")
            balance.update("")
            budget.update("")
            self._status("Press c and paste your wallet's nostr+walletconnect:// URI (Alby Hub, LNbits, Coinos, Zeus …).")
            table.display = False
            return
        extra = f" · {len(names)} wallets (w switches)" if len(names) > 1 else ""
        about = ""
        if self.info is not None:
            about = (f" · {safe_line(self.info.alias) or 'wallet'} on {safe_line(self.info.network) or '?'}"
                     + (f" · {self.encryption}" if self.encryption else ""))
        title.update(f"{self.wallet}{about}{extra}")
        if self.hidden:
            balance.update("Balance: ••••• sats (h shows)")
        elif self.balance_msat is None:
            balance.update("Balance: …")
        else:
            balance.update(f"Balance: {self.balance_msat // 1000:,} sats")
        try:
            budget.update("Budget: " + self.service().budget(self.wallet).describe())
        except SovtuiError as exc:
            budget.update(safe_line(str(exc)))
        if self.error:
            self._status(self.error, error=True)
        elif not (self.vault.exists and self.vault.is_unlocked):
            self._status("The vault is locked: press g and enter your passphrase to reach the wallet.")
        else:
            self._status("s send · r receive · g refresh · b budget · enter details" if self.transactions else "no transactions yet")
        table.clear()
        from sovtui.wallet.service import format_time

        for tx in self.transactions:
            when = format_time(tx.created_at, "%m-%d %H:%M") if tx.created_at else ""
            sign = "+" if tx.type == "incoming" else "−"
            table.add_row(when, "in" if tx.type == "incoming" else "out", f"{sign}{tx.amount_sat:,}",
                          safe_line(tx.state)[:12], safe_line(tx.description)[:60], key=tx.payment_hash or None)
        table.display = bool(self.transactions)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#wallet-status", Static)
        status.update(safe_line(text))
        status.set_class(error, "-error")

    # --- loading ------------------------------------------------------------------------

    @work(exclusive=True, group="wallet-refresh")
    async def action_refresh(self) -> None:
        from sovtui.ui.vault_gate import ensure_open

        if self.wallet is None:
            self.render_view()
            return
        if not await ensure_open(self.app, self.vault, create=False):
            self.render_view()
            return
        name = self.wallet
        service = self.service()
        self._status(f"reaching {name}…")
        try:
            async with service.client(name) as client:
                info = await client.get_info() if not client.info_found or "get_info" in client.info.methods else client.info
                balance = await client.get_balance()
                await service.reconcile(client, name)
                transactions = await client.list_transactions(limit=self.PAGE) if "list_transactions" in info.methods or not info.methods else []
                encryption = client.encryption
        except SovtuiError as exc:
            self.error = f"{exc} · g tries again"
            self.render_view()
            return
        if name != self.wallet:
            return
        self.error = None
        self.info, self.balance_msat, self.transactions, self.encryption = info, balance, transactions, encryption
        self.render_view()

    @work(exclusive=True, group="wallet-refresh")
    async def action_more(self) -> None:
        if self.wallet is None or not self.vault.is_unlocked:
            return
        try:
            async with self.service().client(self.wallet) as client:
                older = await client.list_transactions(limit=self.PAGE, offset=len(self.transactions))
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        if not older:
            self.notify("no older transactions", timeout=2)
            return
        self.transactions += older
        self.render_view()

    # --- actions ---------------------------------------------------------------------------

    def action_toggle_balance(self) -> None:
        self.hidden = not self.hidden
        self.render_view()

    def action_switch(self) -> None:
        from sovtui.ui.screens.dialogs import ChoiceDialog

        names = self._names()
        if len(names) < 2:
            self.notify("only one wallet is connected" if names else "no wallet connected: press c", timeout=3)
            return

        def chosen(name: str | None) -> None:
            if name and name != self.wallet:
                self.wallet, self.balance_msat, self.transactions, self.info, self.error = name, None, [], None, None
                self.render_view()
                self.action_refresh()

        self.app.push_screen(ChoiceDialog("Which wallet?", [(n, n) for n in names], current=self.wallet), chosen)

    @work(exclusive=True, group="wallet-action")
    async def action_connect(self) -> None:
        from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
        from sovtui.ui.vault_gate import ensure_open
        from sovtui.wallet.service import check_wallet_name
        from sovtui.wallet.uri import parse_nwc_uri

        text = await self.app.push_screen_wait(TextDialog(
            "Paste your wallet's connection URI", password=True,
            body="nostr+walletconnect://… from Alby Hub, LNbits, Coinos, Zeus or any NIP-47 wallet. It is kept in the vault.",
        ))
        if not text:
            return
        try:
            parse_nwc_uri(text)
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        self._status("reaching the wallet…")
        try:
            uri, info, balance = await self.service().test(text)
        except SovtuiError as exc:
            self.render_view()
            self._status(str(exc), error=True)
            self.notify(safe_line(str(exc)), severity="error")
            return
        self._status("")
        name = await self.app.push_screen_wait(TextDialog("A name for this wallet", value="main" if not self._names() else ""))
        if not name:
            return
        try:
            check_wallet_name(name.strip())
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        budget_text = await self.app.push_screen_wait(TextDialog("Spending budget in sats (empty: none)", value="10000"))
        if budget_text is None:
            return
        try:
            budget = parse_sats(budget_text, "budget", empty=0)
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        period = "day"
        if budget:
            period = await self.app.push_screen_wait(ChoiceDialog("Budget per", [("day", "day"), ("week", "week"), ("month", "month")], current="day"))
            if not period:
                return
        summary = (f"{safe_line(info.alias) or 'wallet'} on {safe_line(info.network) or 'an unknown network'}, balance {balance // 1000:,} sats\n"
                   f"relays: {', '.join(uri.relays)}\n"
                   f"budget: {f'{budget:,} sats per {period}' if budget else 'none'}")
        if not await self.app.push_screen_wait(ConfirmDialog(f"Connect {name.strip()}?", summary, confirm_label="Connect")):
            return
        if not await ensure_open(self.app, self.vault):
            return
        try:
            self.service().save(name.strip(), uri, budget_sats=budget, budget_period=period, network=info.network)
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        self.wallet, self.balance_msat, self.info, self.transactions, self.error = name.strip(), None, None, [], None
        self.notify(f"connected {name.strip()}")
        self.post_message(SovereigntyChanged())
        self.render_view()
        self.action_refresh()

    @work(exclusive=True, group="wallet-action")
    async def action_send(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog, TextDialog
        from sovtui.ui.vault_gate import ensure_open
        from sovtui.wallet.errors import InvoiceRefused

        if self.wallet is None:
            self.notify("no wallet connected: press c", severity="warning")
            return
        text = await self.app.push_screen_wait(TextDialog("Paste the invoice to pay", placeholder="lnbc…"))
        if not text:
            return
        service = self.service()
        amount = None
        try:
            plan = service.prepare_payment(self.wallet, text)
        except InvoiceRefused as exc:
            if "no amount" not in str(exc):
                self.notify(safe_line(str(exc)), severity="error")
                return
            answer = await self.app.push_screen_wait(TextDialog("The invoice has no amount: how many sats?"))
            if not answer:
                return
            try:
                plan = service.prepare_payment(self.wallet, text, amount_sat=parse_sats(answer))
            except SovtuiError as exc2:
                self.notify(safe_line(str(exc2)), severity="error")
                self.render_view()
                return
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            self.render_view()  # the budget line as config.toml has it now
            return
        body = "\n".join(f"{label:>12}: {value}" for label, value in plan.summary(short=True))
        if not await self.app.push_screen_wait(ConfirmDialog(f"Pay {plan.amount_sat:,} sats from {self.wallet}?", body, confirm_label="Pay", danger=True)):
            return
        if not await ensure_open(self.app, self.vault, create=False):
            return
        self._status(f"paying {plan.amount_sat:,} sats…")
        try:
            async with service.client(self.wallet) as client:
                outcome = await service.pay(client, plan)
        except SovtuiError as exc:
            self.render_view()
            self._status(str(exc), error=True)
            self.notify(safe_line(str(exc)), severity="error")
            return
        severity = {"settled": "information", "pending": "warning"}.get(outcome.state, "error")
        self.notify(safe_line(outcome.describe(with_preimage=False)), severity=severity, timeout=8)
        self.action_refresh()

    @work(exclusive=True, group="wallet-action")
    async def action_receive(self) -> None:
        from sovtui.ui.screens.dialogs import TextDialog
        from sovtui.ui.screens.invoice import InvoiceScreen
        from sovtui.ui.vault_gate import ensure_open

        if self.wallet is None:
            self.notify("no wallet connected: press c", severity="warning")
            return
        answer = await self.app.push_screen_wait(TextDialog("Amount to receive, in sats"))
        if not answer:
            return
        try:
            sats = parse_sats(answer)
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        memo = await self.app.push_screen_wait(TextDialog("Description the payer sees (optional)"))
        if memo is None:
            return
        if not await ensure_open(self.app, self.vault, create=False):
            return
        service = self.service()
        client = service.client(self.wallet)
        try:
            await client.connect()
            tx = await service.receive(client, sats, memo.strip())
        except SovtuiError as exc:
            await client.close()
            self.notify(safe_line(str(exc)), severity="error")
            return
        paid = await self.app.push_screen_wait(InvoiceScreen(tx, service, client))
        await client.close()
        if paid:
            self.action_refresh()

    @work(exclusive=True, group="wallet-action")
    async def action_budget(self) -> None:
        from sovtui.ui.screens.dialogs import ChoiceDialog, TextDialog

        if self.wallet is None:
            return
        current = self._wallet_config(self.wallet)
        if current is None:
            self.render_view()
            return
        answer = await self.app.push_screen_wait(TextDialog(f"Budget for {self.wallet} in sats (0: none)", value=str(current.budget_sats or "")))
        if answer is None:
            return
        try:
            sats = parse_sats(answer, "budget", empty=0)
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        period = await self.app.push_screen_wait(ChoiceDialog("Per", [("day", "day"), ("week", "week"), ("month", "month")], current=current.budget_period))
        if not period:
            return
        try:
            budget = self.service().set_budget(self.wallet, sats, period)
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        self.notify("budget: " + budget.describe() if budget.sats else "budget removed")
        self.post_message(SovereigntyChanged())
        self.render_view()

    def action_info(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        if self.wallet is None:
            return
        cfg = self._wallet_config(self.wallet)
        if cfg is None:
            self.render_view()
            return
        lines = [f"relays: {safe_line(', '.join(cfg.relays))}", f"wallet pubkey: {safe_line(cfg.wallet_pubkey)}"]
        if self.info is not None:
            info = self.info
            lines[:0] = [f"alias: {safe_line(info.alias) or '—'}", f"network: {safe_line(info.network) or '—'}", f"encryption: {self.encryption}",
                         f"methods: {safe_line(' '.join(info.methods)) or '—'}", f"notifications: {safe_line(' '.join(info.notifications)) or '—'}"]
        else:
            lines.insert(0, "(press g to ask the wallet for its details)")
        self.app.push_screen(ConfirmDialog(f"Wallet {self.wallet}", "\n".join(lines), confirm_label="Close"))

    @work(exclusive=True, group="wallet-action")
    async def action_remove(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog
        from sovtui.ui.vault_gate import ensure_open

        if self.wallet is None:
            return
        name = self.wallet
        if not await self.app.push_screen_wait(ConfirmDialog(
            f"Forget the wallet {name}?", "Its connection secret is deleted from the vault. The wallet itself and its funds are untouched.",
            confirm_label="Forget", require=name, danger=True,
        )):
            return
        if not await ensure_open(self.app, self.vault, create=False):
            return
        try:
            self.service().remove(name)
        except SovtuiError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        self.wallet = None
        self.notify(f"removed {name}")
        self.post_message(SovereigntyChanged())
        self.render_view()

    @work(exclusive=True, group="wallet-action")
    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        event.stop()
        row = event.cursor_row
        if not 0 <= row < len(self.transactions):
            return
        from sovtui.wallet.ledger import proves
        from sovtui.wallet.service import format_time

        tx = self.transactions[row]
        if tx.type == "incoming":
            fee = ""
        elif tx.fees_paid_msat is None:
            fee = "fee: not reported by the wallet"
        else:
            fee = f"fee: {tx.fees_paid_sat:,} sats"
        if not tx.preimage:
            preimage = ""
        elif proves(tx.preimage, tx.payment_hash):
            preimage = f"preimage: {tx.preimage} (proves the payment)"
        else:
            preimage = f"preimage: {safe_line(tx.preimage)[:64]} — does NOT hash to the payment hash: no proof of payment"
        lines = [
            f"{'received' if tx.type == 'incoming' else 'sent'} {tx.amount_sat:,} sats · {safe_line(tx.state)[:20]}",
            fee,
            f"description: {safe_line(tx.description) or '—'}",
            f"created: {format_time(tx.created_at, '%Y-%m-%d %H:%M:%S')}" if tx.created_at else "",
            f"settled: {format_time(tx.settled_at, '%Y-%m-%d %H:%M:%S')}" if tx.settled_at else "",
            f"payment hash: {tx.payment_hash}",
            preimage,
        ]
        await self.app.push_screen_wait(ConfirmDialog("Transaction", "\n".join(line for line in lines if line), confirm_label="Close"))
