"""Build the widget for each pane. Features replace their placeholder here."""

from __future__ import annotations

from textual.widget import Widget

from sovtui.ui.panes.placeholder import PlaceholderPane

_COMING = {
    "wallet": [
        "Your Lightning wallet will live here, over Nostr Wallet Connect:",
        "balance, send, receive, history and the budgets you set.",
    ],
}


def make_pane(pane_id: str, title: str) -> Widget:
    if pane_id == "chat":
        from sovtui.ui.panes.chat import ChatPane

        return ChatPane(id="chat-pane", classes="host-aware")
    if pane_id == "keys":
        from sovtui.ui.panes.keys import KeysPane

        return KeysPane(id="keys-pane")
    if pane_id == "models":
        from sovtui.ui.panes.models import ModelsPane

        return ModelsPane(id="models-pane", classes="host-aware")
    return PlaceholderPane(f"{title} — not here yet", _COMING[pane_id], id=f"{pane_id}-pane")
