"""Our own record of every payment we started, and the budget it counts against.

The ledger is written *before* a payment request leaves the machine, so a
crash or a timeout can never leave a payment we forgot: it stays ``pending``
until the wallet tells us how it ended. The same file is what the spending
guard counts, so the budget holds even when the wallet enforces none, and
what stops the same invoice from being paid twice.

One JSON file per wallet in the state folder, replaced atomically under a
lock; a file we cannot parse is reported and left as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sovtui.files import atomic_write, locked
from sovtui.wallet.errors import WalletError

PENDING, SETTLED, FAILED = "pending", "settled", "failed"


@dataclass
class Payment:
    payment_hash: str
    invoice: str
    amount_msat: int
    fee_limit_msat: int
    description: str = ""
    state: str = PENDING
    created_at: int = 0
    settled_at: int | None = None
    fees_paid_msat: int = 0
    preimage: str = ""
    error: str = ""

    @property
    def counted_msat(self) -> int:
        """What this payment takes from the budget: the fee actually paid, else the limit reserved."""
        if self.state == FAILED:
            return 0
        if self.state == SETTLED:
            return self.amount_msat + self.fees_paid_msat
        return self.amount_msat + self.fee_limit_msat


def period_start(period: str, now: float | None = None) -> float:
    """Start of the current calendar day, week (Monday) or month, local time."""
    today = dt.datetime.fromtimestamp(now if now is not None else time.time()).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        today -= dt.timedelta(days=today.weekday())
    elif period == "month":
        today = today.replace(day=1)
    elif period != "day":
        raise WalletError(f"unknown budget period {period!r} (day, week or month)")
    return today.timestamp()


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path

    def payments(self) -> list[Payment]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [Payment(**item) for item in data["payments"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise WalletError(f"cannot read the payment log {self.path} ({exc}); it is kept as it is — fix or move it") from None

    def find(self, payment_hash: str) -> Payment | None:
        return next((p for p in self.payments() if p.payment_hash == payment_hash), None)

    def spent_msat(self, period: str, now: float | None = None) -> int:
        since = period_start(period, now)
        return sum(p.counted_msat for p in self.payments() if p.created_at >= since)

    def begin(self, payment: Payment) -> Payment:
        """Record a payment as pending; refuse one whose invoice was already paid or is in flight."""
        with locked(self.path):
            payments = self.payments()
            for existing in payments:
                if existing.payment_hash == payment.payment_hash and existing.state != FAILED:
                    if existing.state == SETTLED:
                        raise WalletError("this invoice is already paid (see 'sovtui wallet history'); it will not be paid twice")
                    raise WalletError(
                        "a payment of this invoice is still pending; check it with "
                        f"'sovtui wallet lookup {payment.payment_hash}' before trying again"
                    )
            payment.created_at = payment.created_at or int(time.time())
            payments = [p for p in payments if p.payment_hash != payment.payment_hash] + [payment]
            self._write(payments)
        return payment

    def finish(self, payment_hash: str, **changes: Any) -> Payment:
        with locked(self.path):
            payments = self.payments()
            for payment in payments:
                if payment.payment_hash == payment_hash:
                    for key, value in changes.items():
                        setattr(payment, key, value)
                    self._write(payments)
                    return payment
        raise WalletError(f"no payment {payment_hash} in the log")

    def _write(self, payments: list[Payment]) -> None:
        data = {"version": 1, "payments": [asdict(p) for p in payments]}
        atomic_write(self.path, json.dumps(data, indent=1).encode("utf-8"))
