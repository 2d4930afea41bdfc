"""The Models pane: what is installed and loaded on a host, and the server itself.

It shows and routes: every call is ``sovtui.inference``'s (the same services
as ``sovtui models`` and ``sovtui backend``), run in workers through
``attempt``. The rules are there too: which model is the default and how one
becomes it (``set_default_model``: only one the host has), what a model name
may be, how the list sorts. A pull runs in a worker that belongs to the pane,
so it keeps going while the user chats, and its progress shows in the top bar
too. A host that cannot be reached is an inline message with the next step,
never a crash.

Versions and the loaded models' names come from the host: shown through
``safe_line`` as plain Text (the table and the pull line do the same).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from sovtui.errors import SovtuiError
from sovtui.inference import models as service
from sovtui.inference.hosts import HostTarget
from sovtui.inference.server import start_server, stop_server
from sovtui.inference.types import LoadedModel, ModelInfo
from sovtui.net import Locality
from sovtui.text import safe_line, safe_text
from sovtui.ui.messages import HostChanged, SovereigntyChanged, StatusChanged
from sovtui.ui.pane import Pane
from sovtui.ui.widgets.model_table import ModelTable, loaded_line
from sovtui.ui.widgets.pull_row import PullRow


class ModelsPane(Pane, can_focus=True):
    CSS_PATH = "models.tcss"

    BINDINGS = [
        Binding("p", "pull", "Pull", id="models.pull"),
        Binding("d", "delete", "Delete", id="models.delete"),
        Binding("f", "set_default", "Default", id="models.default"),
        Binding("u", "unload", "Unload", id="models.unload", show=False),
        Binding("s", "sort", "Sort", id="models.sort", show=False),
        Binding("h", "switch_host", "Host", id="models.host"),
        Binding("r", "refresh", "Refresh", id="models.refresh", show=False),
        Binding("S", "start_server", "Start server", id="models.start", show=False),
        Binding("T", "stop_server", "Stop server", id="models.stop", show=False),
        Binding("c", "cancel_pull", "Cancel pull", id="models.cancel_pull", show=False),
    ]

    #: Commands for the palette: (title, help, action on this pane).
    PALETTE = (
        ("Models: pull a model", "Download a model onto the current host", "pull"),
        ("Models: start Ollama", "Start 'ollama serve' on this machine", "start_server"),
        ("Models: stop Ollama", "Stop the Ollama server sovtui started", "stop_server"),
        ("Models: switch host", "Choose where prompts and model commands go", "switch_host"),
        ("Models: refresh", "Ask the host again", "refresh"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.models: list[ModelInfo] = []
        self.loaded: list[LoadedModel] | None = []  # None: the host does not say
        self.sort_key = "name"
        self.pulling: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="models-server")
        yield Static("", id="models-problem", markup=False)
        yield ModelTable(id="models-table")
        yield Static("", id="models-loaded")
        yield PullRow(id="pull-row")

    def focus_target(self) -> Widget:
        return self  # the pane, so its keys work even when the table is hidden; on_focus hands it on

    def on_focus(self) -> None:
        # With a table to show, the table gets it.
        table = self.query_one(DataTable)
        if table.display:
            table.focus()

    def on_show(self) -> None:
        # Ask the host only when the pane is looked at: start-up makes no network call.
        self.action_refresh()

    @property
    def host_name(self) -> str | None:
        """The host this session talks to (None: OLLAMA_HOST or config's default)."""
        return self.sovtui.host_name

    def _target(self) -> HostTarget | None:
        """The host (a lookup in config, no call), or None once the reason is shown."""
        try:
            return self.ctx.host(self.host_name)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return None

    def _can(self, operation: str) -> HostTarget | None:
        """The host, if its API can do ``operation``; else None once the one-line reason is shown."""
        from sovtui.inference.engine import unsupported

        target = self._target()
        reason = unsupported(target, operation) if target is not None else None
        if reason:
            self.notify(reason, severity="warning", timeout=6)
            return None
        return target

    # --- what the host has ----------------------------------------------------------

    def action_refresh(self) -> None:
        self.refresh_models()

    @work(group="models-refresh", exclusive=True, exit_on_error=False, description="ask the host what it has")
    async def refresh_models(self) -> None:
        try:
            target = self.ctx.host(self.host_name)
        except SovtuiError as exc:
            self._show_problem(str(exc))
            return
        line = Text.assemble(("host ", "dim"), (safe_line(target.name), "bold"), f" ({target.locality.label}) {safe_line(target.address)}")
        found = await self.attempt(service.survey(self.ctx, self.host_name), on_error=lambda exc: self._unreachable(target, line, exc))
        if found is None:
            return
        line.append(f"  Ollama {safe_line(found.version)}" if not target.is_openai else "  OpenAI-compatible", style="dim")
        line.append("  started by sovtui" if found.managed else "", style="dim")
        self.query_one("#models-server", Static).update(line)
        self._show_problem("")
        self.models, self.loaded = found.models, found.loaded
        self._fill_table()

    def _unreachable(self, target: HostTarget, line: Text, exc: SovtuiError) -> None:
        self.models, self.loaded = [], []
        self._fill_table()
        self.query_one("#models-server", Static).update(line)
        start = "Press S to start Ollama here, h" if target.locality is Locality.THIS_MACHINE else "Press h"
        self._show_problem(f"{exc}\n{start} to pick another host, r to retry.")

    def _show_problem(self, message: str) -> None:
        problem = self.query_one("#models-problem", Static)
        problem.update(safe_text(message))
        problem.display = bool(message)
        table = self.query_one(DataTable)
        had_focus = table.has_focus or self.has_focus
        table.display = not message
        self.query_one("#models-loaded").display = not message
        if had_focus:
            (self if message else table).focus()

    def _fill_table(self) -> None:
        config = self.ctx.config
        shown = service.sort_models(self.models, self.sort_key)
        self.query_one(ModelTable).show_models(shown, is_default=lambda name: service.is_default(name, config))
        from sovtui.inference.engine import unsupported

        try:
            can_pull = unsupported(self.ctx.host(self.host_name), "pull") is None
        except SovtuiError:
            can_pull = True
        line = loaded_line(self.loaded, any_models=bool(self.models), sort_key=self.sort_key, can_pull=can_pull)
        self.query_one("#models-loaded", Static).update(line)

    def selected_name(self) -> str | None:
        return self.query_one(ModelTable).selected_name() if self.models else None

    def action_sort(self) -> None:
        keys = service.SORT_KEYS
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self._fill_table()
        self.notify(f"sorted by {self.sort_key}", timeout=1.5)

    # --- pulling --------------------------------------------------------------

    # Dialogs answer through callbacks: no worker waits while a person decides.

    def action_pull(self) -> None:
        from sovtui.ui.screens.model_dialogs import PullDialog

        if self.pulling:
            self.notify(f"already pulling {self.pulling}: press c to cancel it", severity="warning")
            return
        def chosen(name: str | None) -> None:
            if name:
                self.start_pull(name)

        target = self._can("pull")
        if target is not None:
            self.sovtui.push_screen(PullDialog(target.label, self._suggestions(target)), chosen)

    def _suggestions(self, target: HostTarget) -> list:
        """What fits this machine: Ollama names, or for the built-in engine GGUFs on Hugging Face."""
        from sovtui.inference.builtin import BUILTIN, is_builtin
        from sovtui.inference.suggest import builtin_suggestions, suggestions

        return builtin_suggestions() if target.name == BUILTIN and is_builtin(BUILTIN, self.ctx.config) else suggestions()

    @work(group="models-pull", exclusive=True, exit_on_error=False, description="pull a model")
    async def start_pull(self, name: str) -> None:
        self.pulling = name
        row = self.query_one(PullRow)
        row.begin(name)
        try:
            pulled = await self.succeeds(self._pull(name, row), on_error=lambda exc: self.notify(str(exc), severity="error", timeout=8))
        except asyncio.CancelledError:
            self.notify(f"pull of {name} cancelled; pull again to resume", severity="warning")
            raise
        finally:
            self.pulling = None
            row.end()
            self.post_message(StatusChanged(""))
            self.action_refresh()
        if pulled:
            self.notify(f"{name} is ready")
            self.post_message(SovereigntyChanged())

    async def _pull(self, name: str, row: PullRow) -> None:
        last = 0.0
        async with self.ctx.backend(self.host_name) as backend:
            async for progress in backend.pull(name):
                now = time.monotonic()
                if now - last < 0.1 and not progress.done:
                    continue
                last = now
                row.advance(name, progress)
                self.post_message(StatusChanged(f"⇣ {name} {progress.percent:.0f}%"))

    def action_cancel_pull(self) -> None:
        self.workers.cancel_group(self, "models-pull")

    # --- one model ----------------------------------------------------------------

    def action_delete(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        name = self.selected_name()
        target = self._can("delete") if name else None
        if name is None or target is None:
            return
        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(name)

        body = f"It is removed from {target.label}; pulling it again downloads it again."
        self.sovtui.push_screen(ConfirmDialog(f"Delete {name}?", body, confirm_label="Delete", danger=True), answered)

    @work(group="models-action", exit_on_error=False, description="delete a model")
    async def _delete(self, name: str) -> None:
        if await self.succeeds(service.delete_model(self.ctx, name, self.host_name)):
            self.notify(f"deleted {name}")
            self.post_message(SovereigntyChanged())
            self.action_refresh()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    @work(group="models-action", exit_on_error=False, description="show a model's details")
    async def action_details(self) -> None:
        from sovtui.ui.screens.model_dialogs import ModelDetailsScreen

        name = self.selected_name()
        details = await self.attempt(service.model_details(self.ctx, name, self.host_name)) if name else None
        if details is not None:
            self.sovtui.push_screen(ModelDetailsScreen(details))

    @work(group="models-action", exit_on_error=False, description="free a model's memory")
    async def action_unload(self) -> None:
        name = self.selected_name()
        if name and self._can("unload") and await self.succeeds(service.unload_model(self.ctx, name, self.host_name)):
            self.notify(f"unloaded {name}")
            self.action_refresh()

    @work(group="models-action", exit_on_error=False, description="make a model the default")
    async def action_set_default(self) -> None:
        name = self.selected_name()
        installed = [model.name for model in self.models]  # what the host listed a moment ago
        if name and await self.attempt(service.set_default_model(self.ctx, name, self.host_name, installed=installed)):
            self.notify(f"{name} is the default model" + (f", on {self.host_name}" if self.host_name else ""))
            self._fill_table()
            self.post_message(HostChanged())  # where prompts go: the Chat pane's line and the top bar

    # --- the host and its server ------------------------------------------------------

    def action_switch_host(self) -> None:
        from sovtui.inference.hostbook import host_rows
        from sovtui.ui.screens.model_dialogs import HostPicker

        hosts = [(row.name, row.address, row.where + (", the built-in engine" if row.builtin else ", OpenAI-compatible" if row.api == "openai" else ""))
                 for row in host_rows(self.ctx)]
        current = self._target()
        self.sovtui.push_screen(HostPicker(hosts, current.name if current else ""), lambda name: self.sovtui.set_host(name) if name else None)

    def _said(self, exc: SovtuiError) -> None:
        self.notify(str(exc), severity="error", timeout=10)

    @work(group="models-server", exclusive=True, exit_on_error=False, description="start Ollama on this machine")
    async def action_start_server(self) -> None:
        def progress(message: str, elapsed: float) -> None:
            self.post_message(StatusChanged(f"{message} {elapsed:.0f}s"))

        try:
            status = await self.attempt(start_server(self.ctx, self.host_name, progress), on_error=self._said)
        finally:
            self.post_message(StatusChanged(""))
        if status is not None:
            self.notify("Ollama is running" + (" (started by sovtui)" if status.managed else ""))
            self.post_message(SovereigntyChanged())
            self.action_refresh()

    @work(group="models-server", exclusive=True, exit_on_error=False, description="stop the Ollama sovtui started")
    async def action_stop_server(self) -> None:
        message = await self.attempt(stop_server(self.ctx, self.host_name), on_error=self._said)
        if message is not None:
            self.notify(message)
            self.post_message(SovereigntyChanged())
            self.action_refresh()
