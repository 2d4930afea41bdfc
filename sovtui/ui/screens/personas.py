"""Personas, from the Chat pane: name one and write its prompt, change a prompt, delete one.

The dialogs are here; the rules (a name's form, a prompt that is not empty,
a persona that exists, the default cleared with its persona) are
``sovtui.chat.personas``'s, the same the CLI's ``sovtui personas`` meets.
Each dialog answers through a callback: no worker waits on a person.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.markup import escape

from sovtui.chat import personas
from sovtui.text import safe_line
from sovtui.ui.pane import Pane
from sovtui.ui.screens.dialogs import ChoiceDialog, TextDialog


def new_persona(pane: Pane) -> None:
    def named(name: str | None) -> None:
        if name:
            _write_prompt(pane, name.strip(), "")

    pane.sovtui.push_screen(TextDialog("New persona: its name"), named)


def edit_persona(pane: Pane) -> None:
    def chosen(name: str) -> None:
        _write_prompt(pane, name, pane.ctx.config.personas[name].prompt)

    _pick(pane, "Edit which persona?", chosen)


def delete_persona(pane: Pane) -> None:
    async def chosen(name: str) -> None:
        if await pane.succeeds(lambda: personas.delete_persona(pane.ctx, name)):
            pane.notify(f"persona {name} deleted")

    _pick(pane, "Delete which persona?", chosen)


def _write_prompt(pane: Pane, name: str, current: str) -> None:
    async def written(prompt: str | None) -> None:
        if prompt is not None and await pane.succeeds(lambda: personas.set_persona(pane.ctx, name, prompt)):
            pane.notify(f"persona {name} saved")

    pane.sovtui.push_screen(TextDialog(f"Persona {name}: its system prompt", value=current), written)


def _pick(pane: Pane, title: str, then: Callable[[str], Awaitable[None] | None]) -> None:
    """Ask for one of the personas in config.toml, then ``then(name)``."""
    known = pane.ctx.config.personas
    if not known:
        pane.notify("no personas yet", severity="warning")
        return

    async def picked(name: str | None) -> None:
        if name:
            done = then(name)
            if done is not None:
                await done

    # The labels are markup: a prompt's own brackets are escaped, its controls removed.
    choices = [(name, f"{escape(safe_line(name))}  [dim]{escape(safe_line(p.prompt[:50]))}[/]") for name, p in sorted(known.items())]
    pane.sovtui.push_screen(ChoiceDialog(title, choices), picked)
