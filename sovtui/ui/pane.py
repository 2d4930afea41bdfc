"""What every pane shares: the typed app and context, and one way to run work.

A pane shows and routes. It asks a service (``sovtui.chat``, ``inference``,
``identity``, ``wallet``) and shows the answer; the rules it meets (a budget,
a public host's confirmation, a model that must exist) live in the service,
where the CLI and the agent meet the same ones. A pane reaches the app only
through this typed access and the messages in ``ui/messages.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.dom import DOMNode
from textual.widget import Widget

from sovtui.ui.work import ErrorSink, attempt, succeeds

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.ui.app import SovtuiApp

T = TypeVar("T")


def sovtui_app(node: DOMNode) -> SovtuiApp:
    """The running app, typed: every sovtui screen and widget runs inside ``SovtuiApp``."""
    return cast("SovtuiApp", node.app)


class Pane(Widget):
    """A pane of the main screen (Chat, Models, Keys, Wallet)."""

    #: (title, help, action) for the command palette; the key is added from the bindings.
    PALETTE: ClassVar[tuple[tuple[str, str, str], ...]] = ()

    DEFAULT_CSS = "Pane { height: 1fr; }"

    @property
    def sovtui(self) -> SovtuiApp:
        return sovtui_app(self)

    @property
    def ctx(self) -> Context:
        return self.sovtui.ctx

    def focus_default(self) -> None:
        """Give focus to the widget a user most likely wants when the pane is shown."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return

    async def attempt(self, work: Awaitable[T] | Callable[[], T], *, on_error: ErrorSink = None) -> T | None:
        """``work``'s value, or None once its SovtuiError is shown (see ``sovtui.ui.work``)."""
        return await attempt(self, work, on_error=on_error)

    async def succeeds(self, work: Awaitable[object] | Callable[[], object], *, on_error: ErrorSink = None) -> bool:
        """True when ``work`` finished without a SovtuiError (which is shown)."""
        return await succeeds(self, work, on_error=on_error)
