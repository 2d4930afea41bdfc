"""What every wizard step shares: its title, its primary action, its lines, and the vault.

A step asks and shows; what it does is a call on ``sovtui.setup`` (or another
service) through ``attempt``/``succeeds`` (``sovtui.ui.work``), which run a
blocking call off the event loop and show a refusal inline, on the step's
own error line, rather than as a notification.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.containers import Vertical
from textual.widgets import Input, Static

from sovtui.errors import SovtuiError
from sovtui.ui.pane import sovtui_app
from sovtui.ui.work import attempt, succeeds

if TYPE_CHECKING:
    from rich.text import Text

    from sovtui.context import Context
    from sovtui.ui.wizard.screen import WizardScreen

T = TypeVar("T")


class Step(Vertical):
    TITLE: ClassVar[str] = ""

    def on_mount(self) -> None:
        # A label on each box's border: it stays readable once the placeholder is typed over.
        for box in self.query(Input):
            box.border_title = box.placeholder.split(",")[0]
        # Message lines take no room until there is something to say.
        for line in self.query(Static):
            if line.id and line.id.rsplit("-", 1)[-1] in ("state", "error", "reply", "qr", "findings", "changes", "next"):
                line.display = False

    @property
    def ctx(self) -> Context:
        return sovtui_app(self).ctx

    @property
    def wizard(self) -> WizardScreen:
        return cast("WizardScreen", self.screen)

    def primary_label(self) -> str:
        return "Next"

    def entered(self) -> None:
        """The step is shown (again): look at the machine, never write."""

    async def confirm(self) -> bool:
        """The primary button: do what the step offers; True to move on."""
        return True

    def say(self, selector: str, text: str | Text, kind: str = "") -> None:
        """Show ``text`` on the line ``selector`` (hidden when empty), marked as ``kind`` (error, ok, hint).

        A ``Text`` is shown as it is: no markup is read in it.
        """
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.display = bool(text)
        for name in ("error", "ok", "hint"):
            widget.set_class(name == kind, name)

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def inline(self, selector: str) -> Callable[[SovtuiError], None]:
        """An ``on_error`` that shows a refusal on the line ``selector``."""

        def show(exc: SovtuiError) -> None:
            self.say(selector, str(exc), "error")

        return show

    async def attempt(self, work: Awaitable[T] | Callable[[], T], error_at: str) -> T | None:
        """``work``'s value (a blocking call runs in a thread), or None once its error is shown at ``error_at``."""
        return await attempt(self, work, on_error=self.inline(error_at))

    async def succeeds(self, work: Awaitable[object] | Callable[[], object], error_at: str) -> bool:
        return await succeeds(self, work, on_error=self.inline(error_at))

    async def vault_open(self, passphrase_input: str, error_at: str) -> bool:
        """Unlock the vault with what is typed in ``passphrase_input`` if it needs it (``identity.access.opening``)."""
        from sovtui.identity.access import Opening, opening

        vault = self.ctx.vault
        needs = await self.attempt(lambda: opening(vault), error_at)
        if needs is None:
            return False
        if needs is Opening.NO_VAULT:
            self.say(error_at, "there is no vault yet: go back to the identity step (esc) to create your key", "error")
            return False
        if needs is Opening.OPEN:
            return True
        box = self.query_one(passphrase_input, Input)
        passphrase = None if needs is Opening.UNPROTECTED else box.value
        if needs is not Opening.UNPROTECTED and not passphrase:
            box.display = True
            changed = "the vault's passphrase was changed by another sovtui: " if needs is Opening.PASSPHRASE_CHANGED else ""
            self.say(error_at, f"{changed}type your vault passphrase first", "error")
            return False
        return await self.succeeds(lambda: vault.unlock(passphrase), error_at)

    def show_passphrase_if_locked(self, passphrase_input: str) -> None:
        vault = self.ctx.vault
        self.query_one(passphrase_input, Input).display = vault.exists and vault.is_protected and not vault.is_unlocked
