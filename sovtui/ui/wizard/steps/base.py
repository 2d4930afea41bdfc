"""What every wizard step shares: its title, its primary action, and the vault."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.containers import Vertical
from textual.widgets import Input, Static

from sovtui.errors import SovtuiError


class Step(Vertical):
    TITLE = ""

    def on_mount(self) -> None:
        # A label on each box's border: it stays readable once the placeholder is typed over.
        for box in self.query(Input):
            box.border_title = box.placeholder.split(",")[0]
        # Message lines take no room until there is something to say.
        for line in self.query(Static):
            if line.id and line.id.rsplit("-", 1)[-1] in ("state", "error", "reply", "qr", "findings", "changes", "next"):
                line.display = False

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.app.ctx  # type: ignore[attr-defined]

    @property
    def wizard(self) -> Any:
        return self.screen

    def primary_label(self) -> str:
        return "Next"

    def entered(self) -> None:
        """The step is shown (again): look at the machine, never write."""

    async def confirm(self) -> bool:
        """The primary button: do what the step offers; True to move on."""
        return True

    def say(self, selector: str, text: str, kind: str = "") -> None:
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.display = bool(text)
        for name in ("error", "ok", "hint"):
            widget.set_class(name == kind, name)

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    async def in_thread(self, call: Any, error_at: str) -> Any:
        """Run blocking work (scrypt, file writes) off the event loop; errors go to ``error_at``."""
        try:
            return await asyncio.to_thread(call)
        except SovtuiError as exc:
            self.say(error_at, str(exc), "error")
            return None

    async def vault_open(self, passphrase_input: str, error_at: str) -> bool:
        """Unlock the vault with what is typed in ``passphrase_input`` if it is locked."""
        vault = self.ctx.vault
        if not vault.exists:
            self.say(error_at, "there is no vault yet: go back to the identity step (esc) to create your key", "error")
            return False
        box = self.query_one(passphrase_input, Input)
        try:
            was_unlocked = vault.is_unlocked
            if vault.still_current():  # unlocked, and not re-keyed by another sovtui since
                return True
            protected = vault.is_protected
        except SovtuiError as exc:
            self.say(error_at, str(exc), "error")
            return False
        passphrase = box.value if protected else None
        if protected and not passphrase:
            box.display = True
            changed = "the vault's passphrase was changed by another sovtui: " if was_unlocked else ""
            self.say(error_at, f"{changed}type your vault passphrase first", "error")
            return False
        done = await self.in_thread(lambda: vault.unlock(passphrase) or True, error_at)
        return bool(done)

    def show_passphrase_if_locked(self, passphrase_input: str) -> None:
        vault = self.ctx.vault
        self.query_one(passphrase_input, Input).display = vault.exists and vault.is_protected and not vault.is_unlocked
