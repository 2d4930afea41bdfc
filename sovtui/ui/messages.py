"""Messages any pane may post to the app."""

from __future__ import annotations

from textual.message import Message


class SovereigntyChanged(Message):
    """Something the sovereignty level is made of may have changed.

    Posted after a model is pulled or deleted, a server started or stopped, a
    key made, imported or deleted, a wallet connected, removed or budgeted. The
    app assesses the level again for the top bar: panes need not know how the
    level is computed, nor that it is shown.
    """


class HostChanged(Message):
    """The configured hosts or the default host changed (a pane or the wizard wrote config.toml).

    The app reads the host again for the top bar; panes that show host-bound
    data refresh when the app tells them.
    """


class StatusChanged(Message):
    """A line for the top bar's status: what a long piece of work is doing now."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
