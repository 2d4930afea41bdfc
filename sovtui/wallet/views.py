"""What a person reads about a wallet: the same words in the CLI and the TUI.

A wallet's name for itself, its details, a row of the history, the details
of one transaction, an amount: each is written here once, and the CLI
prints it while the Wallet pane puts it in a table or a dialog. Everything
that came from the wallet or an invoice (alias, network, states,
descriptions, preimages) passes through ``sovtui.text.safe_line`` here, so
neither front end can forget to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovtui.text import safe_line
from sovtui.wallet.ledger import proves

if TYPE_CHECKING:
    from sovtui.wallet.nwc import Transaction, WalletInfo

#: The history's columns, in the order ``history_row`` gives them.
HISTORY_COLUMNS = ("When", "Dir", "Sats", "State", "Description")


def format_time(timestamp: float | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A local time to show; a time too far out for the platform reads as such instead of crashing."""
    import time

    if timestamp is None:
        return "—"
    try:
        return time.strftime(pattern, time.localtime(timestamp))
    except (OverflowError, OSError, ValueError):
        return "far in the future" if timestamp > 0 else "unknown"


def sats(msat: int) -> str:
    """An amount in msats as a person reads it: whole sats, with thousands separators."""
    return f"{msat // 1000:,} sats"


def wallet_line(info: WalletInfo) -> str:
    """Which wallet answered: "Alby Hub on bitcoin"."""
    return f"{safe_line(info.alias) or 'wallet'} on {safe_line(info.network) or 'an unknown network'}"


def info_rows(info: WalletInfo, encryption: str) -> list[tuple[str, str]]:
    """The wallet's details as (label, value): ``sovtui wallet info`` and the pane's info dialog."""
    return [
        ("alias", safe_line(info.alias) or "—"),
        ("network", safe_line(info.network) or "—"),
        ("encryption", encryption),
        ("methods", safe_line(" ".join(info.methods)) or "—"),
        ("notifications", safe_line(" ".join(info.notifications)) or "—"),
    ]


def wallet_details(relays: list[str], wallet_pubkey: str, info: WalletInfo | None, encryption: str) -> list[str]:
    """A connected wallet's details, a line each: what it said (if it was reached) and where it is."""
    said = [f"{label}: {value}" for label, value in info_rows(info, encryption)] if info else ["(press g to ask the wallet for its details)"]
    return [*said, f"relays: {safe_line(', '.join(relays))}", f"wallet pubkey: {safe_line(wallet_pubkey)}"]


def direction(tx: Transaction) -> str:
    return "in" if tx.type == "incoming" else "out"


def history_row(tx: Transaction, *, time_pattern: str = "%Y-%m-%d %H:%M", width: int = 60) -> tuple[str, str, str, str, str]:
    """One line of the history, in ``HISTORY_COLUMNS`` order; ``width`` bounds the description."""
    sign = "+" if tx.type == "incoming" else "−"
    return (
        format_time(tx.created_at or None, time_pattern),
        direction(tx),
        f"{sign}{tx.amount_sat:,}",
        safe_line(tx.state)[:12],
        safe_line(tx.description)[:width],
    )


def transaction_line(tx: Transaction) -> str:
    """One transaction in one line, as ``sovtui wallet lookup`` prints it."""
    way = "incoming" if tx.type == "incoming" else "outgoing"
    fee = f", fee {tx.fees_paid_sat:,} sats" if tx.fees_paid_msat else ""
    about = f" — {safe_line(tx.description)}" if tx.description else ""
    return f"{safe_line(tx.state)}: {way} {tx.amount_sat:,} sats{fee}{about}"


def transaction_details(tx: Transaction) -> list[str]:
    """Everything known about one transaction, a line each (blank facts left out).

    The preimage is called a proof only when it hashes to the payment hash.
    """
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
    return [line for line in lines if line]
