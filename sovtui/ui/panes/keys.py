"""The Keys pane: your Nostr keys and your agents', and the vault's lock.

It shows the keyring (``identity.access.keyring``) and routes each key to its
questions (``keys_questions``) and one call on a service, whose rules those
are; vault work (scrypt) runs off the event loop through ``Pane.attempt``.
A secret is shown only when an nsec or ncryptsec export is asked for, and
copied only when the user then presses c.
"""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from sovtui.errors import SovtuiError
from sovtui.identity.keys import KeyInfo, KeyStore
from sovtui.identity.vault import Vault
from sovtui.ui.messages import SovereigntyChanged
from sovtui.ui.pane import Pane
from sovtui.ui.plain import plain
from sovtui.ui.panes import keys_questions as ask
from sovtui.ui.vault_gate import ensure_open


class KeysPane(Pane, can_focus=True):
    CSS_PATH = "keys.tcss"

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
        self.rows: list[KeyInfo] = []
        #: (exists, protected) as last read by refresh_view: the footer asks often, the file is read once.
        self._vault_state = (False, False)

    def compose(self) -> ComposeResult:
        yield Static("", id="vault-state")
        yield Static("", id="keys-hint")
        table: DataTable[str] = DataTable(id="keys-table", cursor_type="row")
        # Columns here, not in on_mount: a pane built in the background while the app closes is mounted
        # with its children already gone, and a query there failed the app's exit.
        for key, label in (("label", "Label"), ("role", "Role"), ("npub", "npub"), ("created", "Created")):
            table.add_column(label, key=key)
        yield table

    def on_mount(self) -> None:
        self.set_interval(30, self._idle_lock)

    def on_show(self) -> None:
        self.refresh_view()

    def focus_target(self) -> Widget:
        return self  # and on to the table, when there are keys: the pane's own keys (n, u) work either way

    def on_focus(self) -> None:
        if self.table.display and self.table.row_count:
            self.table.focus()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#keys-table", DataTable)

    @property
    def vault(self) -> Vault:
        return self.ctx.vault

    def store(self) -> KeyStore:
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
        from sovtui.identity.access import keyring

        state = self.query_one("#vault-state", Static)
        hint = self.query_one("#keys-hint", Static)
        table = self.table
        try:
            ring = keyring(self.vault)
        except SovtuiError as exc:  # damaged, or an entry refused: say so, show nothing
            self.rows = []
            table.clear()
            table.display = hint.display = False
            state.update(str(exc))
            self.refresh_bindings()
            return
        self._vault_state = (ring.exists, ring.protected)
        state.set_class(ring.exists and not ring.protected, "-unprotected")
        if not ring.exists:
            state.update("no vault yet")
            hint.update("Press n to create your first key: sovtui asks for a passphrase that encrypts every secret it keeps.")
        elif not ring.unlocked:
            state.update("vault locked" + ("" if ring.protected else " (unprotected)"))
            hint.update((f"{ring.notice}. " if ring.notice else "") + "Press u and enter your passphrase to see and use your keys.")
        else:
            state.update("vault unlocked · l locks" if ring.protected else "vault UNPROTECTED: keys in plain text (sovtui keys passwd adds a passphrase)")
            hint.update("")
        hint.display = bool(str(hint.render()))
        self.rows = ring.keys
        table.clear()
        for info in ring.keys:
            # Labels and roles are read from the vault file, which is not sealed: plain text, never markup.
            table.add_row(plain(info.label), plain(info.role), info.short_npub, plain(info.created[:10]), key=info.label)
        table.display = bool(ring.keys)
        self.refresh_bindings()
        if not table.display and table.has_focus:
            self.focus()
        elif table.display and self.has_focus:
            table.focus()

    def selected(self) -> KeyInfo | None:
        row = self.table.cursor_row
        return self.rows[row] if self.table.row_count and row < len(self.rows) else None

    def _changed(self, note: str, **kwargs: Any) -> None:
        """A key or the passphrase changed: say so, and let the app assess the level again."""
        self.notify(note, **kwargs)
        self.post_message(SovereigntyChanged())

    # --- the lock -----------------------------------------------------------------

    def _idle_lock(self) -> None:
        """The vault locks itself after ``[vault] lock_after_minutes`` without a key press."""
        from sovtui.identity.access import lock_if_idle

        if lock_if_idle(self.vault, self.ctx.config.vault.lock_after_minutes, time.monotonic() - self.sovtui.last_activity):
            self.refresh_view()
            self.notify("the vault locked itself after being idle", timeout=4)

    def action_lock(self) -> None:
        self.vault.lock()
        self.refresh_view()

    @work(exclusive=True, group="vault", exit_on_error=False, description="Keys: unlock the vault")
    async def action_unlock(self) -> None:
        if not self.vault.exists:
            self.action_new()
        elif await ensure_open(self, self.vault, create=False):
            self.refresh_view()

    # --- actions ------------------------------------------------------------------

    @work(exclusive=True, group="keys-action", exit_on_error=False, description="Keys: make a key")
    async def action_new(self) -> None:
        if not await ensure_open(self, self.vault):
            return
        first = not self.store().list()  # the first key is most likely the user's own: "me", ready to take
        answer = await ask.label_and_role(self, "Label for the new key", value="me" if first else "")
        if answer is None:
            self.refresh_view()  # the vault may have just been made
            return
        made = await self.attempt(lambda: self.store().generate(*answer))
        if made is not None:
            self._changed(f"created {made.label}")
        self.refresh_view()

    @work(exclusive=True, group="keys-action", exit_on_error=False, description="Keys: import a key")
    async def action_import_key(self) -> None:
        from sovtui.identity.keys import check_label, parse_secret

        secret = await ask.secret_to_import(self)
        # A key that is not one is refused before the vault is asked for.
        if secret is None or not await self.succeeds(lambda: parse_secret(secret.text, key_password=secret.password)):
            return
        answer = await ask.label_and_role(self, "Label for this key")
        # A label the service would refuse is refused now, before the passphrase is asked for.
        if answer is None or not await self.succeeds(lambda: check_label(answer[0])) or not await ensure_open(self, self.vault):
            return
        label, role = answer
        made = await self.attempt(lambda: self.store().import_key(label, secret.text, role, key_password=secret.password))
        if made is not None:
            self._changed(f"imported {made.label}")
        self.refresh_view()

    @work(exclusive=True, group="keys-action", exit_on_error=False, description="Keys: export a key")
    async def action_export(self) -> None:
        from sovtui.ui.screens.text_view import TextViewScreen

        info = self.selected()
        wanted = info and await ask.export_of(self, info)
        if not info or not wanted:
            return
        relays = self.ctx.config.nostr.relays
        shown = await self.attempt(lambda: self.store().export(info.label, wanted.format, relays=relays, password=wanted.password))
        if shown is not None:
            # Shown, never copied unasked: c in the view copies it (OSC 52), a choice the user makes.
            summary = "SECRET: anyone who has it can act as this key." if wanted.format == "nsec" else ""
            await self.app.push_screen_wait(TextViewScreen(f"{info.label} as {wanted.format}", shown, summary=summary))

    @work(exclusive=True, group="keys-action", exit_on_error=False, description="Keys: delete a key")
    async def action_delete(self) -> None:
        info = self.selected()
        typed = info and await ask.deletion_of(self, info)
        if not info or not typed:
            return
        if await self.succeeds(lambda: self.store().delete(info.label, confirm=typed)):
            self._changed(f"deleted {info.label}")
        self.refresh_view()

    @work(exclusive=True, group="keys-action", exit_on_error=False, description="Keys: sign a note")
    async def action_sign(self) -> None:
        from sovtui.ui.screens.text_view import TextViewScreen, event_json

        info = self.selected()
        if info is None:
            self.notify("select a key to sign with", severity="warning")
            return
        text = await ask.note_to_sign(self, info)
        if not text:
            return
        signed = await self.attempt(lambda: self.store().sign(info.label, text))
        if signed is not None:
            await self.app.push_screen_wait(TextViewScreen(f"Signed by {info.label}", event_json(signed), summary=info.npub))

    @work(exclusive=True, group="keys-action", exit_on_error=False, description="Keys: verify a signed event")
    async def action_verify(self) -> None:
        from sovtui.identity import nip19
        from sovtui.identity.keys import verify_event

        text = await ask.event_to_verify(self)
        if not text:
            return
        signer = await self.attempt(lambda: verify_event(text), on_error=lambda exc: self.notify(f"not valid: {exc}", severity="error", timeout=6))
        if signer is not None:
            ours = next((k.label for k in self.rows if k.pubkey == signer), None)
            self.notify(f"valid: signed by {nip19.hex_to_npub(signer)}" + (f" ({ours}, one of your keys)" if ours else ""), timeout=8)

    def action_credentials(self) -> None:
        from sovtui.ui.screens.credentials import CredentialsScreen

        self.app.push_screen(CredentialsScreen(), lambda _: self.refresh_view())

    @work(exclusive=True, group="keys-action", exit_on_error=False, description="Keys: change the passphrase")
    async def action_passphrase(self) -> None:
        from sovtui.identity.access import change_passphrase

        vault = self.vault
        if not vault.exists:
            self.notify("no vault yet: press n to make your first key", severity="warning")
            return
        answer = await ask.passphrase_change(self, protected=vault.is_protected)
        if answer is None:
            return
        old, new = answer
        if await self.succeeds(lambda: change_passphrase(vault, old, new.passphrase, again=new.again)):
            protected = new.passphrase is not None
            self._changed("the vault is protected by the new passphrase" if protected else "the vault is now UNPROTECTED", severity="information" if protected else "warning")
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
