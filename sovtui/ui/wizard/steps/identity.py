"""Identity: your owner key, made here or imported, in a vault your passphrase protects."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Static

from sovtui.ui.wizard.steps.base import Step


class IdentityStep(Step):
    TITLE = "Your identity"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.made: Any = None

    def compose(self) -> ComposeResult:
        yield Static(
            "A Nostr key pair that is yours: no account, no platform. sovtui keeps it in a vault "
            "encrypted with a passphrase that is never written down.", id="id-intro",
        )
        yield Static("", id="id-state")
        yield Input(value="me", placeholder="a label for your key", id="id-label")
        yield Input(placeholder="a passphrase for the vault", password=True, id="id-pass")
        yield Input(placeholder="the passphrase again", password=True, id="id-pass2")
        yield Input(placeholder="optional: a key to import instead, as nsec, hex or seed phrase", password=True, id="id-import")
        yield Static("", id="id-error")
        yield Static("", id="id-qr")

    def entered(self) -> None:
        from sovtui.setup import owner_keys

        vault = self.ctx.vault
        have_owner = vault.exists and "owner" in vault.roles()
        creating = not have_owner and self.made is None
        for selector in ("#id-label", "#id-pass2", "#id-import"):
            self.query_one(selector, Input).display = creating and not (selector == "#id-pass2" and vault.exists)
        pass_input = self.query_one("#id-pass", Input)
        pass_input.display = creating and (not vault.exists or (vault.is_protected and not vault.is_unlocked)) or (
            have_owner and vault.is_protected and not vault.is_unlocked
        )
        pass_input.placeholder = "your vault passphrase" if vault.exists else "a passphrase for the vault"
        if self.made is not None:
            return
        if have_owner:
            keys = owner_keys(self.ctx)
            shown = f": {keys[0].label} {keys[0].npub}" if keys else ""
            self.say("#id-state", f"✓ you already have an owner key{shown}", "ok")
            if pass_input.display:
                self.say("#id-error", "type your vault passphrase so the next steps can use it", "hint")
        else:
            self.say("#id-state", "")
        focus = next((w for w in self.query(Input) if w.display), None)
        if focus is not None:
            focus.focus()

    def primary_label(self) -> str:
        vault = self.ctx.vault
        if self.made is not None or (vault.exists and "owner" in vault.roles()):
            return "Next"
        return "Create my key"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = [w for w in self.query(Input) if w.display]
        after = inputs.index(event.input) + 1 if event.input in inputs else len(inputs)
        if after < len(inputs):
            inputs[after].focus()
        else:
            self.wizard.action_primary()

    async def confirm(self) -> bool:
        from sovtui.qr import qr_lines
        from sovtui.setup import create_owner_key

        vault = self.ctx.vault
        if self.made is not None or (vault.exists and "owner" in vault.roles()):
            if vault.exists and not vault.is_unlocked:
                return await self.vault_open("#id-pass", "#id-error")
            return True
        label = self.value("#id-label") or "me"
        passphrase = self.query_one("#id-pass", Input).value
        if not vault.exists:
            if passphrase != self.query_one("#id-pass2", Input).value:
                self.say("#id-error", "the two passphrases differ", "error")
                return False
            if not passphrase:
                self.say("#id-error", "choose a passphrase: without one your keys would sit in plain text ('sovtui keys new --unprotected' if you really want that)", "error")
                return False
        imported = self.query_one("#id-import", Input).value.strip() or None
        self.say("#id-error", "encrypting…", "hint")
        info = await self.in_thread(lambda: create_owner_key(self.ctx, label, passphrase, secret_text=imported), "#id-error")
        if info is None:
            return False
        self.made = info
        self.say("#id-error", "")
        self.wizard.note(f"{'imported' if imported else 'created'} your owner key {info.label} in a passphrase-protected vault")
        for widget in self.query(Input):
            widget.display = False
        self.say("#id-state", f"✓ your public key (share it freely):\n{info.npub}", "ok")
        self.query_one("#id-qr", Static).update("\n".join(qr_lines(info.npub)))
        return False  # stay: show the npub and its QR code; the next press moves on
