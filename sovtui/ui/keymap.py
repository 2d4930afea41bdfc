"""The user's keymap: ``[keys]`` in config.toml, applied on binding ids.

Every ``Binding`` in sovtui has an ``id`` (``chat.new``, ``wallet.pay``,
``app.quit`` ...). Textual's ``App.set_keymap`` rebinds by those ids, so a
user can move any action to a key their terminal delivers. Places that name
a key in words (the command palette's help) ask :func:`key_for` rather than
spelling the default, so a changed key is shown changed everywhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

#: Every module that declares bindings. The check of a user's keymap imports
#: them (after the first paint), so an id is "unknown" only if no screen has it.
BINDING_MODULES = (
    "sovtui.ui.app",
    "sovtui.ui.panes.chat",
    "sovtui.ui.panes.models",
    "sovtui.ui.panes.keys",
    "sovtui.ui.panes.wallet",
    "sovtui.ui.wizard.screen",
    "sovtui.ui.screens.chat_options",
    "sovtui.ui.screens.config_error",
    "sovtui.ui.screens.credentials",
    "sovtui.ui.screens.dialogs",
    "sovtui.ui.screens.invoice",
    "sovtui.ui.screens.key_details",
    "sovtui.ui.screens.model_dialogs",
    "sovtui.ui.screens.text_view",
    "sovtui.ui.widgets.chat_input",
    "sovtui.ui.widgets.conversation_list",
    "sovtui.ui.widgets.message_log",
)


def _bindings_of(cls: type[DOMNode]) -> Iterator[Binding]:
    for item in cls.__dict__.get("BINDINGS", ()):
        if isinstance(item, Binding):
            yield item


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def all_bindings() -> dict[str, Binding]:
    """Binding id -> its default binding, over every sovtui screen and widget."""
    for name in BINDING_MODULES:
        importlib.import_module(name)
    found: dict[str, Binding] = {}
    for cls in _subclasses(DOMNode):
        if cls.__module__.startswith("sovtui.ui."):
            for binding in _bindings_of(cls):
                if binding.id:
                    found.setdefault(binding.id, binding)
    return found


def unknown_ids(keymap: dict[str, str]) -> list[str]:
    """The ids in ``keymap`` that no binding has (a typo, or an action since renamed)."""
    known = all_bindings()
    return sorted(binding_id for binding_id in keymap if binding_id not in known)


def key_for(app: App[Any], keymap: Mapping[str, str], cls: type[DOMNode], action: str) -> str | None:
    """The key that runs ``action`` on ``cls`` under ``keymap``, as the footer shows it."""
    for klass in cls.__mro__:
        if not (isinstance(klass, type) and issubclass(klass, DOMNode)):
            continue
        for binding in _bindings_of(klass):
            if binding.action != action:
                continue
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            first = keys.split(",")[0].strip()
            return app.get_key_display(Binding(first, action))
    return None


def palette_help(app: App[Any], keymap: Mapping[str, str], cls: type[DOMNode], action: str, help_text: str) -> str:
    """``help_text`` followed by the action's current key, if it has one."""
    key = key_for(app, keymap, cls, action)
    return f"{help_text} ({key})" if key else help_text
