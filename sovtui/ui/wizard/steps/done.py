"""Done: the level now, assessed again from the machine, and what changed."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from sovtui.ui.wizard.meter import LevelMeter
from sovtui.ui.wizard.steps.base import Step


class DoneStep(Step):
    TITLE = "Done"

    level: int | None = None

    def compose(self) -> ComposeResult:
        yield LevelMeter(id="done-meter")
        yield Static("", id="done-changes")
        yield Static("", id="done-next", classes="hint")

    def entered(self) -> None:
        self.query_one(LevelMeter).show(None)
        wizard = self.wizard
        changed = "\n".join(f"✓ {c}" for c in wizard.changes) or "nothing was changed"
        skipped = f"\nSkipped: {', '.join(wizard.skipped)}. Resume any time: ctrl+p → Setup, or 'sovtui setup'." if wizard.skipped else ""
        self.say("#done-changes", f"What changed:\n{changed}{skipped}")
        self.assess()

    @work(exclusive=True, group="done", exit_on_error=False, description="Setup: assess the level again")
    async def assess(self) -> None:
        from sovtui.sovereignty import assess, gather_state

        state = await self.attempt(gather_state(self.ctx, timeout=3.0), "#done-next")
        if state is None:
            return
        assessment = assess(state)
        self.level = assessment.level
        self.query_one(LevelMeter).show(assessment.level, self.wizard.target)
        todo = [f"→ {f.title}: {f.next_step}" for f in assessment.findings if f.severity != "ok"][:3]
        self.say("#done-next", where_you_are(self.wizard.level_at_start, assessment.level) + "\n" + "\n".join(todo), "hint")

    def primary_label(self) -> str:
        return "Open sovtui"


def where_you_are(before: int | None, now: int) -> str:
    """The level now, and the one the wizard started from when it moved: one sentence."""
    if before is None or before == now:
        return f"You are at level {now}."
    return f"You went from level {before} to level {now}."
