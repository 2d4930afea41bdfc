"""Wallet: paste an NWC URI, see that it works, set a daily budget."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Static

from sovtui.amounts import parse_sats
from sovtui.errors import SovtuiError
from sovtui.ui.wizard.steps.base import Step


class WalletStep(Step):
    TITLE = "Your wallet"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tested: Any = None  # (uri, info, balance msat)

    def compose(self) -> ComposeResult:
        yield Static(
            "Your own Lightning wallet over Nostr Wallet Connect (Alby Hub, LNbits, Coinos, Zeus …). "
            "In your wallet, create an app connection and copy its nostr+walletconnect:// URI.",
        )
        yield Static("", id="wal-state")
        yield Input(placeholder="paste the nostr+walletconnect:// URI, then enter", password=True, id="wal-uri")
        yield Input(value="main", placeholder="a name for this wallet", id="wal-name")
        yield Input(value="10000", placeholder="daily budget in sats", id="wal-budget")
        yield Input(placeholder="your vault passphrase", password=True, id="wal-pass")
        yield Static("", id="wal-error")

    def entered(self) -> None:
        wallets = sorted(self.ctx.config.wallets)
        self.show_passphrase_if_locked("#wal-pass")
        if wallets and self.tested is None:
            budget = self.ctx.config.wallets[wallets[0]].budget_sats
            self.say("#wal-state", f"✓ connected: {', '.join(wallets)}" + (f" · budget {budget:,} sats" if budget else " · no budget yet"), "ok")
            for selector in ("#wal-uri", "#wal-name", "#wal-budget"):
                self.query_one(selector, Input).display = False
            return
        self.query_one("#wal-uri", Input).focus()

    def primary_label(self) -> str:
        if self.ctx.config.wallets and self.tested is None:
            return "Next"
        return "Connect" if self.tested is not None else "Test"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.wizard.action_primary()

    async def run_test(self) -> bool:
        from sovtui.wallet.service import WalletService

        self.say("#wal-error", "reaching the wallet…", "hint")
        try:
            self.tested = await WalletService(self.ctx, timeout=20.0).test(self.query_one("#wal-uri", Input).value)
        except SovtuiError as exc:
            self.tested = None
            self.say("#wal-error", str(exc), "error")
            return False
        _, info, balance = self.tested
        self.say("#wal-error", "")
        self.say("#wal-state", f"✓ {info.alias or 'your wallet'} on {info.network or 'an unknown network'} answers: balance {balance // 1000:,} sats", "ok")
        self.query_one("#wal-budget", Input).focus()
        return True

    async def confirm(self) -> bool:
        from sovtui.wallet.service import WalletService

        if self.ctx.config.wallets and self.tested is None:
            return await self.vault_open("#wal-pass", "#wal-error") if self.query_one("#wal-pass", Input).display else True
        if self.tested is None:
            await self.run_test()  # a working wallet turns the button into Connect
            return False
        try:
            budget = parse_sats(self.value("#wal-budget"), "budget", empty=0)
        except SovtuiError as exc:
            self.say("#wal-error", str(exc), "error")
            return False
        if not await self.vault_open("#wal-pass", "#wal-error"):
            return False
        uri, info, _ = self.tested
        name = self.value("#wal-name") or "main"
        service = WalletService(self.ctx)
        saved = await self.in_thread(lambda: service.save(name, uri, budget_sats=budget, budget_period="day", network=info.network) or True, "#wal-error")
        if not saved:
            return False
        self.wizard.note(f"connected the wallet {name}" + (f" with a budget of {budget:,} sats a day" if budget else " (no budget)"))
        self.tested = None
        return True
