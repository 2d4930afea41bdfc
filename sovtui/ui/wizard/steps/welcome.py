"""Welcome: where you are on the spectrum, and where you want to get to."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sovtui.ui.wizard.meter import LevelMeter
from sovtui.ui.wizard.steps.base import Step

TARGETS = [
    (2, "Level 2 · local inference: your models answer on your own hardware"),
    (3, "Level 3 · sovereign: plus your own keys and your own Lightning wallet"),
    (4, "Level 4 · autonomous: plus an agent key that may spend within a budget"),
]


class WelcomeStep(Step):
    TITLE = "Welcome"

    def compose(self) -> ComposeResult:
        yield Static(
            "From renting AI to owning it. This setup looks at this machine and "
            "takes you one step at a time; each step can be skipped and done later "
            "(ctrl+p → Setup, or 'sovtui setup'), and nothing is written until you confirm it.",
        )
        yield LevelMeter(id="welcome-meter")
        yield Static("", id="welcome-findings", classes="hint")
        yield Static("Where do you want to get to?")
        yield OptionList(*[Option(label, id=str(level)) for level, label in TARGETS], id="welcome-target")

    _suggested = False

    def on_mount(self) -> None:
        self.query_one(LevelMeter).show(None)
        self.query_one(OptionList).highlighted = 1

    def entered(self) -> None:
        self.query_one(OptionList).focus()
        self.assess()

    @work(exclusive=True, group="welcome", exit_on_error=False, description="Setup: assess the level")
    async def assess(self) -> None:
        from sovtui.sovereignty import assess, gather_state

        state = await self.attempt(gather_state(self.ctx, timeout=3.0), "#welcome-findings")
        if state is None:
            return
        assessment = assess(state)
        self.wizard.level_at_start = assessment.level
        self.query_one(LevelMeter).show(assessment.level)
        todo = [f"→ {f.title}" for f in assessment.findings if f.severity != "ok"][:4]
        self.say("#welcome-findings", "\n".join(todo), "hint")
        if not self._suggested:
            # Suggest the next level up (at least 2, at most 4); the user may pick another.
            self.query_one(OptionList).highlighted = max(0, min(2, assessment.level + 1 - 2))
            self._suggested = True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.wizard.action_primary()

    async def confirm(self) -> bool:
        options = self.query_one(OptionList)
        index = options.highlighted if options.highlighted is not None else 1
        self.wizard.target = TARGETS[index][0]
        return True

    def primary_label(self) -> str:
        return "Start"
