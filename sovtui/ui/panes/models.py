"""The Models pane: what is installed and loaded on a host, and the server itself.

Everything here calls ``sovtui.inference`` (the same services as ``sovtui
models`` and ``sovtui backend``) inside async workers. A pull runs in a
worker that belongs to the pane, so it keeps going while the user chats, and
its progress shows in the top bar too. A host that cannot be reached is an
inline message with the next step, never a crash.

Names, families, versions and pull status lines come from the host: they are
shown through ``safe_line`` as plain Text (a DataTable parses a str cell as
markup), while the real name stays the row's key for the calls that follow.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from sovtui.errors import SovtuiError
from sovtui.text import safe_line, safe_text
from sovtui.ui.messages import SovereigntyChanged
from sovtui.inference.types import LoadedModel, ModelInfo, human_duration, human_size

SORT_KEYS = ("name", "size", "modified", "family")


def _cell(value: str) -> Text:
    """A table cell from the host's words: one safe line, not markup (as a str cell would be)."""
    return Text(safe_line(value), no_wrap=True, end="")


class ModelsPane(Vertical, can_focus=True):
    DEFAULT_CSS = """
    ModelsPane { height: 1fr; padding: 0 1; }
    ModelsPane #models-server { height: 1; color: $text-muted; }
    ModelsPane #models-problem { height: auto; color: $warning; padding: 1 0; display: none; }
    ModelsPane #models-table { height: 1fr; }
    ModelsPane #models-loaded { height: auto; max-height: 4; color: $text-muted; }
    ModelsPane #pull-row { height: 1; display: none; }
    ModelsPane #pull-row.-active { display: block; }
    ModelsPane #pull-label { width: 1fr; }
    ModelsPane #pull-bar { width: 34; }
    """

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
        self.loaded: list[LoadedModel] = []
        self.sort_key = "name"
        self.pull_worker: Worker[None] | None = None
        self.pulling: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="models-server")
        yield Static("", id="models-problem", markup=False)
        table: DataTable[Any] = DataTable(id="models-table", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static("", id="models-loaded")
        with Horizontal(id="pull-row"):
            yield Label("", id="pull-label")
            yield ProgressBar(total=100, show_eta=False, id="pull-bar")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("default", " "), ("name", "Name"), ("size", "Size"), ("params", "Params"), ("quant", "Quant"), ("family", "Family"), ("modified", "Modified")):
            table.add_column(label, key=key)

    def on_focus(self) -> None:
        # The pane takes focus so its keys work even when the table is hidden;
        # with a table to show, the table gets it.
        table = self.query_one(DataTable)
        if table.display:
            table.focus()

    def on_show(self) -> None:
        # Ask the host only when the pane is looked at: start-up makes no network call.
        self.action_refresh()

    # --- data -----------------------------------------------------------------

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.app.ctx  # type: ignore[attr-defined]

    @property
    def host_name(self) -> str | None:
        return getattr(self.app, "host_name", None)

    def target(self):  # type: ignore[no-untyped-def]
        return self.ctx.host(self.host_name)

    def backend(self):  # type: ignore[no-untyped-def]
        """The Backend of the host this session talks to (``async with`` it)."""
        return self.ctx.backend(self.host_name)

    def server(self):  # type: ignore[no-untyped-def]
        return self.ctx.server(self.host_name)

    def action_refresh(self) -> None:
        self.refresh_models()

    @work(exclusive=True, group="models-refresh")
    async def refresh_models(self) -> None:
        try:
            target = self.target()
        except SovtuiError as exc:
            self._show_problem(str(exc))
            return
        server_line = Text.assemble(("host ", "dim"), (safe_line(target.name), "bold"), f" ({target.locality.label}) {safe_line(target.url)}")
        try:
            async with self.backend() as backend:
                version = await backend.version()
                models = await backend.list_models()
                loaded = await backend.ps()
        except SovtuiError as exc:
            self.models, self.loaded = [], []
            self._fill_table()
            self.query_one("#models-server", Static).update(server_line)
            hint = ""
            if target.locality.label == "this machine":
                hint = "\nPress S to start Ollama here, h to pick another host, r to retry."
            else:
                hint = "\nPress h to pick another host, r to retry."
            self._show_problem(f"{exc}{hint}")
            return
        managed = self.server().managed_pid()
        server_line.append(f"  Ollama {safe_line(version)}", style="dim")
        server_line.append("  started by sovtui" if managed else "", style="dim")
        self.query_one("#models-server", Static).update(server_line)
        self._show_problem("")
        self.models, self.loaded = models, loaded
        self._fill_table()

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

    def _sorted(self) -> list[ModelInfo]:
        key = self.sort_key
        if key == "size":
            return sorted(self.models, key=lambda m: m.size, reverse=True)
        if key == "modified":
            return sorted(self.models, key=lambda m: m.modified.timestamp() if m.modified else 0, reverse=True)
        if key == "family":
            return sorted(self.models, key=lambda m: (m.family, m.name))
        return sorted(self.models, key=lambda m: m.name)

    def _fill_table(self) -> None:
        table = self.query_one(DataTable)
        selected = self.selected_name()
        table.clear()
        default = self.ctx.config.inference.model
        for model in self._sorted():
            is_default = model.name in (default, f"{default}:latest")
            table.add_row(
                "★" if is_default else " ",
                _cell(model.name),
                human_size(model.size),
                _cell(model.parameter_size),
                _cell(model.quantization),
                _cell(model.family),
                model.modified.astimezone().strftime("%Y-%m-%d") if model.modified else "",
                key=model.name,
            )
        if selected:
            for index, model in enumerate(self._sorted()):
                if model.name == selected:
                    table.move_cursor(row=index)
        loaded = self.query_one("#models-loaded", Static)
        if self.loaded:
            parts = [
                f"{safe_line(m.name)} {human_size(m.size_ram)} RAM {human_size(m.size_vram)} VRAM"
                + (f" until {m.expires_at.astimezone().strftime('%H:%M')}" if m.expires_at else "")
                for m in self.loaded
            ]
            loaded.update(Text("Loaded: " + " · ".join(parts)))
        elif self.models:
            loaded.update(f"Loaded: none · sorted by {self.sort_key} (s) · enter details · u unload")
        else:
            loaded.update("No models yet: press p to pull one that fits this machine.")

    def selected_name(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.models or table.row_count == 0:
            return None
        try:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None
        return str(row_key.value) if row_key.value is not None else None

    # --- actions --------------------------------------------------------------

    def action_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self._fill_table()
        self.notify(f"sorted by {self.sort_key}", timeout=1.5)

    def action_pull(self) -> None:
        from sovtui.inference.suggest import suggestions
        from sovtui.ui.screens.model_dialogs import PullDialog

        if self.pulling:
            self.notify(f"already pulling {self.pulling}: press c to cancel it", severity="warning")
            return
        try:
            label = self.target().label
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return

        def chosen(name: str | None) -> None:
            if name:
                self.start_pull(name)

        self.app.push_screen(PullDialog(label, suggestions()), chosen)

    def start_pull(self, name: str) -> None:
        self.pulling = name
        row = self.query_one("#pull-row")
        row.add_class("-active")
        self.query_one("#pull-label", Label).update(Text(f"pulling {safe_line(name)}: starting"))
        self.query_one("#pull-bar", ProgressBar).update(total=100, progress=0)
        # A failed pull is a notification (on_worker_state_changed), not the end of the app.
        self.pull_worker = self.run_worker(self._pull(name), group="models-pull", exclusive=True, exit_on_error=False)

    async def _pull(self, name: str) -> None:
        last = 0.0
        async with self.backend() as backend:
            async for progress in backend.pull(name):
                now = time.monotonic()
                if now - last < 0.1 and not progress.done:
                    continue
                last = now
                if progress.total and progress.digest:
                    text = (
                        f"pulling {safe_line(name)}: {progress.percent:.0f}% {human_size(progress.completed)}/{human_size(progress.total)}"
                        f" {human_size(progress.speed)}/s ETA {human_duration(progress.eta)}"
                    )
                else:
                    text = f"pulling {safe_line(name)}: {safe_line(progress.status)}"
                self.query_one("#pull-label", Label).update(Text(text))
                self.query_one("#pull-bar", ProgressBar).update(progress=progress.percent)
                self._set_status(f"⇣ {name} {progress.percent:.0f}%")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.pull_worker:
            return
        name = self.pulling
        if event.state == WorkerState.SUCCESS:
            self.notify(f"{name} is ready")
            self.post_message(SovereigntyChanged())
        elif event.state == WorkerState.CANCELLED:
            self.notify(f"pull of {name} cancelled; pull again to resume", severity="warning")
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(str(error) if isinstance(error, SovtuiError) else f"pull failed: {error}", severity="error", timeout=8)
        else:
            return
        self.pulling = None
        self.pull_worker = None
        self.query_one("#pull-row").remove_class("-active")
        self._set_status("")
        self.action_refresh()

    def _set_status(self, text: str) -> None:
        set_status = getattr(self.app, "set_status", None)
        if set_status:
            set_status(text)

    def action_cancel_pull(self) -> None:
        if self.pull_worker is not None:
            self.pull_worker.cancel()

    def action_delete(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        name = self.selected_name()
        if not name:
            return
        label = self.target().label

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(name)

        self.app.push_screen(
            ConfirmDialog(f"Delete {name}?", f"It is removed from {label}; pulling it again downloads it again.", confirm_label="Delete", danger=True),
            answered,
        )

    @work(group="models-action")
    async def _delete(self, name: str) -> None:
        try:
            async with self.backend() as backend:
                await backend.delete(name)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"deleted {name}")
        self.post_message(SovereigntyChanged())
        self.action_refresh()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    @work(group="models-action")
    async def action_details(self) -> None:
        from sovtui.ui.screens.model_dialogs import ModelDetailsScreen

        name = self.selected_name()
        if not name:
            return
        try:
            async with self.backend() as backend:
                details = await backend.show(name)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.push_screen(ModelDetailsScreen(details))

    @work(group="models-action")
    async def action_unload(self) -> None:
        name = self.selected_name()
        if not name:
            return
        try:
            async with self.backend() as backend:
                await backend.unload(name)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"unloaded {name}")
        self.action_refresh()

    def action_set_default(self) -> None:
        name = self.selected_name()
        if not name:
            return

        def change(config) -> None:  # type: ignore[no-untyped-def]
            config.inference.model = name

        try:
            self.ctx.update_config(change)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"{name} is the default model")
        self._fill_table()
        refresh = getattr(self.app, "refresh_host", None)
        if refresh:
            refresh()

    def action_switch_host(self) -> None:
        from sovtui.net import locality_of
        from sovtui.ui.screens.model_dialogs import HostPicker

        hosts = [(name, host.url, locality_of(host.url).label) for name, host in sorted(self.ctx.config.hosts.items())]
        current = self.target().name

        def chosen(name: str | None) -> None:
            if name:
                self.app.set_host(name)  # type: ignore[attr-defined]

        self.app.push_screen(HostPicker(hosts, current), chosen)

    @work(group="models-server", exclusive=True)
    async def action_start_server(self) -> None:
        server = self.server()

        def progress(message: str, elapsed: float) -> None:
            self._set_status(f"{message} {elapsed:.0f}s")

        try:
            status = await server.start(progress)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        finally:
            self._set_status("")
        self.notify("Ollama is running" + (" (started by sovtui)" if status.managed else ""))
        self.post_message(SovereigntyChanged())
        self.action_refresh()

    @work(group="models-server", exclusive=True)
    async def action_stop_server(self) -> None:
        try:
            message = await self.server().stop()
        except SovtuiError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.notify(message)
        self.post_message(SovereigntyChanged())
        self.action_refresh()
