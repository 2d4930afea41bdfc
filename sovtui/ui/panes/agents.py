"""The Agents pane: your agents, what each may still spend, and what each did.

It shows and routes. Who the agents are, their credentials' states and what
is spent and left this period are ``sovtui.agent.agents.list_agents``' (the
CLI's ``sovtui agent list`` too); what each did is its audit log
(``sovtui.agent.audit``, ``sovtui agent log``). Both are read off the event
loop, when the pane is shown, on ``g``, and when the app hears
``SovereigntyChanged`` (a credential issued or revoked, a key or a wallet
changed). Every word that came from outside (labels, a model's arguments, a
wallet's reasons) is shown through ``plain``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from sovtui.text import safe_line
from sovtui.ui.pane import Pane
from sovtui.ui.plain import plain
from sovtui.ui.vault_gate import ensure_open

if TYPE_CHECKING:
    from sovtui.agent.agents import AgentStatus
    from sovtui.agent.audit import AuditEntry, AuditRead
    from sovtui.agent.serve_status import ServeStatus

#: How many of an agent's newest actions the pane shows.
RECENT = 100

STATE_STYLES = {"live": "green", "expired": "yellow", "revoked": "red", "replaced": "yellow"}
OUTCOME_STYLES = {"ok": "", "refused": "red", "error": "red", "pending": "yellow", "interrupted": "yellow"}


def _short(text: str, keep: int = 24) -> str:
    return text if len(text) <= keep else f"{text[:keep - 8]}…{text[-6:]}"


def brief_arguments(arguments: Mapping[str, Any]) -> str:
    """The arguments a person looks for first, in a few words (the full record is one key away)."""
    parts = []
    first = ("amount_in_sats", "description", "content", "invoice", "payment_hash")
    for key, value in sorted(arguments.items(), key=lambda kv: first.index(kv[0]) if kv[0] in first else len(first)):
        if key == "amount_in_sats" and isinstance(value, int) and not isinstance(value, bool):
            parts.append(f"{value:,} sats")
        elif key in ("invoice", "payment_hash"):
            parts.append(_short(str(value), 18))
        elif key in ("description", "content"):
            parts.append(json.dumps(_short(str(value), 20), ensure_ascii=False))
        elif key == "publish":
            parts.append("publish" if value else "")
        else:
            parts.append(f"{key}={_short(str(value), 12)}")
    return " · ".join(p for p in parts if p)


def outcome_text(entry: AuditEntry) -> str:
    """``ok``'s detail (what it did), else the outcome and its reason."""
    if entry.outcome == "ok":
        return entry.detail or "ok"
    detail = entry.detail
    if detail.startswith(f"{entry.outcome}: "):  # summary() already names the outcome
        detail = detail[len(entry.outcome) + 2:]
    return f"{entry.outcome}: {detail}" if detail else entry.outcome


def when(moment: float, pattern: str = "%m-%d %H:%M") -> str:
    from sovtui.wallet.views import format_time

    return format_time(moment, pattern)


def agent_line(status: AgentStatus, now: float | None = None) -> str:
    """The selected agent in one line: its key, its credential's terms, how it pays."""
    agent = status.agent
    parts = [_short(agent.npub, 20)]
    credential = agent.credential
    if credential is None:
        parts.append("no credential: issue one in Keys (a)")
    else:
        days = (credential.expires_at - (time.time() if now is None else now)) / 86400
        if agent.state == "live":
            parts.append(f"expires in {max(0, math.floor(days + 0.5)):,} days")
        else:
            parts.append(f"credential {agent.state}")
    if not agent.wallet:
        parts.append(agent.wallet_problem or "no wallet")
    under = agent.config.approve_under
    parts.append(f"asks above {under:,} sats" if under else "asks before every payment")
    if agent.config.model:
        parts.append(agent.config.model)
    return safe_line(" · ".join(parts))


def serve_line(status: ServeStatus) -> str:
    """Whether ``sovtui agent serve`` is answering for the agent, and its last activity."""
    last = f", last activity {when(status.last_activity)}" if status.last_activity else ""
    if status.running:
        return f"served over Nostr since {when(status.since or 0)}{last}"
    return f"not served now{last}"


class AgentsPane(Pane, can_focus=True):
    CSS_PATH = "agents.tcss"

    BINDINGS = [
        Binding("g", "refresh", "Refresh", id="agents.refresh"),
        Binding("v", "view", "Show action", tooltip="The selected action's full record, as JSON", id="agents.view"),
        Binding("u", "unlock", "Unlock", id="agents.unlock"),
    ]

    PALETTE = (
        ("Agents: refresh", "Read the agents, their credentials and their logs again", "refresh"),
        ("Agents: show an action", "The selected action's full record from the agent's log, as JSON", "view"),
        ("Agents: unlock the vault", "Enter your passphrase to see your agents", "unlock"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agents: list[AgentStatus] = []
        self.actions: list[AuditEntry] = []
        #: The agent whose actions are shown (kept across a refresh).
        self.current: str | None = None
        #: Agents that have a service status file (``sovtui agent serve``), by name.
        self.served: dict[str, ServeStatus] = {}
        self._locked = False

    def compose(self) -> ComposeResult:
        yield Static("", id="agents-state")
        # Columns here, not in on_mount: see KeysPane.compose.
        agents: DataTable[Any] = DataTable(id="agents-table", cursor_type="row")
        for key, label, width in (("name", "Agent", 10), ("state", "State", 7), ("owner", "Owner", 10), ("wallet", "Wallet", 8),
                                  ("limit", "Limit", 11), ("spent", "Spent", 7), ("left", "Left", 7)):
            agents.add_column(label, key=key, width=width)
        actions: DataTable[Any] = DataTable(id="actions-table", cursor_type="row")
        for key, label, width in (("time", "Time", 11), ("tool", "Tool", 14), ("arguments", "Arguments", 20), ("sats", "Sats", 6)):
            actions.add_column(label, key=key, width=width)
        actions.add_column("Outcome", key="outcome")
        agents.display = actions.display = False
        yield agents
        yield Static("", id="agent-line")
        yield actions

    def on_show(self) -> None:
        self.refresh_view()

    def focus_target(self) -> Widget:
        return self  # on_focus hands it to the table when there are agents

    def on_focus(self) -> None:
        table = self.query_one("#agents-table", DataTable)
        if table.display and table.row_count:
            table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the footer only what can be done now: at 80 columns every slot counts."""
        if action == "unlock":
            return self._locked
        if action == "view":
            return bool(self.actions)
        return True

    # --- reading ------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.refresh_view()

    def sovereignty_changed(self) -> None:
        """The app heard that keys, credentials or wallets changed: read them again."""
        self.refresh_view()

    @work(exclusive=True, group="agents-read", exit_on_error=False, description="Agents: read agents and logs")
    async def refresh_view(self) -> None:
        from sovtui.agent.agents import list_agents
        from sovtui.agent.serve_status import served_agents
        from sovtui.identity.access import keyring

        state = self.query_one("#agents-state", Static)
        ring = await self.attempt(lambda: keyring(self.ctx.vault), on_error=lambda exc: state.update(plain(str(exc))))
        self._locked = bool(ring and ring.exists and not ring.unlocked)
        if ring is None or not ring.unlocked:
            if ring is not None and not ring.exists:
                state.update("No vault yet. An agent is an agent key with a credential from your owner key: "
                             "make both in Keys (F3): n, then a.")
            elif ring is not None:
                state.update(plain((f"{ring.notice}. " if ring.notice else "")
                                   + "The vault is locked: press u and enter your passphrase to see your agents."))
            self._show_agents([])
            return
        agents = await self.attempt(lambda: list_agents(self.ctx), on_error=lambda exc: state.update(plain(str(exc))))
        served = await self.attempt(lambda: served_agents(self.ctx.paths.state_dir))
        self.served = {s.name: s for s in served or []}
        if agents is None:
            self._show_agents([])
            return
        if not agents:
            state.update("No agents yet. Make an agent key in Keys (F3) with n (role agent), "
                         "then issue it a spending credential with a.")
        else:
            live = sum(1 for a in agents if a.agent.state == "live")
            running = sum(1 for a in agents if a.agent.name in self.served and self.served[a.agent.name].running)
            serving = f", {running} served over Nostr" if running else ""
            state.update(f"{len(agents)} agent{'s' if len(agents) != 1 else ''}, {live} live{serving} · spent and left are this period's")
        self._show_agents(agents)
        await self._read_actions()

    def _show_agents(self, agents: list[AgentStatus]) -> None:
        table = self.query_one("#agents-table", DataTable)
        names = [a.agent.name for a in agents]
        keep = self.current if self.current in names else (names[0] if names else None)
        self.agents = agents
        self.current = keep
        table.clear()
        for status in agents:
            a = status.agent
            limit = f"{status.limit_sats:,}/{status.period}" if status.limit_sats is not None else "—"
            table.add_row(
                plain(a.name), plain(a.state, style=STATE_STYLES.get(a.state, "dim")), plain(_short(status.owner, 10)),
                plain(a.wallet or "—"), plain(limit), plain(f"{status.spent_sats:,}"),
                plain(f"{status.left_sats:,}" if status.left_sats is not None else "—"), key=a.name,
            )
        table.display = bool(agents)
        if keep is not None:
            table.move_cursor(row=names.index(keep), animate=False)
        else:
            self._show_actions(None, None)
        if not table.display and table.has_focus:
            self.focus()
        elif table.display and self.has_focus:
            table.focus()
        self.refresh_bindings()

    async def _read_actions(self) -> None:
        from sovtui.agent.audit import AuditLog

        name = self.current
        if name is None:
            self._show_actions(None, None)
            return
        log = AuditLog.for_agent(self.ctx.paths.state_dir, name)
        read = await self.attempt(lambda: log.read(limit=RECENT))
        if self.current == name:
            self._show_actions(name, read)

    def _show_actions(self, name: str | None, read: AuditRead | None) -> None:
        line = self.query_one("#agent-line", Static)
        table = self.query_one("#actions-table", DataTable)
        status = next((a for a in self.agents if a.agent.name == name), None)
        self.actions = list(reversed(read.entries)) if read is not None else []  # newest first
        table.clear()
        for entry in self.actions:
            table.add_row(
                plain(when(entry.time)), plain(entry.tool), plain(brief_arguments(entry.arguments)),
                plain(f"{entry.sats:,}" if entry.sats else ""),
                plain(outcome_text(entry), style=OUTCOME_STYLES.get(entry.outcome, "")),
            )
        table.display = bool(self.actions)
        if status is None:
            line.update("")
        else:
            text = agent_line(status)
            if name in self.served:
                text += " · " + serve_line(self.served[name])
            if read is not None and read.damaged:
                text += f" · {len(read.damaged)} damaged log line(s) skipped"
            if read is not None and not read.entries:
                text += f" · {status.agent.name} has not acted yet"
            line.update(plain(text))
        line.display = status is not None
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "agents-table":
            return
        event.stop()
        name = str(event.row_key.value) if event.row_key.value is not None else None
        if name != self.current or not self.actions:
            self.current = name
            self.read_actions()

    @work(exclusive=True, group="agents-log", exit_on_error=False, description="Agents: read an agent's log")
    async def read_actions(self) -> None:
        await self._read_actions()

    # --- acting -------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id == "actions-table":
            self.action_view()
        else:
            actions = self.query_one("#actions-table", DataTable)
            if actions.display:
                actions.focus()

    def selected_action(self) -> AuditEntry | None:
        table = self.query_one("#actions-table", DataTable)
        row = table.cursor_row
        return self.actions[row] if self.actions and 0 <= row < len(self.actions) else None

    def action_view(self) -> None:
        from sovtui.ui.screens.text_view import TextViewScreen

        entry = self.selected_action()
        if entry is None:
            self.notify("no action to show: select one in the list of actions", severity="warning")
            return
        summary = f"{when(entry.time, '%Y-%m-%d %H:%M:%S')} · {outcome_text(entry)}"
        text = json.dumps(entry.to_dict(), indent=1, ensure_ascii=False)
        self.app.push_screen(TextViewScreen(f"{entry.agent}: {entry.tool}", text, summary=summary))

    @work(exclusive=True, group="vault", exit_on_error=False, description="Agents: unlock the vault")
    async def action_unlock(self) -> None:
        vault = self.ctx.vault
        if not vault.exists:
            self.notify("no vault yet: make your keys in the Keys pane (F3)", severity="warning")
        elif await ensure_open(self, vault, create=False):
            self.refresh_view()
