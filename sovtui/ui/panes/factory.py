"""Build the widget for each pane. Features replace their placeholder here."""

from __future__ import annotations

from textual.widget import Widget

from sovtui.ui.panes.placeholder import PlaceholderPane

_COMING = {
    "chat": [
        "Conversations with your models will live here: streaming replies,",
        "personas, history saved in your data folder, export to Markdown.",
    ],
    "models": [
        "Your Ollama hosts and models will live here: start and stop the",
        "server, pull, delete and choose models, see what is loaded.",
    ],
    "keys": [
        "Your Nostr keys will live here, encrypted with your passphrase:",
        "generate, import, export, sign, and issue agent credentials.",
    ],
    "wallet": [
        "Your Lightning wallet will live here, over Nostr Wallet Connect:",
        "balance, send, receive, history and the budgets you set.",
    ],
}


def make_pane(pane_id: str, title: str) -> Widget:
    return PlaceholderPane(f"{title} — not here yet", _COMING[pane_id], id=f"{pane_id}-pane")
