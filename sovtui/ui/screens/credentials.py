"""Agent credentials: the ones issued here, issue one, revoke one.

A credential is a public, signed statement ("this agent may spend up to N
sats per day until …"); issuing and revoking need the owner's secret key, so
they open the vault first. The signing itself runs in a thread.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from sovtui.amounts import parse_sats
from sovtui.errors import SovtuiError
from sovtui.text import safe_line
from sovtui.ui.messages import SovereigntyChanged
from sovtui.ui.vault_gate import ensure_open, run_in_thread


class CredentialsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    CredentialsScreen { align: center middle; }
    CredentialsScreen > Vertical {
        width: 95%; max-width: 110; height: 80%;
        background: $surface; border: thick $primary 60%; padding: 0 1;
    }
    CredentialsScreen .title { text-style: bold; }
    CredentialsScreen #credentials-empty { color: $text-muted; padding: 1 0; }
    CredentialsScreen DataTable { height: 1fr; }
    CredentialsScreen .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="credentials.close"),
        Binding("n", "issue", "Issue", id="credentials.issue"),
        Binding("r", "revoke", "Revoke", id="credentials.revoke"),
        Binding("v", "verify", "Verify one", id="credentials.verify"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[Any] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Agent credentials", classes="title")
            yield Static("", id="credentials-empty")
            yield DataTable(id="credentials-table", cursor_type="row")
            yield Static("n issue · r revoke · v verify one you are shown · enter shows it · esc closes", classes="hint")

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.app.ctx  # type: ignore[attr-defined]

    def book(self):  # type: ignore[no-untyped-def]
        from sovtui.identity.credentials import CredentialBook

        return CredentialBook(self.ctx.paths.data_dir / "credentials")

    def store(self):  # type: ignore[no-untyped-def]
        from sovtui.identity.keys import KeyStore

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
            table.add_row(*(safe_line(cell) for cell in row), key=credential.id)
        empty = self.query_one("#credentials-empty", Static)
        empty.update("" if self.kept else "No credential issued yet. Press n to let an agent key spend within a limit you sign.")
        empty.display = not self.kept
        table.display = bool(self.kept)
        if self.kept:
            table.focus()

    def selected(self):  # type: ignore[no-untyped-def]
        table = self.query_one(DataTable)
        if not self.kept or table.cursor_row >= len(self.kept):
            return None
        return self.kept[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        import json

        from sovtui.ui.screens.text_view import TextViewScreen

        event.stop()
        chosen = self.selected()
        if chosen is not None:
            credential, state = chosen
            # ASCII JSON: whatever the event holds shows as \u escapes, not as terminal codes, and
            # what `c` copies is still the same signed event.
            shown = json.dumps(credential.event, indent=1, ensure_ascii=True)
            self.app.push_screen(TextViewScreen(f"Credential ({state})", shown, summary=credential.describe()))

    @work(exclusive=True, group="credentials")
    async def action_issue(self) -> None:
        from sovtui.identity import credentials
        from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog

        if not await ensure_open(self.app, self.ctx.vault, create=False):
            if not self.ctx.vault.exists:
                self.notify("no keys yet: make an owner key and an agent key in the Keys pane first", severity="warning")
            return
        keys = self.store().list()
        owners = [k for k in keys if k.role == "owner"]
        agents = [k for k in keys if k.role == "agent"]
        if not owners or not agents:
            self.notify("a credential needs an owner key and an agent key: press n in the Keys pane to make the missing one", severity="warning")
            return
        owner = owners[0].label if len(owners) == 1 else await self.app.push_screen_wait(ChoiceDialog("Signed by", [(k.label, f"{k.label} {k.short_npub}") for k in owners]))
        agent = owner and (agents[0].label if len(agents) == 1 else await self.app.push_screen_wait(ChoiceDialog("For the agent", [(k.label, f"{k.label} {k.short_npub}") for k in agents])))
        if not owner or not agent:
            return
        limit = await self.app.push_screen_wait(TextDialog(f"{agent} may spend up to (sats)", value="10000"))
        if limit is None:
            return
        try:
            sats = parse_sats(limit, "limit")
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        period = await self.app.push_screen_wait(ChoiceDialog("per", [("day", "day"), ("week", "week"), ("month", "month")], current="day"))
        days = period and await self.app.push_screen_wait(TextDialog("valid for (days)", value="30"))
        if not period or days is None:
            return
        if not days.strip().isdigit():
            self.notify("the validity is a whole number of days", severity="error")
            return
        valid_days = int(days.strip())
        summary = f"{agent} may spend up to {sats:,} sats per {period} for {valid_days} days, signed by {owner}. Anyone can verify it; you can revoke it."
        if not await self.app.push_screen_wait(ConfirmDialog("Issue this credential?", summary, confirm_label="Issue")):
            return
        issued: list[dict[str, Any]] = []

        def sign() -> None:
            event = credentials.issue(self.store(), owner, agent, sats, period, expires_days=valid_days)
            self.book().keep(event)
            issued.append(event)

        if await run_in_thread(self.app, sign):
            self.notify(f"credential issued for {agent}")
            self.app.post_message(SovereigntyChanged())
        self.refresh_view()

    @work(exclusive=True, group="credentials")
    async def action_revoke(self) -> None:
        from sovtui.identity import credentials
        from sovtui.ui.screens.dialogs import ConfirmDialog

        chosen = self.selected()
        if chosen is None:
            return
        credential, state = chosen
        if state == "revoked":
            self.notify("this credential is already revoked", timeout=2)
            return
        if state == "replaced":
            # Its revocation names the address too, which would revoke the newer version as well.
            self.notify("a newer credential for this agent replaces this one, so it is void already: revoke the newer one", timeout=4)
            return
        if not await ensure_open(self.app, self.ctx.vault, create=False):
            return
        owners = [k for k in self.store().list() if k.pubkey == credential.owner]
        if not owners:
            self.notify("the key that issued this credential is not in your vault: only its owner can revoke it", severity="error")
            return
        if not await self.app.push_screen_wait(
            ConfirmDialog("Revoke this credential?", credential.describe() + "\nThe agent can no longer show it as valid.", confirm_label="Revoke", danger=True)
        ):
            return

        def sign() -> None:
            self.book().keep(credentials.revoke(self.store(), owners[0].label, credential))

        if await run_in_thread(self.app, sign):
            self.notify("credential revoked")
            self.app.post_message(SovereigntyChanged())
        self.refresh_view()

    @work(exclusive=True, group="credentials")
    async def action_verify(self) -> None:
        """Check a credential an agent shows: signature, expiry, and any revocation kept here."""
        from sovtui.identity import credentials, nip19
        from sovtui.ui.screens.dialogs import PasteDialog

        text = await self.app.push_screen_wait(PasteDialog("Paste a credential (JSON)"))
        if not text:
            return
        try:
            credential = credentials.parse(text)
        except SovtuiError as exc:  # parse turns any malformed input into one
            self.notify(safe_line(f"not valid: {exc}"), severity="error", timeout=6)
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
