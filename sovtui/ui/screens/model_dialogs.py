"""Dialogs of the Models pane: pull a model, see a model's details, pick a host.

A model's details are the host's words and host names are config's: shown
through ``safe_line``, and never parsed as markup. What a model name may be
is ``sovtui.inference.models``'s rule, the same ``sovtui models pull`` meets.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from sovtui.errors import UsageError
from sovtui.inference.models import check_model_name
from sovtui.inference.suggest import Suggestion
from sovtui.inference.types import ModelDetails
from sovtui.text import safe_line
from sovtui.ui.pane import sovtui_app
from sovtui.ui.work import report_failed_worker


class PullDialog(ModalScreen[str | None]):
    """Type a model name, or choose one that fits this machine."""

    CSS_PATH = "model_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pull.cancel")]

    def __init__(self, host_label: str, suggestions: list[Suggestion]) -> None:
        super().__init__()
        self.host_label = host_label
        self.suggestions = suggestions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Pull a model onto {safe_line(self.host_label)}", classes="dialog--title", markup=False)
            yield Input(placeholder="model name, e.g. qwen3:0.6b", id="pull-name")
            yield Static("Fits this machine:", classes="dialog--hint")
            yield OptionList(*[Option(f"{s.name}  [dim]{s.why}[/]", id=s.name) for s in self.suggestions], id="pull-suggestions")
            yield Static("enter pulls · tab to the suggestions · esc cancels", classes="dialog--hint")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = sovtui_app(self).cursor_blink
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.notify("type a model name or pick one below", severity="warning")
            return
        try:
            self.dismiss(check_model_name(event.value))
        except UsageError as exc:
            self.notify(str(exc), severity="error")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ModelDetailsScreen(ModalScreen[None]):
    CSS_PATH = "model_dialogs.tcss"
    BINDINGS = [Binding("escape,q,enter", "close", "Close", id="details.close")]

    def __init__(self, details: ModelDetails) -> None:
        super().__init__()
        self.details = details

    def compose(self) -> ComposeResult:
        d = self.details
        lines = [
            f"family:        {safe_line(d.family)}",
            f"parameters:    {safe_line(d.parameter_size)}",
            f"quantization:  {safe_line(d.quantization)}",
            f"capabilities:  {safe_line(', '.join(d.capabilities)) or '-'}",
            f"context:       {d.context_length or '-'} tokens",
            f"license:       {safe_line((d.license.splitlines() or ['-'])[0])[:60]}",
            "",
            "template:",
            *[f"  {safe_line(line)}" for line in d.template.splitlines()],
        ]
        with Vertical():
            yield Static(safe_line(d.name), classes="dialog--title", markup=False)
            with VerticalScroll():
                yield Static("\n".join(lines), markup=False)
            yield Static("esc closes", classes="dialog--hint")

    def action_close(self) -> None:
        self.dismiss(None)


class HostPicker(ModalScreen[str | None]):
    """Choose which configured host prompts and model commands go to, or add one (``a``)."""

    CSS_PATH = "model_dialogs.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="hosts.cancel"),
        Binding("a", "add", "Add a host", id="hosts.add"),
    ]

    def __init__(self, hosts: list[tuple[str, str, str]], current: str) -> None:
        super().__init__()
        self.hosts = hosts
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Where should prompts go?", classes="dialog--title")
            yield OptionList(
                *[
                    Option(Content.assemble(f"{'● ' if name == self.current else '  '}{safe_line(name)}  ", (f"{label} · {safe_line(url)}", "dim")), id=name)
                    for name, url, label in self.hosts
                ],
                id="host-options",
            )
            yield Static("a adds a host: Ollama or OpenAI-compatible (also 'sovtui hosts add')", classes="dialog--hint", markup=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        for index, (name, _, _) in enumerate(self.hosts):
            if name == self.current:
                options.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_add(self) -> None:
        self.run_worker(self._add(), group="hosts-add", exclusive=True, exit_on_error=False, description="add a model host")

    async def _add(self) -> None:
        from sovtui.ui.flows.add_host import add_host_by_dialogs

        name = await add_host_by_dialogs(self)
        if name is not None:
            self.dismiss(name)  # and prompts go there from now on

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            report_failed_worker(self, sovtui_app(self).ctx.paths.log_dir, event.worker)
