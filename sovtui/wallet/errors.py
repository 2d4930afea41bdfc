"""What can go wrong with a wallet, each as one line a user can act on."""

from __future__ import annotations

from sovtui.errors import SovtuiError


class WalletError(SovtuiError):
    """A wallet problem with a plain message."""


class NwcUriError(WalletError):
    """A connection URI that cannot be used, and why."""


class WalletTimeout(WalletError):
    """The wallet did not answer in time. For a payment, its outcome is unknown."""


class WalletRequestError(WalletError):
    """The wallet service answered with a NIP-47 error."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.detail = message
        super().__init__(describe_error(code, message))


class BudgetExceeded(WalletError):
    """A payment that would pass the user's own spending budget."""


class InvoiceRefused(WalletError):
    """An invoice we will not pay: expired, already paid, wrong network, no amount."""


#: NIP-47 error codes as a user should read them.
ERROR_MESSAGES = {
    "RATE_LIMITED": "the wallet is rate limiting requests; wait a few seconds and try again",
    "NOT_IMPLEMENTED": "the wallet does not offer this",
    "INSUFFICIENT_BALANCE": "not enough funds in the wallet for this amount and its fees",
    "QUOTA_EXCEEDED": "the wallet's own spending limit for this connection is reached",
    "RESTRICTED": "this connection is not allowed to do that; change its permissions in your wallet",
    "UNAUTHORIZED": "the wallet does not know this connection; it may have been revoked: connect again",
    "INTERNAL": "the wallet reported an internal error",
    "UNSUPPORTED_ENCRYPTION": "the wallet does not accept the encryption used",
    "PAYMENT_FAILED": "the payment failed (no route, timeout or not enough capacity); nothing was spent",
    "NOT_FOUND": "the wallet has no such invoice or payment",
    "OTHER": "the wallet reported an error",
}


def describe_error(code: str, message: str) -> str:
    plain = ERROR_MESSAGES.get(code, f"the wallet reported an error ({code})")
    detail = (message or "").strip().splitlines()[0][:160] if message else ""
    return f"{plain}: {detail}" if detail and detail.lower() not in plain.lower() else plain
