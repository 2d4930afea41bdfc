"""Open the vault from any screen: ask for the passphrase, or create the vault.

Panes that need a secret (keys, wallet connections) call ``ensure_open``
from an async worker. What the vault needs (``identity.access.opening``) and
what a new passphrase may be (``identity.access.check_new_passphrase``) are
the service's rules; this module only asks in dialogs and shows a refusal.
scrypt runs off the event loop (``ui.work``), so the screen keeps drawing
while a passphrase is checked. An unlocked vault whose passphrase another
sovtui changed since is asked for again: nothing is ever written under the
old passphrase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.widget import Widget

from sovtui.ui.work import attempt, succeeds

if TYPE_CHECKING:
    from sovtui.identity.vault import Vault


@dataclass(frozen=True)
class NewPassphrase:
    """What the user chose: a passphrase typed twice, or None for an unprotected vault (confirmed as such)."""

    passphrase: str | None
    again: str | None = None


async def ask_new_passphrase(node: Widget, title: str, body: str, *, unprotected: str, again_title: str) -> NewPassphrase | None:
    """Ask for a new passphrase twice; an empty one asks to confirm plain text. None if the user backs out.

    Whether the two agree is the service's to say (``check_new_passphrase``),
    when the vault is created or re-keyed with them.
    """
    from sovtui.ui.screens.dialogs import ConfirmDialog, TextDialog

    app = node.app
    first = await app.push_screen_wait(TextDialog(title, password=True, body=body))
    if first is None:
        return None
    if first == "":
        confirmed = await app.push_screen_wait(
            ConfirmDialog(unprotected, "Secrets would be kept in plain text (still readable only by you).", confirm_label="Unprotected", danger=True)
        )
        return NewPassphrase(None) if confirmed else None
    again = await app.push_screen_wait(TextDialog(again_title, password=True))
    return None if again is None else NewPassphrase(first, again)


async def ensure_open(where: Widget | App[Any], vault: Vault, *, create: bool = True) -> bool:
    """True once the vault is unlocked, asking what is needed; False if the user backs out or it fails (shown)."""
    from sovtui.identity.access import Opening, open_or_create, opening
    from sovtui.ui.screens.dialogs import TextDialog

    node = where.screen if isinstance(where, App) else where
    app = node.app
    needs = await attempt(node, lambda: opening(vault))
    if needs is None:
        return False
    if needs is Opening.OPEN:
        return True
    if needs is Opening.UNPROTECTED:
        return await succeeds(node, lambda: vault.unlock(None))
    if needs is not Opening.NO_VAULT:
        # Re-keyed by another sovtui: it locked itself; ask again, never write under the old key.
        title = "Vault passphrase" + (" (changed by another sovtui)" if needs is Opening.PASSPHRASE_CHANGED else "")
        passphrase = await app.push_screen_wait(TextDialog(title, password=True))
        if passphrase is None:
            return False
        return await succeeds(node, lambda: vault.unlock(passphrase))
    if not create:
        return False
    chosen = await ask_new_passphrase(
        node,
        "Choose a vault passphrase",
        "It encrypts every key and secret sovtui keeps. It is never written down.",
        unprotected="Keep secrets without a passphrase?",
        again_title="The passphrase again",
    )
    if chosen is None:
        return False
    return await succeeds(node, lambda: open_or_create(vault, chosen.passphrase, again=chosen.again))
