"""The Keys pane: your Nostr keys and your agents', and the vault's lock.

Every vault operation (scrypt takes a noticeable fraction of a second by
design) runs in a thread worker. Secrets appear on screen only when the user
asks for an nsec or ncryptsec export. The vault locks itself after
``[vault] lock_after_minutes`` without a key press.
"""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sovtui.errors import SovtuiError


class KeysPane(Vertical, can_focus=True):
    DEFAULT_CSS = """
    KeysPane { height: 1fr; padding: 0 1; }
    KeysPane #vault-state { height: 1; color: $text-muted; }
    KeysPane #vault-state.-unprotected { color: $warning; }
    KeysPane #keys-hint { height: auto; color: $text-muted; padding: 1 0; }
    KeysPane #keys-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("n", "new", "New key", id="keys.new"),
        Binding("i", "import_key", "Import", id="keys.import"),
        Binding("x", "export", "Export", id="keys.export"),
        Binding("d", "delete", "Delete", id="keys.delete"),
        Binding("c", "copy", "Copy npub", id="keys.copy", show=False),
        Binding("u", "unlock", "Unlock", id="keys.unlock"),
        Binding("l", "lock", "Lock", id="keys.lock", show=False),
    ]

    PALETTE = (
        ("Keys: new key", "Generate an owner or agent key pair", "new"),
        ("Keys: import key", "An nsec, hex or ncryptsec", "import_key"),
        ("Keys: export key", "npub, nprofile, nsec or ncryptsec", "export"),
        ("Keys: unlock the vault", "Enter your passphrase", "unlock"),
        ("Keys: lock the vault", "Forget the passphrase now", "lock"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="vault-state")
        yield Static("", id="keys-hint")
        table: DataTable[Any] = DataTable(id="keys-table", cursor_type="row")
        yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("label", "Label"), ("role", "Role"), ("npub", "npub"), ("created", "Created")):
            table.add_column(label, key=key)
        self.set_interval(30, self._idle_lock)

    def on_show(self) -> None:
        self.refresh_view()

    def on_focus(self) -> None:
        table = self.query_one(DataTable)
        if table.display and table.row_count:
            table.focus()

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.app.ctx  # type: ignore[attr-defined]

    @property
    def vault(self):  # type: ignore[no-untyped-def]
        return self.ctx.vault

    def store(self):  # type: ignore[no-untyped-def]
        from sovtui.identity.keys import KeyStore

        return KeyStore(self.vault)

    # --- view -------------------------------------------------------------------

    def refresh_view(self) -> None:
        state = self.query_one("#vault-state", Static)
        hint = self.query_one("#keys-hint", Static)
        table = self.query_one(DataTable)
        vault = self.vault
        try:
            exists = vault.exists
            protected = exists and vault.is_protected
        except SovtuiError as exc:
            state.update(str(exc))
            return
        state.set_class(exists and not protected, "-unprotected")
        if not exists:
            state.update("no vault yet")
            hint.update("Press n to create your first key: sovtui asks for a passphrase that encrypts every secret it keeps.")
        elif not vault.is_unlocked:
            state.update("vault locked" + ("" if protected else " (unprotected)"))
            hint.update("Press u and enter your passphrase to see and use your keys.")
        else:
            state.update("vault unlocked · l locks" if protected else "vault UNPROTECTED: keys in plain text (sovtui keys passwd adds a passphrase)")
            hint.update("")
        hint.display = bool(str(hint.render()))
        rows = self.store().list() if exists and vault.is_unlocked else []
        self.rows = rows
        table.clear()
        for info in rows:
            table.add_row(info.label, info.role, info.short_npub, info.created[:10], key=info.label)
        table.display = bool(rows)
        if not table.display and table.has_focus:
            self.focus()
        elif table.display and self.has_focus:
            table.focus()

    def selected(self):  # type: ignore[no-untyped-def]
        table = self.query_one(DataTable)
        if not self.rows or table.row_count == 0:
            return None
        return self.rows[table.cursor_row] if table.cursor_row < len(self.rows) else None

    # --- the lock -----------------------------------------------------------------

    def _idle_lock(self) -> None:
        minutes = self.ctx.config.vault.lock_after_minutes
        idle = time.monotonic() - getattr(self.app, "last_activity", time.monotonic())
        if minutes > 0 and self.vault.is_unlocked and idle >= minutes * 60:
            self.action_lock()
            self.notify("the vault locked itself after being idle", timeout=4)

    def action_lock(self) -> None:
        self.vault.lock()
        self.refresh_view()

    def action_unlock(self) -> None:
        from sovtui.ui.screens.dialogs import TextDialog

        if not self.vault.exists:
            self.action_new()
            return
        if self.vault.is_unlocked:
            return
        if not self.vault.is_protected:
            self._unlock(None)
            return
        self.app.push_screen(TextDialog("Vault passphrase", password=True), lambda p: p is not None and self._unlock(p))

    @work(thread=True, exclusive=True, group="vault")
    def _unlock(self, passphrase: str | None) -> None:
        try:
            self.vault.unlock(passphrase)
        except SovtuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.refresh_view)

    async def _ready(self) -> bool:
        """Make sure the vault exists and is open, asking what is needed."""
        from sovtui.ui.screens.dialogs import ConfirmDialog, TextDialog

        if self.vault.exists and self.vault.is_unlocked:
            return True
        if self.vault.exists:
            passphrase = await self.app.push_screen_wait(TextDialog("Vault passphrase", password=True)) if self.vault.is_protected else None
            if self.vault.is_protected and passphrase is None:
                return False
            return await self._run(lambda: self.vault.unlock(passphrase))
        first = await self.app.push_screen_wait(
            TextDialog("Choose a vault passphrase", password=True, body="It encrypts every key and secret sovtui keeps. It is never written down.")
        )
        if first is None:
            return False
        if first == "":
            unprotected = await self.app.push_screen_wait(
                ConfirmDialog("Keep keys without a passphrase?", "They would be stored in plain text (still readable only by you).", confirm_label="Unprotected", danger=True)
            )
            if not unprotected:
                return False
            return await self._run(lambda: self.vault.create(None))
        again = await self.app.push_screen_wait(TextDialog("The passphrase again", password=True))
        if again != first:
            self.notify("the two passphrases differ: nothing was created", severity="error")
            return False
        return await self._run(lambda: self.vault.create(first))

    async def _run(self, call: Any) -> bool:
        import asyncio

        try:
            await asyncio.to_thread(call)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return False
        return True

    # --- actions ------------------------------------------------------------------

    @work(exclusive=True, group="keys-action")
    async def action_new(self) -> None:
        from sovtui.ui.screens.dialogs import ChoiceDialog, TextDialog

        if not await self._ready():
            return
        label = await self.app.push_screen_wait(TextDialog("Label for the new key", placeholder="me"))
        if not label:
            return
        role = await self.app.push_screen_wait(ChoiceDialog("Whose key is it?", [("owner", "owner: you"), ("agent", "agent: an AI acting for you")], current="owner"))
        if not role:
            return
        if await self._run(lambda: self.store().generate(label.strip(), role)):
            self.notify(f"created {label.strip()}")
        self.refresh_view()

    @work(exclusive=True, group="keys-action")
    async def action_import_key(self) -> None:
        from sovtui.identity.keys import parse_secret
        from sovtui.ui.screens.dialogs import ChoiceDialog, TextDialog

        text = await self.app.push_screen_wait(TextDialog("Paste the nsec, hex or ncryptsec", password=True))
        if not text:
            return
        password = None
        if text.strip().lower().startswith("ncryptsec1"):
            password = await self.app.push_screen_wait(TextDialog("The ncryptsec's own password", password=True))
            if password is None:
                return
        if not await self._run(lambda: parse_secret(text, key_password=password)):
            return
        label = await self.app.push_screen_wait(TextDialog("Label for this key"))
        role = label and await self.app.push_screen_wait(ChoiceDialog("Whose key is it?", [("owner", "owner: you"), ("agent", "agent")], current="owner"))
        if not label or not role or not await self._ready():
            return
        if await self._run(lambda: self.store().import_key(label.strip(), text, role, key_password=password)):
            self.notify(f"imported {label.strip()}")
        self.refresh_view()

    @work(exclusive=True, group="keys-action")
    async def action_export(self) -> None:
        from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog

        info = self.selected()
        if info is None:
            return
        fmt = await self.app.push_screen_wait(
            ChoiceDialog(f"Export {info.label} as", [("npub", "npub (public)"), ("nprofile", "nprofile (public, with your relays)"), ("nsec", "nsec (SECRET)"), ("ncryptsec", "ncryptsec (secret, password-encrypted)")])
        )
        if not fmt:
            return
        password = None
        if fmt in ("nsec", "ncryptsec"):
            if not await self.app.push_screen_wait(ConfirmDialog(f"Show {info.label}'s secret key?", "Anyone who sees it can act as this key.", confirm_label="Show", danger=True)):
                return
        if fmt == "ncryptsec":
            password = await self.app.push_screen_wait(TextDialog("Password for the ncryptsec", password=True))
            if not password:
                return
        result: list[str] = []
        if await self._run(lambda: result.append(self.store().export(info.label, fmt, relays=self.ctx.config.nostr.relays, password=password))):
            self.app.copy_to_clipboard(result[0])
            await self.app.push_screen_wait(TextDialog(f"{info.label} as {fmt} (copied with OSC 52)", value=result[0]))

    def action_delete(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        info = self.selected()
        if info is None:
            return

        async def answered(yes: bool | None) -> None:
            if yes and await self._run(lambda: self.store().delete(info.label)):
                self.notify(f"deleted {info.label}")
            self.refresh_view()

        self.app.push_screen(
            ConfirmDialog(f"Delete {info.label} for good?", f"{info.npub}\nWithout a backup it cannot come back.", confirm_label="Delete", require=info.label, danger=True),
            answered,
        )

    def action_copy(self) -> None:
        info = self.selected()
        if info is not None:
            self.app.copy_to_clipboard(info.npub)
            self.notify("npub copied (OSC 52)", timeout=2)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from sovtui.ui.screens.key_details import KeyDetailsScreen

        event.stop()
        info = self.selected()
        if info is not None:
            self.app.push_screen(KeyDetailsScreen(info.label, info.role, info.npub, info.created))
