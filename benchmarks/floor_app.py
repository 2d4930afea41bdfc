"""The floor for a Textual app's start-up: one Static, no CSS, nothing to load.

The start-up benchmark runs it beside sovtui so that a first-paint figure can
be read against what Textual itself needs on the same machine.
"""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Floor(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("the smallest Textual app: one Static " * 20)


if __name__ == "__main__":
    Floor().run()
