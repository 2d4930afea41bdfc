"""Agent credentials: the ones issued here, issue one, revoke one.

A credential is a public, signed statement ("this agent may spend up to N
sats per day until …"); issuing and revoking need the owner's secret key, so
they open the vault first. What may be issued or revoked (an owner and an
agent key, the terms, a credential not void already, the key that issued it)
is ``identity.credentials``'s to say; this screen asks, and shows the answer.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from sovtui.amounts import parse_sats
from sovtui.identity import credentials
from sovtui.identity.credentials import Credential, CredentialBook
from sovtui.identity.keys import KeyInfo, KeyStore
from sovtui.text import safe_line
from sovtui.ui.messages import SovereigntyChanged
from sovtui.ui.pane import sovtui_app
from sovtui.ui.plain import plain
from sovtui.ui.vault_gate import ensure_open
from sovtui.ui.work import attempt, succeeds

if TYPE_CHECKING:
    from sovtui.context import Context


class CredentialsScreen(ModalScreen[None]):
    CSS_PATH = "credentials.tcss"
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="credentials.close"),
        Binding("n", "issue", "Issue", id="credentials.issue"),
        Binding("r", "revoke", "Revoke", id="credentials.revoke"),
        Binding("v", "verify", "Verify one", id="credentials.verify"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[tuple[Credential, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Agent credentials", classes="title")
            yield Static("", id="credentials-empty")
            yield DataTable(id="credentials-table", cursor_type="row")
            yield Static("n issue · r revoke · v verify one you are shown · enter shows it · esc closes", classes="hint")

    @property
    def ctx(self) -> Context:
        return sovtui_app(self).ctx

    def book(self) -> CredentialBook:
        return CredentialBook(self.ctx.paths.data_dir / "credentials")

    def store(self) -> KeyStore:
        return KeyStore(self.ctx.vault)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("state", "State"), ("agent", "Agent"), ("limit", "Limit"), ("until", "Until"), ("id", "Id")):
            table.add_column(label, key=key)
        self.refresh_view()

    def refresh_view(self) -> None:
        from sovtui.identity import nip19

        self.kept = self.book().all()
        labels = {}
        if self.ctx.vault.exists and self.ctx.vault.is_unlocked:
            labels = {info.pubkey: info.label for info in self.store().list()}
        table = self.query_one(DataTable)
        table.clear()
        for credential, state in self.kept:
            npub = nip19.hex_to_npub(credential.agent)
            agent = labels.get(credential.agent) or f"{npub[:12]}…{npub[-6:]}"
            row = (state, agent, f"{credential.limit_sats:,} sats/{credential.period}", credential.expires_on, credential.id[:12])
            table.add_row(*(plain(cell) for cell in row), key=credential.id)
        empty = self.query_one("#credentials-empty", Static)
        empty.update("" if self.kept else "No credential issued yet. Press n to let an agent key spend within a limit you sign.")
        empty.display = not self.kept
        table.display = bool(self.kept)
        if self.kept:
            table.focus()

    def selected(self) -> tuple[Credential, str] | None:
        table = self.query_one(DataTable)
        if not self.kept or table.cursor_row >= len(self.kept):
            return None
        return self.kept[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from sovtui.ui.screens.text_view import TextViewScreen

        event.stop()
        chosen = self.selected()
        if chosen is not None:
            credential, state = chosen
            # ASCII JSON: whatever the event holds shows as \u escapes, not as terminal codes, and
            # what `c` copies is still the same signed event.
            shown = json.dumps(credential.event, indent=1, ensure_ascii=True)
            self.app.push_screen(TextViewScreen(f"Credential ({state})", shown, summary=credential.describe()))

    async def _pick(self, title: str, keys: list[KeyInfo]) -> str | None:
        from sovtui.ui.screens.dialogs import ChoiceDialog

        if len(keys) == 1:
            return keys[0].label
        return await self.app.push_screen_wait(ChoiceDialog(title, [(k.label, f"{k.label} {k.short_npub}") for k in keys]))

    @work(exclusive=True, group="credentials", exit_on_error=False, description="Credentials: issue one")
    async def action_issue(self) -> None:
        from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog

        if not await ensure_open(self, self.ctx.vault, create=False):
            if not self.ctx.vault.exists:
                self.notify("no keys yet: make an owner key and an agent key in the Keys pane first", severity="warning")
            return
        signers = await attempt(self, lambda: credentials.signers(self.store()), on_error=lambda exc: self.notify(f"{exc} (n in the Keys pane)", severity="warning"))
        if signers is None:
            return
        owner = await self._pick("Signed by", signers[0])
        agent = owner and await self._pick("For the agent", signers[1])
        if not owner or not agent:
            return
        limit = await self.app.push_screen_wait(TextDialog(f"{agent} may spend up to (sats)", value="10000"))
        sats = None if limit is None else await attempt(self, lambda: parse_sats(limit, "limit"))
        if sats is None:
            return
        period = await self.app.push_screen_wait(ChoiceDialog("per", [("day", "day"), ("week", "week"), ("month", "month")], current="day"))
        days = period and await self.app.push_screen_wait(TextDialog("valid for (days)", value="30"))
        valid_days = None if not period or days is None else await attempt(self, lambda: credentials.parse_days(days))
        if not period or valid_days is None:
            return
        summary = f"{agent} may spend up to {sats:,} sats per {period} for {valid_days} days, signed by {owner}. Anyone can verify it; you can revoke it."
        if not await self.app.push_screen_wait(ConfirmDialog("Issue this credential?", summary, confirm_label="Issue")):
            return
        if await succeeds(self, lambda: self.book().issue(self.store(), owner, agent, sats, period, expires_days=valid_days)):
            self.notify(f"credential issued for {agent}")
            self.post_message(SovereigntyChanged())
        self.refresh_view()

    @work(exclusive=True, group="credentials", exit_on_error=False, description="Credentials: revoke one")
    async def action_revoke(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        chosen = self.selected()
        if chosen is None:
            return
        credential, _ = chosen
        # Void already (revoked, or replaced by a newer version): said before any passphrase is asked for.
        if not await succeeds(self, lambda: self.book().check_revocable(credential), on_error=lambda exc: self.notify(str(exc), timeout=4)):
            return
        if not await ensure_open(self, self.ctx.vault, create=False):
            return
        owner = await attempt(self, lambda: credentials.issuer(self.store(), credential))
        if owner is None or not await self.app.push_screen_wait(
            ConfirmDialog("Revoke this credential?", credential.describe() + "\nThe agent can no longer show it as valid.", confirm_label="Revoke", danger=True)
        ):
            return
        if await succeeds(self, lambda: self.book().revoke(self.store(), credential, owner)):
            self.notify("credential revoked")
            self.post_message(SovereigntyChanged())
        self.refresh_view()

    @work(exclusive=True, group="credentials", exit_on_error=False, description="Credentials: verify one")
    async def action_verify(self) -> None:
        """Check a credential an agent shows: signature, expiry, and any revocation kept here."""
        from sovtui.identity import nip19
        from sovtui.ui.screens.dialogs import PasteDialog

        text = await self.app.push_screen_wait(PasteDialog("Paste a credential (JSON)"))
        if not text:
            return
        # parse turns any malformed input into one SovtuiError
        credential = await attempt(self, lambda: credentials.parse(text), on_error=lambda exc: self.notify(safe_line(f"not valid: {exc}"), severity="error", timeout=6))
        if credential is None:
            return
        state = self.book().state_of(credential)
        if state == "revoked":
            self.notify("REVOKED by its owner: " + credential.describe(), severity="error", timeout=8)
        elif state == "replaced":
            self.notify("REPLACED by a newer credential for this agent: " + credential.describe(), severity="error", timeout=8)
        elif state == "expired":
            self.notify("EXPIRED: " + credential.describe(), severity="warning", timeout=8)
        else:
            owner = nip19.hex_to_npub(credential.owner)
            self.notify(f"valid: {credential.describe()}, signed by {owner[:12]}…{owner[-6:]}", timeout=8)

    def action_close(self) -> None:
        self.dismiss(None)
