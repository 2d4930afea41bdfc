"""Agent: a key for an AI acting for you, with a signed credential and a spending limit."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from sovtui.amounts import parse_sats
from sovtui.errors import SovtuiError
from sovtui.ui.wizard.steps.base import Step


class AgentStep(Step):
    TITLE = "An agent (optional)"

    def compose(self) -> ComposeResult:
        yield Static(
            "An AI agent acting for you gets its own key and a credential signed by yours: "
            '"this agent may spend up to N sats per day", verifiable by anyone, revocable by you.',
        )
        yield Static("", id="agent-state")
        yield Input(value="agent", placeholder="a label for the agent's key", id="agent-label")
        yield Input(value="1000", placeholder="spending limit in sats", id="agent-limit")
        yield Select([("per day", "day"), ("per week", "week"), ("per month", "month")], value="day", allow_blank=False, id="agent-period")
        yield Input(placeholder="your vault passphrase", password=True, id="agent-pass")
        yield Static("", id="agent-error")

    def entered(self) -> None:
        self.show_passphrase_if_locked("#agent-pass")
        self.query_one("#agent-label", Input).focus()

    def primary_label(self) -> str:
        return "Create the agent"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.wizard.action_primary()

    async def confirm(self) -> bool:
        from sovtui.setup import create_agent, owner_keys

        if not await self.vault_open("#agent-pass", "#agent-error"):
            return False
        owners = owner_keys(self.ctx)
        if not owners:
            self.say("#agent-error", "an agent's credential is signed by your owner key: make one first (esc goes back)", "error")
            return False
        try:
            limit = parse_sats(self.value("#agent-limit"), "limit")
        except SovtuiError as exc:
            self.say("#agent-error", str(exc), "error")
            return False
        label = self.value("#agent-label") or "agent"
        period = str(self.query_one(Select).value)
        event = await self.in_thread(lambda: create_agent(self.ctx, label, limit, period, owner=owners[0].label), "#agent-error")
        if event is None:
            return False
        self.wizard.note(f"created the agent key {label} with a credential for {limit:,} sats per {period}, signed by {owners[0].label}")
        return True
