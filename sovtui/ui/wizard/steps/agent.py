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

    def _refused(self, exc: SovtuiError) -> None:
        from sovtui.identity.errors import MissingKeys

        hint = " (esc goes back to the identity step)" if isinstance(exc, MissingKeys) else ""
        self.say("#agent-error", f"{exc}{hint}", "error")

    async def confirm(self) -> bool:
        from sovtui.setup import create_agent
        from sovtui.ui.work import attempt

        if not await self.vault_open("#agent-pass", "#agent-error"):
            return False
        text = self.value("#agent-limit")
        limit = await self.attempt(lambda: parse_sats(text, "limit"), "#agent-error")
        if limit is None:
            return False
        label = self.value("#agent-label") or "agent"
        period = str(self.query_one(Select).value)
        # The owner key that signs, and whether the terms hold, are create_agent's to say.
        made = await attempt(self, lambda: create_agent(self.ctx, label, limit, period), on_error=self._refused)
        if made is None:
            return False
        self.wizard.note(f"created the agent key {label} with a credential for {limit:,} sats per {period}, signed by {made.owner}")
        return True
