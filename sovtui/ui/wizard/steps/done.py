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

    @work(exclusive=True, group="done")
    async def assess(self) -> None:
        from sovtui.sovereignty import assess, gather_state

        assessment = assess(await gather_state(self.ctx, timeout=3.0))
        self.level = assessment.level
        before = self.wizard.level_at_start
        self.query_one(LevelMeter).show(assessment.level, self.wizard.target)
        moved = f"from level {before} to level {assessment.level}" if before is not None and before != assessment.level else f"level {assessment.level}"
        todo = [f"→ {f.title}: {f.next_step}" for f in assessment.findings if f.severity != "ok"][:3]
        self.say("#done-next", f"You are at {moved}.\n" + "\n".join(todo), "hint")

    def primary_label(self) -> str:
        return "Open sovtui"
