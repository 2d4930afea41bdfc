"""What can go wrong with a wallet, each as one line a user can act on."""

from __future__ import annotations

from sovtui.errors import SovtuiError, UsageError
from sovtui.text import safe_line, valid_text


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
        lines = safe_text_lines(message)
        self.detail = lines[0][:160] if lines else ""
        super().__init__(describe_error(code, message))


class BudgetExceeded(WalletError):
    """A payment that would pass the user's own spending budget."""


class InvoiceRefused(WalletError):
    """An invoice we will not pay: expired, already paid, wrong network, no amount."""


class InvoiceAlreadyPaid(InvoiceRefused):
    """An invoice our ledger has paid, or whose payment is still pending: it is never paid twice."""


class InvoiceNeedsAmount(InvoiceRefused):
    """An invoice without an amount, and none was given: a front end may ask for one and try again."""


class WalletNameRefused(WalletError, UsageError):
    """A name a new wallet cannot take: not a valid name, or one already connected."""


#: NIP-47 error codes after which a payment surely did not happen. Any other
#: code (INTERNAL, OTHER, one we do not know) leaves its outcome unknown: the
#: payment stays pending and is looked up, never marked failed on that word.
NOT_PAID_CODES = frozenset({
    "PAYMENT_FAILED", "INSUFFICIENT_BALANCE", "QUOTA_EXCEEDED", "RESTRICTED", "UNAUTHORIZED",
    "NOT_IMPLEMENTED", "RATE_LIMITED", "UNSUPPORTED_ENCRYPTION",
})


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
    """One line a person can read: our words for the code, then the wallet's own (made safe to show)."""
    code = code if isinstance(code, str) else str(code)
    plain = ERROR_MESSAGES.get(code) or f"the wallet reported an error ({safe_line(valid_text(code)).strip()[:40] or 'no code'})"
    lines = safe_text_lines(message)
    detail = lines[0][:160] if lines else ""
    return f"{plain}: {detail}" if detail and detail.lower() not in plain.lower() else plain


def safe_text_lines(message: object) -> list[str]:
    """The non-blank lines of a wallet's message, each safe to show; [] for none or a non-string."""
    if not isinstance(message, str):
        return []
    return [line for line in (safe_line(part).strip() for part in valid_text(message).splitlines()) if line]


