"""Wallet: paste an NWC URI, see that it works, set a daily budget.

Testing and keeping the connection is ``WalletConnect``, the flow the Wallet
pane uses too (``sovtui.ui.flows.wallet_connect``); this step only lays out
its boxes and says what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.widgets import Input, Static

from sovtui.ui.flows.wallet_connect import WalletConnect
from sovtui.ui.wizard.steps.base import Step
from sovtui.wallet.views import sats, wallet_line

if TYPE_CHECKING:
    from sovtui.wallet.service import CheckedConnection


class WalletStep(Step):
    TITLE = "Your wallet"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.connect = WalletConnect(self, on_error=self.inline("#wal-error"))

    @property
    def tested(self) -> CheckedConnection | None:
        """The connection that answered, until it is kept."""
        return self.connect.tested

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

    def _connected(self) -> dict[str, int]:
        """Connected wallets and their budgets, as config.toml has them now."""
        return {name: wallet.budget_sats for name, wallet in self.connect.service().shown().items()}

    def entered(self) -> None:
        wallets = self._connected()
        self.show_passphrase_if_locked("#wal-pass")
        if wallets and self.tested is None:
            budget = next(iter(wallets.values()))
            self.say("#wal-state", f"✓ connected: {', '.join(wallets)}" + (f" · budget {budget:,} sats" if budget else " · no budget yet"), "ok")
            for selector in ("#wal-uri", "#wal-name", "#wal-budget"):
                self.query_one(selector, Input).display = False
            return
        self.query_one("#wal-uri", Input).focus()

    def primary_label(self) -> str:
        if self.tested is not None:
            return "Connect"
        return "Next" if self._connected() else "Test"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.wizard.action_primary()

    async def run_test(self) -> bool:
        self.say("#wal-error", "reaching the wallet…", "hint")
        tested = await self.connect.test(self.query_one("#wal-uri", Input).value)
        if tested is None:
            return False
        self.say("#wal-error", "")
        self.say("#wal-state", f"✓ {wallet_line(tested.info)} answers: balance {sats(tested.balance_msat)}", "ok")
        self.query_one("#wal-budget", Input).focus()
        return True

    async def confirm(self) -> bool:
        if self.tested is None and self._connected():
            return await self.vault_open("#wal-pass", "#wal-error") if self.query_one("#wal-pass", Input).display else True
        if self.tested is None:
            await self.run_test()  # a working wallet turns the button into Connect
            return False
        budget = self.connect.budget(self.value("#wal-budget"))
        if budget is None or not await self.vault_open("#wal-pass", "#wal-error"):
            return False
        name = await self.connect.keep(self.value("#wal-name") or "main", budget, "day")
        if name is None:
            return False
        self.wizard.note(f"connected the wallet {name}" + (f" with a budget of {budget:,} sats a day" if budget else " (no budget)"))
        return True
