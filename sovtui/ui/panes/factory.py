"""Build the widget for each pane, importing its module only when it is shown."""

from __future__ import annotations

from textual.widget import Widget


def make_pane(pane_id: str, title: str) -> Widget:
    if pane_id == "chat":
        from sovtui.ui.panes.chat import ChatPane

        return ChatPane(id="chat-pane", classes="host-aware")
    if pane_id == "models":
        from sovtui.ui.panes.models import ModelsPane

        return ModelsPane(id="models-pane", classes="host-aware")
    if pane_id == "keys":
        from sovtui.ui.panes.keys import KeysPane

        return KeysPane(id="keys-pane")
    if pane_id == "wallet":
        from sovtui.ui.panes.wallet import WalletPane

        return WalletPane(id="wallet-pane")
    raise ValueError(f"no pane called {pane_id!r} ({title})")
