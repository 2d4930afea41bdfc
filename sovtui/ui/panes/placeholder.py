"""A pane whose feature has not landed yet says what it will hold."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class PlaceholderPane(VerticalScroll):
    def __init__(self, title: str, lines: list[str], **kwargs: object) -> None:
        super().__init__(classes="pane", **kwargs)  # type: ignore[arg-type]
        self._title = title
        self._lines = lines

    def compose(self) -> ComposeResult:
        yield Static(self._title, classes="placeholder--title")
        yield Static("\n".join(self._lines), classes="placeholder")
