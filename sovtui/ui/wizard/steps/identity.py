"""Identity: your owner key, made here or imported, in a vault your passphrase protects.

What a new vault's passphrase must be (not empty, typed twice the same) is
``setup.create_owner_key``'s rule; this step lays out the boxes and shows the
key it made: the npub, and its QR code beside it, so both fit a 24-line
terminal (the Keys pane shows it again: select the key, enter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Static

from sovtui.errors import SovtuiError
from sovtui.ui.wizard.steps.base import Step

if TYPE_CHECKING:
    from sovtui.identity.keys import KeyInfo


class IdentityStep(Step):
    TITLE = "Your identity"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.made: KeyInfo | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            "A Nostr key pair that is yours: no account, no platform. sovtui keeps it in a vault "
            "encrypted with a passphrase that is never written down.", id="id-intro",
        )
        with Horizontal(id="id-row", classes="row"):
            yield Static("", id="id-qr")
            yield Static("", id="id-state")
        yield Input(value="me", placeholder="a label for your key", id="id-label")
        yield Input(placeholder="a passphrase for the vault", password=True, id="id-pass")
        yield Input(placeholder="the passphrase again", password=True, id="id-pass2")
        yield Input(placeholder="optional: a key to import instead, as nsec, hex or seed phrase", password=True, id="id-import")
        yield Static("", id="id-error")

    def _has_owner(self) -> bool:
        vault = self.ctx.vault
        return self.made is not None or (vault.exists and "owner" in vault.roles())

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
        return "Next" if self._has_owner() else "Create my key"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = [w for w in self.query(Input) if w.display]
        after = inputs.index(event.input) + 1 if event.input in inputs else len(inputs)
        if after < len(inputs):
            inputs[after].focus()
        else:
            self.wizard.action_primary()

    def _refused(self, exc: SovtuiError) -> None:
        from sovtui.identity.vault import EmptyPassphrase

        hint = " ('sovtui keys new --unprotected' keeps keys in plain text, if you really want that)" if isinstance(exc, EmptyPassphrase) else ""
        self.say("#id-error", f"{exc}{hint}", "error")

    async def confirm(self) -> bool:
        from sovtui.setup import create_owner_key
        from sovtui.ui.work import attempt

        vault = self.ctx.vault
        if self._has_owner():
            if vault.exists and not vault.is_unlocked:
                return await self.vault_open("#id-pass", "#id-error")
            return True
        label = self.value("#id-label") or "me"
        passphrase = self.query_one("#id-pass", Input).value
        again_box = self.query_one("#id-pass2", Input)
        again = again_box.value if again_box.display else None
        imported = self.query_one("#id-import", Input).value.strip() or None
        self.say("#id-error", "encrypting…", "hint")
        info = await attempt(self, lambda: create_owner_key(self.ctx, label, passphrase, again=again, secret_text=imported), on_error=self._refused)
        if info is None:
            return False
        self.made = info
        self.say("#id-error", "")
        self.wizard.note(f"{'imported' if imported else 'created'} your owner key {info.label} in a passphrase-protected vault")
        self.show_key(info)
        return False  # stay: show the npub and its QR code; the next press moves on

    def show_key(self, info: KeyInfo) -> None:
        """The npub as text, and as a QR code to its left: 18 lines high, the intro makes room for it."""
        from sovtui.qr import qr_lines

        for widget in self.query(Input):
            widget.display = False
        self.query_one("#id-intro", Static).display = False
        self.say("#id-state", f"✓ your public key (share it freely):\n\n{info.npub}\n\nThe Keys pane (F3) shows it again: select it, enter.", "ok")
        qr = self.query_one("#id-qr", Static)
        qr.update("\n".join(qr_lines(info.npub)))
        qr.display = True
