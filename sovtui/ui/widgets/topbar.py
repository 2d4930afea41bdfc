"""The one-line header: app name, where prompts go, and a status area.

Textual's Header is not used: its clock would repaint every second over SSH,
and the line is better spent on the host and its locality, which the user must
always be able to see. Host names and status lines (a pull's, quoting the
host) are shown through ``safe_line``.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from sovtui.net import Locality
from sovtui.text import safe_line


class TopBar(Horizontal):
    # All of the bar's look is here. (Rules for it in the app's stylesheet
    # would win over these whatever their specificity: they once made the
    # status ``auto`` wide while this said ``1fr``.) The host takes the room
    # left; the status sits beside the level, as wide as its text.
    DEFAULT_CSS = """
    TopBar { dock: top; height: 1; background: $panel; color: $foreground; }
    TopBar > Static { height: 1; }
    TopBar > .topbar--title { width: auto; padding: 0 1; background: $primary; color: $background; text-style: bold; }
    TopBar > #topbar-host { width: 1fr; padding: 0 1; }
    TopBar > #topbar-status { width: auto; padding: 0 1; color: $text-muted; }
    TopBar > #topbar-level { width: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("sovtui", classes="topbar--title")
        yield Static("", id="topbar-host")
        yield Static("", id="topbar-status")
        yield Static("", id="topbar-level")

    def set_host(self, name: str, url: str, locality: Locality) -> None:
        style = "bold red" if locality.is_public else "bold"
        text = Text.assemble(("host ", "dim"), (safe_line(name), "bold"), " ", (f"({locality.label})", style))
        text.append(f"  {safe_line(url)}", style="dim")
        self.query_one("#topbar-host", Static).update(text)

    def set_level(self, level: int, name: str) -> None:
        """The sovereignty level at a glance: the number and four pips, one filled per level (0 to 4); its name in the tooltip."""
        pips = "●" * level + "○" * (4 - level)
        widget = self.query_one("#topbar-level", Static)
        widget.update(Text.assemble(("level ", "dim"), (f"{level}", "bold"), " ", (pips, "bold")))
        widget.tooltip = f"sovereignty level {level} of 4: {name} (sovtui doctor; ctrl+p → Setup to raise it)"

    def set_status(self, status: str) -> None:
        self.query_one("#topbar-status", Static).update(Text(safe_line(status)))
