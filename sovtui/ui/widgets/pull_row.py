"""One line for a model download: what is pulled, how far, how fast, and a bar.

Hidden while nothing is pulled. The status line is the host's words: shown
through ``safe_line``, as plain Text.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from sovtui.inference.types import PullProgress, human_duration, human_size
from sovtui.text import safe_line


def pull_text(name: str, progress: PullProgress) -> str:
    """``pulling NAME: 42% 1.1 GB/2.6 GB 30.0 MB/s ETA 50s`` (or the host's status while there are no bytes)."""
    if progress.total and progress.digest:
        return (
            f"pulling {safe_line(name)}: {progress.percent:.0f}% {human_size(progress.completed)}/{human_size(progress.total)}"
            f" {human_size(progress.speed)}/s ETA {human_duration(progress.eta)}"
        )
    return f"pulling {safe_line(name)}: {safe_line(progress.status)}"


class PullRow(Horizontal):
    DEFAULT_CSS = """
    PullRow { height: 1; display: none; }
    PullRow.-active { display: block; }
    PullRow > #pull-label { width: 1fr; }
    PullRow > #pull-bar { width: 34; }
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="pull-label")
        yield ProgressBar(total=100, show_eta=False, id="pull-bar")

    def begin(self, name: str) -> None:
        self.add_class("-active")
        self.query_one("#pull-label", Label).update(Text(f"pulling {safe_line(name)}: starting"))
        self.query_one("#pull-bar", ProgressBar).update(total=100, progress=0)

    def advance(self, name: str, progress: PullProgress) -> None:
        self.query_one("#pull-label", Label).update(Text(pull_text(name, progress)))
        self.query_one("#pull-bar", ProgressBar).update(progress=progress.percent)

    def end(self) -> None:
        self.remove_class("-active")
