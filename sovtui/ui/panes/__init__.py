"""The app's panes, in tab order. Each is a widget with an ``id`` and a title."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaneSpec:
    id: str
    title: str
    key: str  # a direct key (an F-key); ctrl+t and the palette are the alternatives
    description: str


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("chat", "Chat", "f1", "Chat with models on hardware you control"),
    PaneSpec("models", "Models", "f2", "Install, remove and pick models on your hosts"),
    PaneSpec("keys", "Keys", "f3", "Your Nostr keys and your agents' credentials"),
    PaneSpec("wallet", "Wallet", "f4", "Your Lightning wallet over Nostr Wallet Connect"),
    PaneSpec("agents", "Agents", "f5", "Your agents: what each may spend, has spent, and did"),
)
