"""The models installed on a host, one row each, ★ beside the default; the line of those loaded.

Names, families and quantisations are the host's words: each cell is plain
Text through ``safe_line`` (a DataTable parses a str cell as markup), while
the real name is the row's key for the calls that follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from sovtui.inference.types import LoadedModel, ModelInfo, human_size
from sovtui.text import safe_line

COLUMNS = (("default", " "), ("name", "Name"), ("size", "Size"), ("params", "Params"), ("quant", "Quant"), ("family", "Family"), ("modified", "Modified"))


def _cell(value: str) -> Text:
    """A cell from the host's words: one safe line, not markup (as a str cell would be)."""
    return Text(safe_line(value), no_wrap=True, end="")


def loaded_line(loaded: list[LoadedModel] | None, *, any_models: bool, sort_key: str, can_pull: bool = True) -> Text:
    """The line under the table: the models in memory (``None``: the host does not say), or what to do next."""
    if loaded is None and any_models:  # an OpenAI-compatible host: nothing to show or unload
        return Text(f"sorted by {sort_key} (s) · enter details")
    if loaded:
        parts = [
            f"{safe_line(m.name)} {human_size(m.size_ram)} RAM {human_size(m.size_vram)} VRAM"
            + (f" until {m.expires_at.astimezone().strftime('%H:%M')}" if m.expires_at else "")
            for m in loaded
        ]
        return Text("Loaded: " + " · ".join(parts))
    if any_models:
        return Text(f"Loaded: none · sorted by {sort_key} (s) · enter details · u unload")
    if not can_pull:  # an OpenAI-compatible server: its models are loaded there
        return Text("No models on this host: load one on the server itself, then press r.")
    return Text("No models yet: press p to pull one that fits this machine.")


class ModelTable(DataTable[Any]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show_models(self, models: list[ModelInfo], *, is_default: Callable[[str], bool]) -> None:
        """These rows, in this order; the cursor stays on the model it was on."""
        selected = self.selected_name()
        self.clear()
        for model in models:
            self.add_row(
                "★" if is_default(model.name) else " ",
                _cell(model.name),
                human_size(model.size),
                _cell(model.parameter_size),
                _cell(model.quantization),
                _cell(model.family),
                model.modified.astimezone().strftime("%Y-%m-%d") if model.modified else "",
                key=model.name,
            )
        for index, model in enumerate(models):
            if model.name == selected:
                self.move_cursor(row=index)

    def selected_name(self) -> str | None:
        """The name of the model under the cursor."""
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None
        return str(row_key.value) if row_key.value is not None else None
