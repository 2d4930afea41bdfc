"""The sovereignty level as a row of five steps, the current one lit."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from sovtui.sovereignty import LEVEL_NAMES

SHORT = {0: "rented", 1: "own app", 2: "local model", 3: "own keys+money", 4: "agents"}


def meter_text(level: int | None, target: int | None = None) -> Text:
    text = Text()
    for n in range(5):
        if n:
            text.append("─", style="dim")
        lit = level is not None and n <= level
        style = "bold reverse" if level == n else ("bold" if lit else "dim")
        if target is not None and n == target and level is not None and n > level:
            style = "underline"
        text.append(f" {n} {SHORT[n]} ", style=style)
    return text


class LevelMeter(Static):
    DEFAULT_CSS = "LevelMeter { height: auto; }"

    def show(self, level: int | None, target: int | None = None) -> None:
        caption = f"\nlevel {level} of 4: {LEVEL_NAMES[level]}" if level is not None else "\nassessing…"
        self.update(meter_text(level, target) + Text(caption, style="bold"))
