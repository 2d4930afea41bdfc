"""The wizard's frame: a step at a time, with Back, Skip and the step's own action.

Which steps appear depends on the level the user aims for (chosen on the
welcome step). A step writes nothing until its primary button is pressed;
Skip moves on without writing; Back returns to the previous step with what
was typed still there. The last step shows the new level, assessed from the
machine again, and what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Static

from sovtui.ui.pane import sovtui_app
from sovtui.ui.wizard.steps import AgentStep, DoneStep, IdentityStep, InferenceStep, Step, WalletStep, WelcomeStep
from sovtui.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from sovtui.context import Context

#: Steps shown for each target level, after the welcome step.
PLAN = {
    2: ("inference",),
    3: ("inference", "identity", "wallet"),
    4: ("inference", "identity", "wallet", "agent"),
}


class WizardScreen(Screen[int | None]):
    CSS_PATH = "wizard.tcss"

    BINDINGS = [
        Binding("escape", "back", "Back", id="wizard.back"),
        Binding("ctrl+n", "skip", "Skip step", id="wizard.skip"),
        Binding("ctrl+g", "primary", "Do it", id="wizard.primary"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.target = 3
        self.index = 0
        self.changes: list[str] = []
        self.skipped: list[str] = []
        self.level_at_start: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="wizard-head")
        with VerticalScroll(id="wizard-body"):
            with ContentSwitcher(initial="welcome"):
                yield WelcomeStep(id="welcome")
                yield InferenceStep(id="inference")
                yield IdentityStep(id="identity")
                yield WalletStep(id="wallet")
                yield AgentStep(id="agent")
                yield DoneStep(id="done")
        with Horizontal(id="wizard-buttons"):
            yield Button("Back", id="wizard-back")
            yield Button("Skip", id="wizard-skip")
            yield Button("Next", id="wizard-primary", variant="primary")
        yield KeyBar()

    @property
    def ctx(self) -> Context:
        return sovtui_app(self).ctx

    @property
    def order(self) -> list[str]:
        return ["welcome", *PLAN[self.target], "done"]

    @property
    def step(self) -> Step:
        return self.query_one(f"#{self.order[self.index]}", Step)

    def on_mount(self) -> None:
        self.show_step()

    def show_step(self) -> None:
        step = self.step
        self.query_one(ContentSwitcher).current = step.id
        count = len(self.order)
        self.query_one("#wizard-head", Static).update(f"Setup · step {self.index + 1} of {count} · {step.TITLE}")
        self.query_one("#wizard-back", Button).label = "Close" if self.index == 0 else "Back"
        self.query_one("#wizard-skip", Button).display = 0 < self.index < count - 1
        self.refresh_primary()
        self.query_one("#wizard-body", VerticalScroll).scroll_home(animate=False)
        step.entered()

    def refresh_primary(self) -> None:
        self.query_one("#wizard-primary", Button).label = self.step.primary_label()

    def note(self, *changes: str) -> None:
        self.changes.extend(c for c in changes if c)

    # --- moving ---------------------------------------------------------------

    def action_back(self) -> None:
        if self.index == 0:
            self.close()
            return
        self.index -= 1
        self.show_step()

    def action_skip(self) -> None:
        if 0 < self.index < len(self.order) - 1:
            self.skipped.append(self.step.TITLE)
            self.forward()

    def forward(self) -> None:
        if self.index < len(self.order) - 1:
            self.index += 1
            self.show_step()

    def action_primary(self) -> None:
        self.confirm_step()

    @work(exclusive=True, group="wizard-step", exit_on_error=False, description="Setup: do what the step offers")
    async def confirm_step(self) -> None:
        step = self.step
        button = self.query_one("#wizard-primary", Button)
        button.disabled = True
        try:
            done = await step.confirm()
        finally:
            button.disabled = False
        if step is not self.step:
            return
        if isinstance(step, DoneStep) and done:
            self.close(step.level)
            return
        if done:
            self.forward()
        else:
            self.refresh_primary()

    def close(self, level: int | None = None) -> None:
        from sovtui.errors import SovtuiError
        from sovtui.setup import mark_seen

        try:
            mark_seen(self.ctx)
        except (SovtuiError, OSError) as exc:  # a config.toml that does not parse is reported, never overwritten
            self.notify(str(exc), severity="error")
        self.dismiss(level)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers: dict[str, Callable[[], object]] = {"wizard-back": self.action_back, "wizard-skip": self.action_skip, "wizard-primary": self.action_primary}
        handler = handlers.get(event.button.id or "")
        if handler is not None:
            event.stop()
            handler()
