"""The footer: the keys that work now, drawn as one line by one widget.

Textual's ``Footer`` is a container that builds one widget per key (each with
two component styles) and builds them all again whenever the focus moves or
a pane's bindings change. Measured on the Pilot tests, styling those widgets
was about 45 % of the app's CPU time: every focus change restyled a dozen
widgets and their components, and at start they were a good share of the
first screen's build. ``KeyBar`` reads the same ``screen.active_bindings``
and draws the same line, with the same theme variables (``$footer-*``), from
one widget that only repaints when the keys change.

What it shows, as ``Footer`` does: one entry per action (the first binding
shown for it), a binding ``check_action`` disables dimmed, keys displayed by
``app.get_key_display`` (so the user's ``[keys]`` show), and the command
palette's key at the right edge. A click on an entry presses its key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class Entry:
    """One key as the bar shows it."""

    key: str  # the key pressed when the entry is clicked
    display: str  # the key as shown (``^q``, ``f1``)
    description: str
    enabled: bool


class KeyBar(Widget, can_focus=False):
    """One line at the bottom: the focused widget's keys and the palette's."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--separator"}
    # The look of Textual's Footer (non-compact), from the same theme variables.
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .key-bar--description { color: $footer-description-foreground; background: $footer-description-background; }
        .key-bar--separator { color: $foreground 20%; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: What is drawn, and where each entry lies on the line (start, end, entry), for clicks.
        self._entries: tuple[list[Entry], Entry | None] = ([], None)
        self._spans: list[tuple[int, int, Entry]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is not self.screen or not self.is_attached:
            return
        entries = self._read(screen)
        if entries != self._entries:  # most focus changes leave the keys as they were: no repaint then
            self._entries = entries
            self.refresh()

    def _read(self, screen: Screen) -> tuple[list[Entry], Entry | None]:
        """The entries of ``screen``'s active bindings, in Footer's order, and the palette's entry."""
        app = self.app
        active = screen.active_bindings
        palette_key = app.COMMAND_PALETTE_BINDING
        seen: set[str] = set()
        entries: list[Entry] = []
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            entries.append(Entry(binding.key, app.get_key_display(binding), binding.description, enabled))
        palette: Entry | None = None
        if app.ENABLE_COMMAND_PALETTE and palette_key in active:
            _node, binding, enabled, _tooltip = active[palette_key]
            palette = Entry(binding.key, app.get_key_display(binding), binding.description, enabled)
        return entries, palette

    def render(self) -> Text:
        entries, palette = self._entries
        width = self.size.width
        base = self.rich_style
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        dim = Style(dim=True)

        def piece(entry: Entry, *, compact: bool = False) -> Text:
            # Footer pads a key (" ^q ") and follows it with its description ("Quit "); the palette's entry is compact ("^p palette").
            if not entry.description:
                text = Text(entry.display, style=key_style)
            elif compact:
                text = Text.assemble((entry.display, key_style), (f" {entry.description}", description_style))
            else:
                text = Text.assemble((f" {entry.display} ", key_style), (f"{entry.description} ", description_style))
            if not entry.enabled:
                text.stylize(dim)
            return text

        right = Text()
        if palette is not None:
            right = Text.assemble(("▏", self.get_component_rich_style("key-bar--separator")), piece(palette, compact=True), " ")
        room = max(0, width - right.cell_len)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, Entry]] = []
        for entry in entries:
            text = piece(entry)
            start = line.cell_len
            if start >= room:
                break
            line.append_text(text)
            spans.append((start, min(room, line.cell_len), entry))
        line.truncate(room)
        line.pad_right(room - line.cell_len)
        if palette is not None:
            spans.append((room + 1, width, palette))
            line.append_text(right)
        line.truncate(width)
        line.stylize_before(base)
        self._spans = spans
        return line

    def entry_at(self, x: int) -> Entry | None:
        """The entry drawn at column ``x``, if any."""
        return next((entry for start, end, entry in self._spans if start <= x < end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        entry = self.entry_at(event.x)
        if entry is None:
            return
        if entry.enabled:
            self.app.simulate_key(entry.key)
        else:
            self.app.bell()

    def entries(self) -> Iterator[Entry]:
        """What the bar shows now, left to right, the palette's key last."""
        left, palette = self._entries
        yield from left
        if palette is not None:
            yield palette
