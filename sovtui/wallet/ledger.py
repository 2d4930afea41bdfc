"""Our own record of every payment we started, and the budget it counts against.

The ledger is written *before* a payment request leaves the machine, so a
crash or a timeout can never leave a payment we forgot: it stays ``pending``
until the wallet tells us how it ended. The same file is what the spending
guard counts, so the budget holds even when the wallet enforces none, and
what stops the same invoice from being paid twice.

The budget is checked in :meth:`Ledger.begin`, under the same lock as the
write that records the payment as pending: two processes paying at once
cannot both pass a budget that only one payment fits (the check and the
record are one step).

One JSON file per wallet in the state folder, replaced atomically under a
lock; a file we cannot parse is reported and left as it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sovtui.files import atomic_write, locked
from sovtui.wallet.errors import InvoiceAlreadyPaid, WalletError

PENDING, SETTLED, FAILED = "pending", "settled", "failed"
#: The wallet says it paid, but the preimage it gave does not hash to the
#: payment hash: no proof of payment. Counted like a paid one, never paid again.
UNPROVED = "unproved"


def proves(preimage: str, payment_hash: str) -> bool:
    """True when ``preimage`` is the proof of payment for ``payment_hash``: sha256(preimage) == hash."""
    if not isinstance(preimage, str) or len(preimage) != 64:
        return False
    try:
        return hashlib.sha256(bytes.fromhex(preimage)).hexdigest() == payment_hash.lower()
    except ValueError:
        return False


@dataclass
class Payment:
    payment_hash: str
    invoice: str
    amount_msat: int
    #: What is kept back from the budget for routing fees while the payment is
    #: pending, and counted when a settled payment's fee is not reported.
    #: NIP-47 carries no fee limit: this is our reserve, not the wallet's cap.
    fee_reserve_msat: int
    description: str = ""
    state: str = PENDING
    created_at: int = 0
    settled_at: int | None = None
    fees_paid_msat: int | None = 0  # None: the wallet did not report a usable fee
    preimage: str = ""
    error: str = ""
    #: When the invoice expires and when our request stops being valid
    #: (its expiration tag, with room for clock skew): past both, a payment
    #: the wallet has no record of can no longer happen.
    expires_at: int = 0
    resolve_after: int = 0
    #: The agent key (hex public key) that made this payment; empty: its owner.
    #: An agent's spend against its credential is the sum of its own entries.
    agent: str = ""

    @property
    def proved(self) -> bool:
        return proves(self.preimage, self.payment_hash)

    @property
    def counted_msat(self) -> int:
        """What this payment takes from the budget.

        Failed: nothing. Pending: the amount and the fee reserve. Paid (proved
        or not): the amount and the fee the wallet reported, or the reserve
        when it reported none. Negative figures (a damaged or hostile record)
        count as zero, never as a refund.
        """
        amount, reserve = max(0, self.amount_msat), max(0, self.fee_reserve_msat)
        if self.state == FAILED:
            return 0
        if self.state in (SETTLED, UNPROVED):
            fees = self.fees_paid_msat
            return amount + (fees if isinstance(fees, int) and fees >= 0 else reserve)
        return amount + reserve


_ORDER = tuple(f.name for f in fields(Payment))
_FIELDS = set(_ORDER)


def _payment(item: dict[str, Any]) -> Payment:
    item = dict(item)
    if "fee_limit_msat" in item:  # written before the fee limit was called a reserve
        item.setdefault("fee_reserve_msat", item.pop("fee_limit_msat"))
    return Payment(**{k: v for k, v in item.items() if k in _FIELDS})


def spent_msat(payments: list[Payment], period: str, now: float | None = None) -> int:
    since = period_start(period, now)
    return sum(p.counted_msat for p in payments if p.created_at >= since)


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
            return [_payment(item) for item in data["payments"]]
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise WalletError(f"cannot read the payment log {self.path} ({exc}); it is kept as it is — fix or move it") from None

    def find(self, payment_hash: str) -> Payment | None:
        return next((p for p in self.payments() if p.payment_hash == payment_hash), None)

    def spent_msat(self, period: str, now: float | None = None) -> int:
        return spent_msat(self.payments(), period, now)

    def begin(self, payment: Payment, *, check: Callable[[list[Payment]], None] | None = None) -> Payment:
        """Record a payment as pending; refuse one whose invoice was already paid or is in flight.

        ``check`` runs under the lock with the payments as they are on disk
        now, before the new one is written: the budget check goes there, so
        no other process can record a payment between the check and ours.
        """
        with locked(self.path):
            payments = self.payments()
            for existing in payments:
                if existing.payment_hash == payment.payment_hash and existing.state != FAILED:
                    raise InvoiceAlreadyPaid(already(existing))
            if check is not None:
                check(payments)
            payment.created_at = payment.created_at or int(time.time())
            payments = [p for p in payments if p.payment_hash != payment.payment_hash] + [payment]
            self._write(payments)
        return payment

    def finish(self, payment_hash: str, *, only_from: Collection[str] | None = None, **changes: Any) -> Payment:
        """Change a payment under the lock; with ``only_from``, only if its state (read under the lock) is one of those."""
        with locked(self.path):
            payments = self.payments()
            for payment in payments:
                if payment.payment_hash == payment_hash:
                    if only_from is not None and payment.state not in only_from:
                        return payment
                    for key, value in changes.items():
                        setattr(payment, key, value)
                    self._write(payments)
                    return payment
        raise WalletError(f"no payment {payment_hash} in the log")

    def _write(self, payments: list[Payment]) -> None:  # under the lock
        # One payment per line: easy to read and to diff, and each line is written
        # by json's C encoder (``indent`` would use the slow pure-Python one, over
        # the whole log, on every payment's two writes).
        lines = ",\n".join(json.dumps({name: getattr(p, name) for name in _ORDER}) for p in payments)
        text = f'{{"version": 1, "payments": [\n{lines}\n]}}\n' if payments else '{"version": 1, "payments": []}\n'
        atomic_write(self.path, text.encode("utf-8"))


def already(existing: Payment) -> str:
    """Why an invoice with this record in the ledger is not paid again."""
    if existing.state == SETTLED:
        return "this invoice is already paid (see 'sovtui wallet history'); it will not be paid twice"
    if existing.state == UNPROVED:
        return ("the wallet reported this invoice paid, with no proof (its preimage does not match): "
                "check with your wallet or the payee; it will not be paid again")
    return ("a payment of this invoice is still pending; check it with "
            f"'sovtui wallet lookup {existing.payment_hash}' before trying again")
