"""Open the vault from any screen: ask for the passphrase, or create the vault.

Panes that need a secret (keys, wallet connections) call ``ensure_open``
from an async worker. scrypt runs in a thread, so the screen keeps drawing
while the passphrase is checked. An unlocked vault whose passphrase another
sovtui changed since is asked for again (``Vault.still_current``): nothing
is ever written under the old passphrase.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App

from sovtui.errors import SovtuiError


async def run_in_thread(app: App[Any], call: Callable[[], Any]) -> bool:
    """Run ``call`` in a thread; a SovtuiError becomes a notification and False."""
    try:
        await asyncio.to_thread(call)
    except SovtuiError as exc:
        app.notify(str(exc), severity="error")
        return False
    return True


async def ensure_open(app: App[Any], vault: Any, *, create: bool = True) -> bool:
    """True once the vault is unlocked, asking what is needed; False if the user backs out."""
    from sovtui.ui.screens.dialogs import ConfirmDialog, TextDialog

    title = "Vault passphrase"
    try:
        if vault.exists and vault.is_unlocked:
            if vault.still_current():
                return True
            # Another sovtui re-keyed the vault: it locked itself; ask again, never write under the old key.
            title = "Vault passphrase (changed by another sovtui)"
        protected = vault.exists and vault.is_protected
    except SovtuiError as exc:
        app.notify(str(exc), severity="error")
        return False
    if vault.exists:
        if not protected:
            return await run_in_thread(app, lambda: vault.unlock(None))
        passphrase = await app.push_screen_wait(TextDialog(title, password=True))
        if passphrase is None:
            return False
        return await run_in_thread(app, lambda: vault.unlock(passphrase))
    if not create:
        return False
    first = await app.push_screen_wait(
        TextDialog("Choose a vault passphrase", password=True, body="It encrypts every key and secret sovtui keeps. It is never written down.")
    )
    if first is None:
        return False
    if first == "":
        unprotected = await app.push_screen_wait(
            ConfirmDialog("Keep secrets without a passphrase?", "They would be stored in plain text (still readable only by you).", confirm_label="Unprotected", danger=True)
        )
        if not unprotected:
            return False
        return await run_in_thread(app, lambda: vault.create(None))
    again = await app.push_screen_wait(TextDialog("The passphrase again", password=True))
    if again != first:
        app.notify("the two passphrases differ: nothing was created", severity="error")
        return False
    return await run_in_thread(app, lambda: vault.create(first))
