"""Connecting a wallet: one flow for the Wallet pane and the setup wizard's wallet step.

Both test a pasted ``nostr+walletconnect://`` URI against the wallet, then
keep it under a name with a budget. The rules (a URI that parses, a wallet
that answers, a name that is free, a budget of whole sats) live in
``sovtui.wallet.service``; ``WalletConnect`` runs them off the event loop
and shows a refusal where its screen says. The pane asks in dialogs
(``connect_by_dialogs``); the wizard asks in its own boxes and calls
``test``, ``budget`` and ``keep``. Neither holds a copy of connecting,
testing or saving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.widget import Widget

from sovtui.amounts import parse_sats
from sovtui.config import PERIODS
from sovtui.errors import SovtuiError
from sovtui.text import safe_line
from sovtui.ui.pane import sovtui_app
from sovtui.ui.work import ErrorSink, attempt, succeeds

if TYPE_CHECKING:
    from sovtui.wallet.service import CheckedConnection, WalletService


class WalletConnect:
    """Test a URI, then keep the tested connection; errors go to ``on_error`` (None: a notification)."""

    def __init__(self, node: Widget, *, on_error: ErrorSink = None) -> None:
        self.node = node
        self.on_error = on_error
        #: The connection that answered, until it is kept.
        self.tested: CheckedConnection | None = None

    def service(self) -> WalletService:
        from sovtui.wallet.service import WalletService

        return WalletService(sovtui_app(self.node).ctx)

    def _show(self, exc: SovtuiError) -> None:
        if self.on_error is None:
            self.node.notify(str(exc), severity="error")
        else:
            self.on_error(exc)

    async def test(self, uri_text: str) -> CheckedConnection | None:
        """Reach the wallet with the URI: what it said, or None once the reason is shown."""
        self.tested = await attempt(self.node, self.service().test(uri_text), on_error=self.on_error)
        return self.tested

    def budget(self, text: str) -> int | None:
        """A budget as typed (blank: none, 0), or None once the reason is shown."""
        try:
            return parse_sats(text, "budget", empty=0)
        except SovtuiError as exc:
            self._show(exc)
            return None

    async def check_name(self, name: str) -> str | None:
        """The name, cleaned, if a new wallet may take it; None once the reason is shown."""
        service = self.service()
        return await attempt(self.node, lambda: service.check_new_name(name), on_error=self.on_error)

    async def keep(self, name: str, budget_sats: int, period: str = "day") -> str | None:
        """Keep the tested connection (the vault must be open): its name, or None once the reason is shown."""
        tested = self.tested
        if tested is None:
            raise RuntimeError("keep() before a connection was tested")
        service = self.service()
        name = name.strip()
        kept = await succeeds(self.node, lambda: service.save(name, tested.uri, budget_sats=budget_sats, budget_period=period,
                                                              network=tested.info.network), on_error=self.on_error)
        if not kept:
            return None
        self.tested = None
        return name


async def connect_by_dialogs(node: Widget, *, progress: Callable[[str], None]) -> str | None:
    """Ask for a URI, test it, ask for a name, a budget and its period, confirm, keep: the name kept, or None.

    Run from a worker (it waits on dialogs). ``progress`` shows a line while the wallet is reached.
    """
    from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
    from sovtui.ui.vault_gate import ensure_open
    from sovtui.wallet.views import sats, wallet_line

    app = sovtui_app(node)
    text = await app.push_screen_wait(TextDialog(
        "Paste your wallet's connection URI", password=True,
        body="nostr+walletconnect://… from Alby Hub, LNbits, Coinos, Zeus or any NIP-47 wallet. It is kept in the vault.",
    ))
    if not text:
        return None
    flow = WalletConnect(node)
    progress("reaching the wallet…")
    tested = await flow.test(text)
    progress("")
    if tested is None:
        return None
    try:
        first = not flow.service().names()
    except SovtuiError:
        first = False
    answer = await app.push_screen_wait(TextDialog("A name for this wallet", value="main" if first else ""))
    name = await flow.check_name(answer) if answer else None
    if name is None:
        return None
    budget_text = await app.push_screen_wait(TextDialog("Spending budget in sats (empty: none)", value="10000"))
    budget = flow.budget(budget_text) if budget_text is not None else None
    if budget is None:
        return None
    period = "day"
    if budget:
        chosen = await app.push_screen_wait(ChoiceDialog("Budget per", [(p, p) for p in PERIODS], current="day"))
        if not chosen:
            return None
        period = chosen
    summary = (f"{wallet_line(tested.info)}, balance {sats(tested.balance_msat)}\n"
               f"relays: {safe_line(', '.join(tested.uri.relays))}\n"
               f"budget: {f'{budget:,} sats per {period}' if budget else 'none'}")
    if not await app.push_screen_wait(ConfirmDialog(f"Connect {name}?", summary, confirm_label="Connect")):
        return None
    if not await ensure_open(app, app.ctx.vault):
        return None
    return await flow.keep(name, budget, period)
