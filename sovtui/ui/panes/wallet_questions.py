"""What the Wallet pane asks before it calls the service: the dialogs of each action, in order.

Each function asks and gives back the answers, or None (False) when the user
backs out or an answer is not a number of sats (the reason is shown). None
of them decides anything: the service the pane then calls checks the
amounts, the budget and the invoice. They run inside the pane's workers,
since a dialog is waited for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

from sovtui.amounts import parse_sats
from sovtui.config import PERIODS
from sovtui.errors import SovtuiError
from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog

if TYPE_CHECKING:
    from sovtui.config import WalletConfig
    from sovtui.wallet.service import PaymentPlan


async def _sats(node: Widget, title: str, *, what: str = "amount", value: str = "", empty: int | None = None) -> int | None:
    """A number of sats typed into a dialog; None when backed out of, or not a number (said so)."""
    answer = await node.app.push_screen_wait(TextDialog(title, value=value))
    if answer is None or (not answer and empty is None):
        return None
    try:
        return parse_sats(answer, what, empty=empty)
    except SovtuiError as exc:
        node.notify(str(exc), severity="error")
        return None


async def invoice_to_pay(node: Widget) -> str | None:
    return await node.app.push_screen_wait(TextDialog("Paste the invoice to pay", placeholder="lnbc…")) or None


async def missing_amount(node: Widget) -> int | None:
    """The amount for an invoice that states none."""
    return await _sats(node, "The invoice has no amount: how many sats?")


async def payment_confirmed(node: Widget, wallet: str, plan: PaymentPlan) -> bool:
    body = "\n".join(f"{label:>12}: {value}" for label, value in plan.summary(short=True))
    return await node.app.push_screen_wait(ConfirmDialog(f"Pay {plan.amount_sat:,} sats from {wallet}?", body, confirm_label="Pay", danger=True))


async def invoice_to_make(node: Widget) -> tuple[int, str] | None:
    """The amount of an invoice to receive and the description the payer sees."""
    amount = await _sats(node, "Amount to receive, in sats")
    memo = await node.app.push_screen_wait(TextDialog("Description the payer sees (optional)")) if amount is not None else None
    return (amount, memo.strip()) if amount is not None and memo is not None else None


async def new_budget(node: Widget, wallet: str, current: WalletConfig) -> tuple[int, str] | None:
    """A budget in sats (0: none) and its period."""
    amount = await _sats(node, f"Budget for {wallet} in sats (0: none)", what="budget", value=str(current.budget_sats or ""), empty=0)
    if amount is None:
        return None
    period = await node.app.push_screen_wait(ChoiceDialog("Per", [(p, p) for p in PERIODS], current=current.budget_period))
    return (amount, period) if period else None


async def removal_confirmed(node: Widget, name: str) -> bool:
    return await node.app.push_screen_wait(ConfirmDialog(
        f"Forget the wallet {name}?", "Its connection secret is deleted from the vault. The wallet itself and its funds are untouched.",
        confirm_label="Forget", require=name, danger=True,
    ))


async def which_wallet(node: Widget, names: list[str], current: str | None) -> str | None:
    return await node.app.push_screen_wait(ChoiceDialog("Which wallet?", [(n, n) for n in names], current=current))
