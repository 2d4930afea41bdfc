"""Amounts as people type them."""

from __future__ import annotations

from sovtui.errors import UsageError


def parse_sats(text: str, what: str = "amount", *, empty: int | None = None) -> int:
    """A whole number of sats typed as 10000, 10,000 or 10_000.

    ``empty`` is what a blank answer means (None: blank is an error). The error
    names ``what`` ("budget", "limit" …) so the one-line message says which
    field was wrong.
    """
    cleaned = text.replace(",", "").replace("_", "").strip()
    if not cleaned and empty is not None:
        return empty
    try:
        value = int(cleaned)
    except ValueError:
        value = -1
    if value < 0:
        raise UsageError(f"the {what} is a whole number of sats")
    return value
