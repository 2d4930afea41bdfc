"""What the Keys pane asks before it calls a service: the dialogs of each action, in order.

Each function asks, and gives back the answers, or None when the user backs
out; none of them decides anything (a label, a passphrase, a password is
checked by the service the pane then calls). They run inside the pane's
workers, since a dialog is waited for.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.widget import Widget

from sovtui.identity.keys import KeyInfo
from sovtui.ui.vault_gate import NewPassphrase, ask_new_passphrase

ROLES = [("owner", "owner: you"), ("agent", "agent: an AI acting for you")]
EXPORTS = [
    ("npub", "npub (public)"),
    ("nprofile", "nprofile (public, with your relays)"),
    ("nsec", "nsec (SECRET)"),
    ("ncryptsec", "ncryptsec (secret, password-encrypted)"),
]


@dataclass(frozen=True)
class Secret:
    """A key pasted to import, and the ncryptsec's own password when it is one."""

    text: str
    password: str | None = None


@dataclass(frozen=True)
class Export:
    format: str
    password: str | None = None


async def label_and_role(node: Widget, title: str, *, value: str = "") -> tuple[str, str] | None:
    """The label (``value`` filled in and selected: enter takes it, typing replaces it) and whose key it is.

    A blank label is handed on without asking whose key it is: the service
    refuses it in its own words (before, it was taken for a cancel, silently).
    """
    from sovtui.ui.screens.dialogs import ChoiceDialog, TextDialog

    label = await node.app.push_screen_wait(TextDialog(title, value=value))
    if label is None:
        return None
    if not label.strip():
        return ("", "owner")
    role = await node.app.push_screen_wait(ChoiceDialog("Whose key is it?", ROLES, current="owner"))
    return (label.strip(), role) if role else None


async def secret_to_import(node: Widget) -> Secret | None:
    from sovtui.identity.keys import needs_key_password
    from sovtui.ui.screens.dialogs import TextDialog

    text = await node.app.push_screen_wait(TextDialog("Paste the nsec, hex, ncryptsec or seed phrase", password=True))
    if not text:
        return None
    if not needs_key_password(text):
        return Secret(text)
    password = await node.app.push_screen_wait(TextDialog("The ncryptsec's own password", password=True))
    return None if password is None else Secret(text, password)


async def export_of(node: Widget, info: KeyInfo) -> Export | None:
    """The format, a secret one only once the user says to show it, and an ncryptsec's password."""
    from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog

    app = node.app
    fmt = await app.push_screen_wait(ChoiceDialog(f"Export {info.label} as", EXPORTS))
    if not fmt:
        return None
    if fmt in ("nsec", "ncryptsec"):
        if not await app.push_screen_wait(ConfirmDialog(f"Show {info.label}'s secret key?", "Anyone who sees it can act as this key.", confirm_label="Show", danger=True)):
            return None
    if fmt != "ncryptsec":
        return Export(fmt)
    password = await app.push_screen_wait(TextDialog("Password for the ncryptsec", password=True))
    return Export(fmt, password) if password else None


async def deletion_of(node: Widget, info: KeyInfo) -> str | None:
    """The label typed again to delete ``info`` (the dialog takes nothing else), or None."""
    from sovtui.ui.screens.dialogs import ConfirmDialog

    confirmed = await node.app.push_screen_wait(
        ConfirmDialog(f"Delete {info.label} for good?", f"{info.npub}\nWithout a backup it cannot come back.", confirm_label="Delete", require=info.label, danger=True)
    )
    return info.label if confirmed else None


async def note_to_sign(node: Widget, info: KeyInfo) -> str | None:
    from sovtui.ui.screens.dialogs import TextDialog

    body = "A Nostr note (kind 1) signed with this key. It is shown to you, not published."
    return await node.app.push_screen_wait(TextDialog(f"Text to sign as {info.label}", body=body))


async def event_to_verify(node: Widget) -> str | None:
    from sovtui.ui.screens.dialogs import PasteDialog

    body = "sovtui checks its id and signature and tells you who signed it."
    return await node.app.push_screen_wait(PasteDialog("Paste a signed event (JSON)", body=body))


async def passphrase_change(node: Widget, *, protected: bool) -> tuple[str | None, NewPassphrase] | None:
    """The current passphrase (None for an unprotected vault) and the new one."""
    from sovtui.ui.screens.dialogs import TextDialog

    old = None
    if protected:
        old = await node.app.push_screen_wait(TextDialog("Current passphrase", password=True))
        if old is None:
            return None
    body = "Every key and secret is re-encrypted at once; a crash midway leaves the old passphrase working."
    new = await ask_new_passphrase(node, "New passphrase", body, unprotected="Remove the passphrase?", again_title="The new passphrase again")
    return None if new is None else (old, new)
