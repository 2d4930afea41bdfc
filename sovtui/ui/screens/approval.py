"""The owner's approval of an agent's payment: the decoded invoice, what is left, Pay or Decline.

``ask_approval`` is what a front end passes as ``AgentRunner``'s (or
``Toolbox``'s) ``approve``: the guard calls it only for a payment that has
passed the credential and the budget (docs/agents.md, "How the limits
stack"), and pays only on True. Spending money takes a deliberate key: the
focus starts on Decline, ``y`` or Pay pays, ``n``, escape or enter on
Decline declines. The rows are ``ApprovalRequest.summary()``'s; the
invoice's description came from whoever wrote it, so every value is shown
through ``plain``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from sovtui.text import safe_line
from sovtui.ui.plain import plain

if TYPE_CHECKING:
    from sovtui.agent.guard import ApprovalRequest

#: Rows of ``ApprovalRequest.summary()`` left out: the network is checked by the wallet service, the hash is in the log.
_LEFT_OUT = frozenset({"network", "payment hash"})


def approval_rows(request: ApprovalRequest) -> Text:
    """The request's label and value rows, aligned, every value as plain text."""
    rows = [(label, value) for label, value in request.summary(short=True) if label not in _LEFT_OUT]
    width = max(len(label) for label, _ in rows)
    lines = [Text.assemble((f"{label:>{width}}  ", "bold"), plain(value)) for label, value in rows]
    return Text("\n", end="").join(lines)


class ApprovalScreen(ModalScreen[bool]):
    """Pay (True) or decline (False) one payment an agent asked to make."""

    CSS_PATH = "approval.tcss"
    BINDINGS = [
        Binding("escape", "decline", "Decline", id="approval.decline"),
        Binding("n", "decline", "Decline", id="approval.no", show=False),
        Binding("y", "approve", "Pay", id="approval.pay"),
        Binding("left,right", "switch", "Switch button", id="approval.switch", show=False),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(f"{self.request.agent.name} asks to pay"), classes="approval--title")
            yield Static(approval_rows(self.request), id="approval-rows")
            yield Static(plain(self.request.question()), id="approval-question")
            with Horizontal():
                yield Button("Decline", id="decline")
                yield Button(safe_line(f"Pay {self.request.plan.amount_sat:,} sats"), id="pay", variant="warning")
            yield Static("y pays · n or esc declines", classes="approval--hint")

    def on_mount(self) -> None:
        self.query_one("#decline", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "pay")

    def action_switch(self) -> None:
        target = "#pay" if self.focused is not None and self.focused.id == "decline" else "#decline"
        self.query_one(target, Button).focus()

    def action_approve(self) -> None:
        self.dismiss(True)

    def action_decline(self) -> None:
        self.dismiss(False)


async def ask_approval(app: App[Any], request: ApprovalRequest) -> bool:
    """Ask the owner in a dialog; True to pay. Call it from a worker (the agent's exchange runs in one)."""
    screen: Screen[Any] = ApprovalScreen(request)
    return bool(await app.push_screen_wait(screen))
