"""The sovtui Textual app: tabs for each pane, a top bar, a footer, a palette.

The app holds a ``Context`` (paths and config) and calls domain services from
workers; it owns no logic the CLI lacks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from functools import partial

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from sovtui.config import DEFAULT_THEME
from sovtui.context import Context
from sovtui.errors import ConfigError, SovtuiError
from sovtui.resources import themes_dir
from sovtui.text import safe_line, safe_text
from sovtui.ui.messages import HostChanged, SovereigntyChanged, StatusChanged
from sovtui.ui.panes import PANES
from sovtui.ui.panes.factory import PaneSlot, make_pane, pane_class
from sovtui.ui.themes import shipped_themes
from sovtui.ui.widgets.key_bar import KeyBar
from sovtui.ui.widgets.topbar import TopBar

#: The pane on screen when sovtui opens; the others are built after the first paint.
INITIAL_PANE = "chat"
#: The rest of the start (the other panes, the level) waits for the first screen at most this long (s).
FIRST_SCREEN_WAIT = 2.0


class SovtuiApp(App[int]):
    TITLE = "sovtui"
    CSS_PATH = str(themes_dir() / "sovtui.tcss")
    ENABLE_COMMAND_PALETTE = True
    # The prompt box has focus from the first frame: type and press enter at once.
    AUTO_FOCUS = "#prompt"

    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("ctrl+t", "next_pane", "Next pane", id="app.next_pane", priority=True),
        # Priority, as ctrl+t: the app acts on a pane's key when it reads it, so a key typed right
        # after it (F3 then n) goes to the new pane. Without, F3 first travels up from the focused
        # widget while the next key is already handed to that widget (an "n" in the chat prompt).
        *[
            Binding(pane.key, f"show_pane('{pane.id}')", pane.title, id=f"app.pane.{pane.id}", show=False, priority=True)
            for pane in PANES
        ],
    ]

    def __init__(self, ctx: Context, *, cursor_blink: bool = True, setup: bool = False, show_level: bool = True) -> None:
        super().__init__()
        #: Open the setup wizard once the app is up (first run, or ``sovtui setup``).
        self.open_setup = setup
        #: Assess the sovereignty level for the top bar (asks the configured model hosts).
        self.show_level = show_level
        # No animations: over SSH every repainted frame costs bytes and latency.
        self.animation_level = "none"
        self.ctx = ctx
        #: False in tests and snapshots: widgets with a cursor read this.
        self.cursor_blink = cursor_blink
        self._config_ok = False
        self._theme_at_start: str | None = None
        #: The user's ``[keys]``: binding id -> keys (see sovtui.ui.keymap).
        self.keymap: dict[str, str] = {}
        #: The host chosen in this session (None: OLLAMA_HOST or the config's default).
        self.host_name: str | None = None
        self.last_activity = time.monotonic()
        #: The idle build and a key press must not build a pane twice.
        self._pane_lock = asyncio.Lock()
        #: The first screen is out (``first_screen_shown``): the rest of the start may begin.
        self._first_screen = False
        self._level_wanted = False
        for theme in shipped_themes():
            self.register_theme(theme)
        self._choose_theme_early()

    def _choose_theme_early(self) -> None:
        """Start in the configured theme rather than switch to it once mounted.

        Set in ``on_mount``, the theme reached the screen just after the first
        frame: the stylesheet was parsed and every widget styled again, and
        the whole screen repainted (a flash of Textual's default colours and a
        second screenful of bytes over SSH). A config that cannot be read is
        reported in ``on_mount``; here it only means the default theme.
        """
        try:
            wanted = self.ctx.config.ui.theme
        except ConfigError:
            wanted = DEFAULT_THEME
        self.theme = wanted if wanted in self.available_themes else DEFAULT_THEME

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification, as plain text with its control characters removed.

        Notifications carry error messages, and those quote what came from
        outside (a wallet's or relay's reason, a model server's error). With
        Textual's default, markup, a ``[/]`` in such a message crashed the app
        and ``[link=...]`` made a clickable link; an ESC reached the terminal.
        No notification of sovtui's own uses markup, so ``markup`` is ignored
        (widgets' ``notify`` passes True explicitly).
        """
        del markup
        super().notify(safe_text(message), title=safe_line(title), severity=severity, timeout=timeout, markup=False)

    # --- crash report ---------------------------------------------------------

    def _fatal_error(self) -> None:
        """The report of an unexpected error: where it happened, never the values in the frames.

        Textual's own report renders ``Traceback(show_locals=True)``: every
        frame's variables on the user's screen and in their scrollback, which
        for a wallet request means the NWC secret and for the vault the
        passphrase. Ours is the same report with ``show_locals=False``. (This
        overrides Textual's ``App._fatal_error``, called from its
        ``_handle_exception``; tests/wallet/test_secrets_in_crashes.py holds
        the contract.)
        """
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    # --- layout ---------------------------------------------------------------

    async def on_event(self, event) -> None:  # type: ignore[no-untyped-def]
        from textual import events

        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_activity = time.monotonic()  # for the vault's idle lock
        await super().on_event(event)

    def compose(self) -> ComposeResult:
        yield TopBar()
        with TabbedContent(id="panes", initial=INITIAL_PANE):
            for pane in PANES:
                with TabPane(pane.title, id=pane.id):
                    yield make_pane(pane.id) if pane.id == INITIAL_PANE else PaneSlot(pane.id)
        yield KeyBar()

    async def pane(self, pane_id: str) -> Widget:
        """The pane's widget, built and mounted now if it was still a slot."""
        async with self._pane_lock:
            tab = self.query_one(f"#{pane_id}", TabPane)
            slot = tab.children[0] if tab.children else None
            if not isinstance(slot, PaneSlot):
                return slot  # type: ignore[return-value]
            if not tab.is_mounted:  # the app is closing
                return slot
            widget = make_pane(pane_id)
            await tab.mount(widget, before=slot)
            await slot.remove()
            return widget

    @work(group="panes", description="Building the other panes", exit_on_error=False)
    async def _build_remaining_panes(self) -> None:
        """Build the panes not on screen once the first frame is out, one at a time."""
        for spec in PANES:
            if not self.is_running or self._exit:
                return
            await self.pane(spec.id)
        self._check_keymap()

    def _check_keymap(self) -> None:
        """Say once which ``[keys]`` ids name no action: a typo would otherwise do nothing, silently."""
        from sovtui.ui.keymap import unknown_ids

        unknown = unknown_ids(self.keymap)
        if unknown:
            self.notify(
                f"config.toml [keys]: no action with the id {', '.join(unknown)} (the ids are listed in docs/configuration.md)",
                severity="warning",
                timeout=10,
            )

    def on_mount(self) -> None:
        self.watch(self.screen, "focused", self._keep_focus_in_pane, init=False)
        try:
            config = self.ctx.config
        except ConfigError as exc:
            from sovtui.ui.screens.config_error import ConfigErrorScreen

            self.theme = DEFAULT_THEME
            self.push_screen(ConfigErrorScreen(str(exc)), callback=self._config_fixed)
            return
        self._apply_config()
        self.theme_changed_signal.subscribe(self, self._save_theme)
        del config
        self.set_timer(FIRST_SCREEN_WAIT, self.first_screen_shown)

    def first_screen_shown(self) -> None:
        """The first screen is ready (the chat pane's list is on it): the rest of the start follows its frame.

        Building the other panes holds the event loop, and assessing the
        level imports the model client in a thread that takes turns at the
        interpreter lock; begun beside the first frame, they put a saved
        history's list about 300 ms behind an empty start (issue 19). The
        chat pane calls this once its first screenful is in; a timer calls it
        anyway in case that never happens. Only the first call counts.
        """
        if self._first_screen:
            return
        self._first_screen = True
        self.call_after_refresh(self._build_remaining_panes)
        if self._level_wanted:
            self.refresh_level()

    def _config_fixed(self, _: object = None) -> None:
        self._apply_config()
        self.theme_changed_signal.subscribe(self, self._save_theme)

    def _apply_config(self) -> None:
        config = self.ctx.config
        self._config_ok = True
        # The theme set here from config (or its fallback) is not a user's
        # choice, so it must not be written back over config.toml.
        self._theme_at_start = config.ui.theme if config.ui.theme in self.available_themes else DEFAULT_THEME
        if config.ui.theme in self.available_themes:
            self.theme = config.ui.theme
        else:
            self.theme = DEFAULT_THEME
            self.notify(f"unknown theme {config.ui.theme!r} in config.toml; using {DEFAULT_THEME}", severity="warning")
        self.keymap = config.keymap()
        self.set_keymap(self.keymap)
        self.refresh_host()
        if config.backend.autostart:
            self.run_worker(self._autostart(), group="backend", exclusive=True, description="start the model server", exit_on_error=False)
        if self.open_setup:
            self.open_setup = False
            self.action_setup()
        else:
            self.refresh_level()

    # --- setup and level --------------------------------------------------------------

    def action_setup(self) -> None:
        """The guided sovereignty setup, from the palette, ``sovtui setup`` or a first run."""
        from sovtui.ui.wizard.screen import WizardScreen

        def finished(level: int | None) -> None:
            self.host_changed()  # the wizard may have set the default host and model
            self.refresh_level()

        self.push_screen(WizardScreen(), finished)

    def refresh_level(self) -> None:
        """Assess the level again (after anything that may change it) and show it in the top bar.

        The assessment imports the model client and asks every configured host
        for its models: it waits for the next paint and runs in a thread with
        its own event loop, so neither the first screen nor typing waits on it.
        """
        if not self._first_screen:  # at start: once the first screen is out
            self._level_wanted = True
        elif self.show_level:
            self.call_after_refresh(
                partial(self.run_worker, self._assess_level, thread=True, group="level", exclusive=True, description="Assessing the sovereignty level", exit_on_error=False)
            )

    def on_sovereignty_changed(self, message: SovereigntyChanged) -> None:
        self.refresh_host()  # a server started or stopped: the built-in engine's address comes and goes with it
        self.refresh_level()
        # Panes that show what the level is made of (the Agents pane) read it again.
        for pane in self.screen_stack[0].query(".sovereignty-aware") if self.screen_stack else ():
            refresh = getattr(pane, "sovereignty_changed", None)
            if refresh:
                refresh()

    def _assess_level(self) -> None:
        import asyncio

        from sovtui.sovereignty import assess, gather_state

        try:
            assessment = assess(asyncio.run(gather_state(self.ctx, timeout=3.0, files=False)))
        except SovtuiError:
            return
        try:
            self.call_from_thread(self.query_one(TopBar).set_level, assessment.level, assessment.level_name)
        except RuntimeError:  # the app closed while the hosts were asked
            pass

    async def _autostart(self) -> None:
        """Start the default host's server here (Ollama, or the built-in engine) if the config asks for it and nothing answers."""
        from sovtui.net import Locality

        try:
            server = self.ctx.server(self.host_name)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        if server.target.locality is not Locality.THIS_MACHINE:
            return
        try:
            status = await server.start(lambda message, elapsed: self.set_status(f"{message} {elapsed:.0f}s"))
        except SovtuiError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        finally:
            self.set_status("")
            self.post_message(SovereigntyChanged())  # the top bar's address and level, whatever came of it
        if status.managed:
            self.notify(f"{server.engine} is running at {status.url}")

    async def action_quit(self) -> None:
        if self._config_ok and self.ctx.config.backend.stop_at_exit:
            try:
                server = self.ctx.server(self.host_name)
                if server.managed_pid() is not None:
                    await server.stop()
            except SovtuiError:
                pass
        self.exit(0)

    def refresh_host(self) -> None:
        try:
            target = self.ctx.host(self.host_name)
        except SovtuiError as exc:
            self.query_one(TopBar).set_status(str(exc))
            return
        self.query_one(TopBar).set_host(target.name, target.address, target.locality)

    def set_host(self, name: str) -> None:
        """Send prompts and model commands to another configured host (this session)."""
        self.host_name = name
        self.host_changed()

    def host_changed(self) -> None:
        """Where prompts go may have changed (a host chosen, the wizard, a default model): the top bar and the host-aware panes show it again."""
        self.refresh_host()
        for pane in self.query(".host-aware"):
            refresh = getattr(pane, "action_refresh", None)
            if refresh:
                refresh()

    def set_status(self, text: str) -> None:
        try:
            self.query_one(TopBar).set_status(text)
        except NoMatches:  # the app is closing: a pull stopped by it says so last
            pass

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers, like the panes' (``Pane``): a bug is said and logged, the app goes on."""
        if event.state == WorkerState.ERROR:
            from sovtui.ui.work import report_failed_worker

            report_failed_worker(self, self.ctx.paths.log_dir, event.worker)

    def on_status_changed(self, message: StatusChanged) -> None:
        self.set_status(message.text)

    def on_host_changed(self, message: HostChanged) -> None:
        self.host_changed()

    # --- theme ----------------------------------------------------------------

    def _save_theme(self, theme: object) -> None:
        name = getattr(theme, "name", None)
        if self._theme_at_start is not None:
            if name == self._theme_at_start:
                return
            self._theme_at_start = None
        if not self._config_ok or not name or name == self.ctx.config.ui.theme:
            return
        self.run_worker(partial(self._write_theme, name), thread=True, group="config", description="Saving the theme", exit_on_error=False)

    def _write_theme(self, name: str) -> None:
        def change(config) -> None:  # type: ignore[no-untyped-def]
            config.ui.theme = name

        try:
            self.ctx.update_config(change)
        except SovtuiError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error")

    # --- navigation -----------------------------------------------------------

    @property
    def active_pane(self) -> str:
        return self.query_one("#panes", TabbedContent).active

    async def action_show_pane(self, pane_id: str) -> None:
        if not isinstance(self.screen, Screen) or self.screen is not self.screen_stack[0]:
            return
        await self.pane(pane_id)
        tabs = self.query_one("#panes", TabbedContent)
        tabs.active = pane_id
        # At once, so the next key goes to the pane; if the tab is not shown yet and
        # nothing in it can take focus, _keep_focus_in_pane finishes the job.
        self._focus_pane(pane_id)

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab chosen with the mouse or the arrows on the tab bar: build its pane if needed."""
        if event.pane.id and event.pane.children and isinstance(event.pane.children[0], PaneSlot):
            await self.pane(event.pane.id)

    async def action_next_pane(self) -> None:
        ids = [pane.id for pane in PANES]
        current = ids.index(self.active_pane) if self.active_pane in ids else -1
        await self.action_show_pane(ids[(current + 1) % len(ids)])

    def _keep_focus_in_pane(self, focused: Widget | None) -> None:
        """Give focus back to the pane on screen when it goes to nobody.

        A widget hidden while it has focus (a table swapped for a message, a
        pane switched in under a late Hide event) hands focus to no one, and
        the pane's keys would go dead until tab was pressed.
        """
        if focused is None:
            self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        # Checked when it runs, not when focus was lost: by then a dialog may be open or focus back.
        if self._exit or self.screen is not self.screen_stack[0] or self.screen.focused is not None:
            return
        try:
            self._focus_pane(self.active_pane, clear=False)
        except NoMatches:  # closing
            pass

    def _focus_pane(self, pane_id: str, *, clear: bool = True) -> None:
        pane = self.query_one(f"#{pane_id}", TabPane)
        focus_default = getattr(pane.children[0], "focus_default", None) if pane.children else None
        if focus_default is not None:
            focus_default()
            return
        for widget in pane.query("*"):
            if widget.focusable:
                widget.focus()
                return
        if clear:
            self.screen.set_focus(None)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("Setup: guided sovereignty setup", "From renting AI to owning it, one step at a time", self.action_setup)
        from sovtui.ui.keymap import palette_help

        for pane in PANES:
            yield SystemCommand(
                f"Go to {pane.title}",
                palette_help(self, self.keymap, type(self), f"show_pane('{pane.id}')", pane.description),
                partial(self.action_show_pane, pane.id),
            )
        for pane in PANES:
            cls = pane_class(pane.id)
            for title, help_text, action in cls.PALETTE:
                yield SystemCommand(title, palette_help(self, self.keymap, cls, action, help_text), partial(self._pane_action, pane.id, action))
        yield from super().get_system_commands(screen)

    def _pane_action(self, pane_id: str, action: str) -> None:
        async def run() -> None:
            widget = await self.pane(pane_id)
            await self.action_show_pane(pane_id)
            await widget.run_action(action)

        # Queued on the base screen, behind the ScreenResume the closing palette
        # posted there: resuming restores the old focus, which would pull the
        # tab back to the pane that focus is in.
        self.screen_stack[0].call_later(run)


def run(ctx: Context, *, setup: bool | None = None) -> int:
    """Run the TUI until the user quits; the process exit code.

    The setup wizard opens by itself on a first run (no config.toml yet).
    """
    if setup is None:
        setup = not ctx.paths.config_file.exists()
    app = SovtuiApp(ctx, setup=setup)
    result = app.run()
    return int(result or app.return_code or 0)
