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
