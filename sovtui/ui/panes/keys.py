"""The Keys pane: your Nostr keys and your agents', and the vault's lock.

Every vault operation (scrypt takes a noticeable fraction of a second by
design) runs in a thread worker. Secrets appear on screen only when the user
asks for an nsec or ncryptsec export, and reach the clipboard only when the
user then presses c. The vault locks itself after
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
from sovtui.ui.messages import SovereigntyChanged
from sovtui.ui.vault_gate import ensure_open, run_in_thread


class KeysPane(Vertical, can_focus=True):
    DEFAULT_CSS = """
    KeysPane { height: 1fr; padding: 0 1; }
    KeysPane #vault-state { height: 1; color: $text-muted; }
    KeysPane #vault-state.-unprotected { color: $warning; }
    KeysPane #keys-hint { height: auto; color: $text-muted; padding: 1 0; }
    KeysPane #keys-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("n", "new", "New", id="keys.new"),
        Binding("i", "import_key", "Import", id="keys.import"),
        Binding("x", "export", "Export", id="keys.export", show=False),  # rare; in the palette, and 80 columns are full
        Binding("d", "delete", "Delete", id="keys.delete"),
        Binding("c", "copy", "Copy npub", id="keys.copy", show=False),
        Binding("s", "sign", "Sign", id="keys.sign"),
        Binding("v", "verify", "Verify", id="keys.verify", show=False),
        Binding("a", "credentials", "Agents", tooltip="Agent credentials: issue, verify, revoke", id="keys.credentials"),
        Binding("p", "passphrase", "Passphrase", id="keys.passphrase", show=False),
        Binding("u", "unlock", "Unlock", id="keys.unlock"),
        Binding("l", "lock", "Lock", id="keys.lock", show=False),
    ]

    PALETTE = (
        ("Keys: new key", "Generate an owner or agent key pair", "new"),
        ("Keys: import key", "An nsec, hex, ncryptsec or NIP-06 seed phrase", "import_key"),
        ("Keys: sign a note", "A signed Nostr event from the selected key (not published)", "sign"),
        ("Keys: verify a signed event", "Paste event JSON: who signed it, and is it intact", "verify"),
        ("Keys: agent credentials", "Issue, list and revoke spending credentials for your agents", "credentials"),
        ("Keys: change the passphrase", "Re-encrypt every secret under a new passphrase", "passphrase"),
        ("Keys: export key", "npub, nprofile, nsec or ncryptsec", "export"),
        ("Keys: unlock the vault", "Enter your passphrase", "unlock"),
        ("Keys: lock the vault", "Forget the passphrase now", "lock"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[Any] = []
        #: (exists, protected) as last read by refresh_view: the footer asks often, the file is read once.
        self._vault_state = (False, False)

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

    #: Actions that need a key selected, hidden from the footer until there is one.
    _NEED_A_KEY = frozenset({"export", "delete", "sign", "copy"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show in the footer only what can be done now: at 80 columns every slot counts."""
        exists, protected = self._vault_state
        if action == "unlock":
            return exists and not self.vault.is_unlocked
        if action == "lock":
            return protected and self.vault.is_unlocked
        if action in self._NEED_A_KEY:
            return bool(self.rows)
        return True

    # --- view -------------------------------------------------------------------

    def refresh_view(self) -> None:
        from sovtui.identity.vault import VaultChanged

        state = self.query_one("#vault-state", Static)
        hint = self.query_one("#keys-hint", Static)
        table = self.query_one(DataTable)
        vault = self.vault
        rows: list[Any] = []
        problem = ""
        try:
            exists = vault.exists
            protected = exists and vault.is_protected
            # Read now, as the file is now: a key made in another shell shows; a vault re-keyed there locks.
            rows = self.store().list() if exists and vault.is_unlocked else []
        except VaultChanged as exc:  # re-keyed in another shell: the vault locked itself
            exists, protected, problem = True, True, str(exc)
        except SovtuiError as exc:  # damaged, or an entry refused: say so, show nothing
            self.rows = []
            table.clear()
            table.display = False
            state.update(str(exc))
            hint.display = False
            self.refresh_bindings()
            return
        self._vault_state = (exists, protected)
        state.set_class(exists and not protected, "-unprotected")
        if not exists:
            state.update("no vault yet")
            hint.update("Press n to create your first key: sovtui asks for a passphrase that encrypts every secret it keeps.")
        elif not vault.is_unlocked:
            state.update("vault locked" + ("" if protected else " (unprotected)"))
            hint.update((f"{problem}. " if problem else "") + "Press u and enter your passphrase to see and use your keys.")
        else:
            state.update("vault unlocked · l locks" if protected else "vault UNPROTECTED: keys in plain text (sovtui keys passwd adds a passphrase)")
            hint.update("")
        hint.display = bool(str(hint.render()))
        self.rows = rows
        table.clear()
        for info in rows:
            table.add_row(info.label, info.role, info.short_npub, info.created[:10], key=info.label)
        table.display = bool(rows)
        self.refresh_bindings()
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
        return await ensure_open(self.app, self.vault)

    async def _run(self, call: Any) -> bool:
        return await run_in_thread(self.app, call)

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
            self.post_message(SovereigntyChanged())
        self.refresh_view()

    @work(exclusive=True, group="keys-action")
    async def action_import_key(self) -> None:
        from sovtui.identity.keys import parse_secret
        from sovtui.ui.screens.dialogs import ChoiceDialog, TextDialog

        text = await self.app.push_screen_wait(TextDialog("Paste the nsec, hex, ncryptsec or seed phrase", password=True))
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
            self.post_message(SovereigntyChanged())
        self.refresh_view()

    @work(exclusive=True, group="keys-action")
    async def action_export(self) -> None:
        from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
        from sovtui.ui.screens.text_view import TextViewScreen

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
            # Shown, never copied unasked: c in the view copies it (OSC 52), a choice the user makes.
            summary = "SECRET: anyone who has it can act as this key." if fmt == "nsec" else ""
            await self.app.push_screen_wait(TextViewScreen(f"{info.label} as {fmt}", result[0], summary=summary))

    def action_delete(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        info = self.selected()
        if info is None:
            return

        async def answered(yes: bool | None) -> None:
            if yes and await self._run(lambda: self.store().delete(info.label)):
                self.notify(f"deleted {info.label}")
                self.post_message(SovereigntyChanged())
            self.refresh_view()

        self.app.push_screen(
            ConfirmDialog(f"Delete {info.label} for good?", f"{info.npub}\nWithout a backup it cannot come back.", confirm_label="Delete", require=info.label, danger=True),
            answered,
        )

    @work(exclusive=True, group="keys-action")
    async def action_sign(self) -> None:
        from sovtui.ui.screens.dialogs import TextDialog
        from sovtui.ui.screens.text_view import TextViewScreen, event_json

        info = self.selected()
        if info is None:
            self.notify("select a key to sign with", severity="warning")
            return
        text = await self.app.push_screen_wait(TextDialog(f"Text to sign as {info.label}", body="A Nostr note (kind 1) signed with this key. It is shown to you, not published."))
        if not text:
            return
        signed: list[dict[str, Any]] = []
        if await self._run(lambda: signed.append(self.store().sign(info.label, text))):
            await self.app.push_screen_wait(TextViewScreen(f"Signed by {info.label}", event_json(signed[0]), summary=info.npub))

    @work(exclusive=True, group="keys-action")
    async def action_verify(self) -> None:
        from sovtui.identity import nip19
        from sovtui.identity.keys import verify_event
        from sovtui.ui.screens.dialogs import PasteDialog

        text = await self.app.push_screen_wait(PasteDialog("Paste a signed event (JSON)", body="sovtui checks its id and signature and tells you who signed it."))
        if not text:
            return
        try:
            signer = verify_event(text)
        except SovtuiError as exc:
            self.notify(f"not valid: {exc}", severity="error", timeout=6)
            return
        ours = next((k.label for k in self.rows if k.pubkey == signer), None)
        self.notify(f"valid: signed by {nip19.hex_to_npub(signer)}" + (f" ({ours}, one of your keys)" if ours else ""), timeout=8)

    def action_credentials(self) -> None:
        from sovtui.ui.screens.credentials import CredentialsScreen

        self.app.push_screen(CredentialsScreen(), lambda _: self.refresh_view())

    @work(exclusive=True, group="keys-action")
    async def action_passphrase(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog, TextDialog

        vault = self.vault
        if not vault.exists:
            self.notify("no vault yet: press n to make your first key", severity="warning")
            return
        old = None
        if vault.is_protected:
            old = await self.app.push_screen_wait(TextDialog("Current passphrase", password=True))
            if old is None:
                return
        new = await self.app.push_screen_wait(
            TextDialog("New passphrase", password=True, body="Every key and secret is re-encrypted at once; a crash midway leaves the old passphrase working.")
        )
        if new is None:
            return
        if new == "":
            if not await self.app.push_screen_wait(
                ConfirmDialog("Remove the passphrase?", "Secrets would be kept in plain text (still readable only by you).", confirm_label="Unprotected", danger=True)
            ):
                return
        elif await self.app.push_screen_wait(TextDialog("The new passphrase again", password=True)) != new:
            self.notify("the two passphrases differ: nothing was changed", severity="error")
            return
        if await self._run(lambda: vault.change_passphrase(old, new or None)):
            self.notify("the vault is protected by the new passphrase" if new else "the vault is now UNPROTECTED", severity="information" if new else "warning")
            self.post_message(SovereigntyChanged())
        self.refresh_view()

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
