"""What ``sovtui agent serve`` leaves in the state folder, read by the service, the TUI and ``sovtui doctor``.

Two files per agent in ``agents/``: ``NAME.serve.json``, the status (pid,
served since, last activity, relays), which the Agents pane and ``sovtui
doctor`` read without loading the service; and ``NAME.serve-state.json``, what
survives a restart (the gift wraps and rumors handled, the last handled time,
each sender's conversation), written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sovtui.agent.errors import AgentError
from sovtui.files import atomic_write
from sovtui.nostr import nip59
from sovtui.processes import pid_alive
from sovtui.text import safe_line


class ServeError(AgentError):
    """The agent cannot be served as asked (no relays, served already ...)."""


# --- files -------------------------------------------------------------------------


def agents_state_dir(state_dir: Path) -> Path:
    return Path(state_dir) / "agents"


def status_path(state_dir: Path, name: str) -> Path:
    return agents_state_dir(state_dir) / f"{name}.serve.json"


def state_path(state_dir: Path, name: str) -> Path:
    return agents_state_dir(state_dir) / f"{name}.serve-state.json"




@dataclass(frozen=True)
class ServeStatus:
    """What the status file says: whether the agent is being served, since when, the last activity."""

    name: str
    running: bool
    pid: int | None = None
    since: float | None = None
    last_activity: float | None = None
    stopped: float | None = None
    relays: tuple[str, ...] = ()
    npub: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "running": self.running, "pid": self.pid, "since": self.since,
                "last_activity": self.last_activity, "stopped": self.stopped, "relays": list(self.relays), "npub": self.npub}

    def describe(self) -> str:
        """One line for people: "served since …, last activity …" or "not served"."""
        def when(moment: float | None) -> str:
            return datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"

        if self.running:
            return f"served since {when(self.since)} (pid {self.pid}), last activity {when(self.last_activity)}"
        if self.since:
            return f"not served (last served until {when(self.stopped or self.last_activity)})"
        return "not served"


def read_status(state_dir: Path, name: str) -> ServeStatus:
    """The agent's service status from its status file; a missing or damaged file is "not served"."""
    try:
        data = json.loads(status_path(state_dir, name).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError
    except (OSError, ValueError, UnicodeDecodeError):
        return ServeStatus(name, False)

    def number(key: str) -> float | None:
        value = data.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    pid = data.get("pid") if isinstance(data.get("pid"), int) else None
    relays = tuple(safe_line(r) for r in data.get("relays", []) if isinstance(r, str)) if isinstance(data.get("relays"), list) else ()
    running = data.get("stopped") is None and pid_alive(pid)
    npub = safe_line(data["npub"]) if isinstance(data.get("npub"), str) else ""
    return ServeStatus(name, running, pid, number("since"), number("last_activity"), number("stopped"), relays, npub)


def served_agents(state_dir: Path) -> list[ServeStatus]:
    """The status of every agent that has a status file, by name."""
    folder = agents_state_dir(state_dir)
    names = sorted(p.name.removesuffix(".serve.json") for p in folder.glob("*.serve.json")) if folder.is_dir() else []
    return [read_status(state_dir, name) for name in names]


@dataclass
class ServeState:
    """What survives a restart: handled gift wraps and rumors, the last handled time, each sender's conversation."""

    path: Path
    first_served: int = 0
    last_handled: int = 0
    #: wrap or rumor id -> the wrap's created_at (pruned once older than the window reaches back).
    handled: dict[str, int] = field(default_factory=dict)
    #: sender hex -> conversation id
    conversations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ServeState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise ServeError(f"{path}: cannot read the service's state ({type(exc).__name__}); "
                             "the file was left as it is: move it aside to start afresh") from None
        if not isinstance(data, dict):
            raise ServeError(f"{path}: the service's state is not a JSON object; move it aside to start afresh")

        def whole(value: Any) -> int:
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        handled: dict[Any, Any] = data["handled"] if isinstance(data.get("handled"), dict) else {}
        conversations: dict[Any, Any] = data["conversations"] if isinstance(data.get("conversations"), dict) else {}
        return cls(path, whole(data.get("first_served")), whole(data.get("last_handled")),
                   {k: whole(v) for k, v in handled.items() if isinstance(k, str)},
                   {k: v for k, v in conversations.items() if isinstance(k, str) and isinstance(v, str)})

    @property
    def since(self) -> int:
        """The subscription's ``since``: the last handled time, less the NIP-59 randomisation window."""
        return max(0, (self.last_handled or self.first_served) - nip59.RANDOM_WINDOW)

    def save(self) -> None:
        horizon = self.since - 24 * 3600
        self.handled = {k: v for k, v in self.handled.items() if v >= horizon}
        atomic_write(self.path, json.dumps({"first_served": self.first_served, "last_handled": self.last_handled,
                                            "handled": self.handled, "conversations": self.conversations}, indent=1))
