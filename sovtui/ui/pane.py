"""What every pane shares: the typed app and context, and one way to run work.

A pane shows and routes. It asks a service (``sovtui.chat``, ``inference``,
``identity``, ``wallet``) and shows the answer; the rules it meets (a budget,
a public host's confirmation, a model that must exist) live in the service,
where the CLI and the agent meet the same ones. A pane reaches the app only
through this typed access and the messages in ``ui/messages.py``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.dom import DOMNode
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from sovtui.ui.work import ErrorSink, attempt, report_failed_worker, succeeds

if TYPE_CHECKING:
    from textual.app import App

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

    #: The pane's stylesheet(s), beside its module: paths relative to the file that defines
    #: the pane class, as a Screen's ``CSS_PATH``. Textual gives widgets no CSS_PATH, so a
    #: pane reads them into the app's stylesheet where Textual reads a widget's DEFAULT_CSS:
    #: when the first pane of its class is registered (panes are built lazily). The rules
    #: are not scoped: name the pane in each selector (``KeysPane #keys-table``).
    CSS_PATH: ClassVar[str | list[str] | None] = None

    @classmethod
    def css_paths(cls) -> list[Path]:
        """``CSS_PATH`` as absolute paths (Textual's rule for screens: relative to the class's module)."""
        if cls.CSS_PATH is None:
            return []
        paths = [cls.CSS_PATH] if isinstance(cls.CSS_PATH, str) else cls.CSS_PATH
        base = Path(inspect.getfile(cls)).parent
        return [(base / path).resolve() for path in paths]

    def _post_register(self, app: App[Any]) -> None:
        super()._post_register(app)
        for path in self.css_paths():
            if not app.stylesheet.has_source(str(path)):
                # add_source, not Stylesheet.read: read() leaves the selector map of the last parse in
                # place, so the first styling of this very pane would not see the new rules.
                app.stylesheet.add_source(path.read_text(encoding="utf-8"), read_from=(str(path), ""))

    @property
    def sovtui(self) -> SovtuiApp:
        return sovtui_app(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            report_failed_worker(self, self.ctx.paths.log_dir, event.worker)

    @property
    def ctx(self) -> Context:
        return self.sovtui.ctx

    def focus_target(self) -> Widget | None:
        """The widget a user most likely wants focused when the pane is shown."""
        return next((widget for widget in self.query("*") if widget.focusable), None)

    def focus_default(self) -> None:
        """Focus ``focus_target`` now.

        Not with ``Widget.focus``, which applies the focus at the loop's next
        turn: a key typed right after the pane's key (F3 then u, while the
        pane was still being built) was handled before that and went to the
        pane left behind, typing "u" into the chat prompt.
        """
        target = self.focus_target()
        if target is not None:
            self.screen.set_focus(target)

    async def attempt(self, work: Awaitable[T] | Callable[[], T], *, on_error: ErrorSink = None) -> T | None:
        """``work``'s value, or None once its SovtuiError is shown (see ``sovtui.ui.work``)."""
        return await attempt(self, work, on_error=on_error)

    async def succeeds(self, work: Awaitable[object] | Callable[[], object], *, on_error: ErrorSink = None) -> bool:
        """True when ``work`` finished without a SovtuiError (which is shown)."""
        return await succeeds(self, work, on_error=on_error)
