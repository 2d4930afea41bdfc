"""Adding a model host from the TUI: the Models pane's host picker (``a``).

The same rules as ``sovtui hosts add`` and ``sovtui hosts key``, from
``sovtui.inference.hostbook``: a name that is a short label and is free, a
URL read as its API wants it, the API asked of the machine when the URL does
not say, and an API key kept in the vault (never config.toml). This module
only asks, in three small dialogs, and says what came of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovtui.text import safe_line
from sovtui.ui.pane import sovtui_app
from sovtui.ui.screens.dialogs import TextDialog
from sovtui.ui.work import attempt, succeeds

if TYPE_CHECKING:
    from textual.widget import Widget


async def add_host_by_dialogs(node: Widget) -> str | None:
    """Ask for a name, a URL and (for an OpenAI-compatible host) a key; the new host's name, or None.

    Call it from a worker: each dialog is awaited.
    """
    from sovtui.inference.hostbook import add_detected_host, set_key

    app = sovtui_app(node)
    ctx = app.ctx
    name = await app.push_screen_wait(TextDialog(
        "Add a model host", placeholder="a short name, e.g. gpu-box",
        body="Ollama, or an OpenAI-compatible server: llama-server, vLLM, LM Studio, LocalAI, a cloud API."))
    if not name or not name.strip():
        return None
    url = await app.push_screen_wait(TextDialog(
        f"Where is {safe_line(name.strip())}?", placeholder="http://gpu-box:11434, or http://gpu-box:8000/v1",
        body="The address as the server documents it. sovtui asks that machine which API it speaks."))
    if not url or not url.strip():
        return None
    node.notify(f"asking {safe_line(url.strip())} which API it speaks…", timeout=3)
    target = await attempt(node, add_detected_host(ctx, name.strip(), url.strip()))
    if target is None:
        return None
    kind = "OpenAI-compatible" if target.is_openai else "Ollama"
    note = f"{target.name} added: {kind}, {target.locality.label}"
    if target.is_openai:
        key = await app.push_screen_wait(TextDialog(
            f"API key for {target.name} (optional)", password=True, placeholder="leave empty if the server needs none",
            body="Kept in your vault, encrypted; never in config.toml."))
        if key and key.strip() and await succeeds(node, lambda: set_key(ctx, target.name, key)):
            note += ", key kept in the vault"
    node.notify(note)
    return target.name
