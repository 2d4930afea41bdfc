"""The line above the prompt: which agent, model, persona and host, and where that host is.

A host on the public internet is said in bold red. Every part may come from
outside (a model's name, a host's name in config.toml): shown through
``safe_line`` as plain Text.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from sovtui.inference.hosts import HostTarget
from sovtui.text import safe_line


class ChatInfo(Static):
    DEFAULT_CSS = """
    ChatInfo { height: 1; padding: 0 1; color: $text-muted; }
    """

    def show_target(self, target: HostTarget, *, model: str, persona: str, editing: bool, agent: str = "") -> None:
        """Where the next prompt goes. ``model`` "" is the host's first installed model;
        ``agent``: the agent the conversation is given to (its tools, its limits)."""
        text = Text()
        if agent:
            text.append("agent ", style="bold")
            text.append(safe_line(agent), style="bold")
            text.append(" · ")
        text.append(safe_line(model or "first installed model"), style="bold")
        if persona:
            text.append(f" · {safe_line(persona)}")
        text.append(" → ")
        text.append(safe_line(target.name), style="bold")
        text.append(f" ({target.locality.label})", style="bold red" if target.locality.is_public else "")
        if editing:
            text.append("  editing an earlier prompt: enter resends, esc cancels", style="italic")
        self.update(text)

    def show_problem(self, message: str) -> None:
        """Why no host can be named (an unknown host in config.toml)."""
        self.update(Text(safe_line(message)))
