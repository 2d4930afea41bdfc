"""Build the widget for each pane, importing its module only when it is needed.

Only the pane on screen is built before the first paint; the others stand as a
``PaneSlot`` until they are first shown, or until the app is idle just after
the first paint (``SovtuiApp`` fills them in then), so starting sovtui costs
one pane's imports and layout, not five.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

if TYPE_CHECKING:
    from sovtui.ui.pane import Pane


class PaneSlot(Widget):
    """An empty stand-in for a pane that has not been built yet."""

    DEFAULT_CSS = "PaneSlot { display: none; }"

    def __init__(self, pane_id: str) -> None:
        super().__init__()
        self.pane_id = pane_id


def pane_class(pane_id: str) -> type[Pane]:
    if pane_id == "chat":
        from sovtui.ui.panes.chat import ChatPane

        return ChatPane
    if pane_id == "models":
        from sovtui.ui.panes.models import ModelsPane

        return ModelsPane
    if pane_id == "keys":
        from sovtui.ui.panes.keys import KeysPane

        return KeysPane
    if pane_id == "wallet":
        from sovtui.ui.panes.wallet import WalletPane

        return WalletPane
    if pane_id == "agents":
        from sovtui.ui.panes.agents import AgentsPane

        return AgentsPane
    raise ValueError(f"no pane called {pane_id!r}")


def make_pane(pane_id: str) -> Pane:
    classes = {"chat": "host-aware", "models": "host-aware", "agents": "sovereignty-aware"}.get(pane_id)
    return pane_class(pane_id)(id=f"{pane_id}-pane", classes=classes)
