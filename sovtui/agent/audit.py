"""The agent's audit log: every tool call, one JSON line each, append-only.

``$XDG_STATE_HOME/sovtui/agents/NAME.log.jsonl``, mode 0600. A line holds the
time, the agent, the tool, its arguments with secrets removed, the outcome
(``ok``, ``refused``, ``error``, ``pending``, ``interrupted``), a one-line
detail and the sats it moved. Lines are appended under a lock, each with one
``write`` and an fsync; a line a crash cut short is closed off before the next
one is written, and a damaged line is skipped and reported when the log is
read, never fatal.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovtui.files import FILE_MODE, locked

#: Argument names whose values are never written (none of the tools takes one today; a model may invent them).
_SECRET_NAMES = re.compile(r"secret|nsec|password|passphrase|preimage|private|seed|mnemonic|token|uri", re.IGNORECASE)
_SECRET_VALUES = re.compile(r"^(nsec1|ncryptsec1|nostr\+walletconnect:)", re.IGNORECASE)
REMOVED = "[removed]"
OUTCOMES = ("ok", "refused", "error", "pending", "interrupted")


def without_secrets(value: Any, depth: int = 0) -> Any:
    """``value`` with every secret-looking entry replaced by "[removed]" (by name, or by an nsec/NWC-URI value)."""
    if depth > 20:
        return REMOVED
    if isinstance(value, Mapping):
        return {str(k): REMOVED if _SECRET_NAMES.search(str(k)) else without_secrets(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_secrets(v, depth + 1) for v in value]
    if isinstance(value, str) and _SECRET_VALUES.match(value.strip()):
        return REMOVED
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class AuditEntry:
    time: float
    agent: str
    tool: str
    arguments: dict[str, Any]
    outcome: str
    detail: str = ""
    sats: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {"time": round(self.time, 3), "agent": self.agent, "tool": self.tool, "arguments": self.arguments,
                "outcome": self.outcome, "detail": self.detail, "sats": self.sats}
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> AuditEntry:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        known = {"time", "agent", "tool", "arguments", "outcome", "detail", "sats"}
        moment, sats = data.get("time"), data.get("sats", 0)
        if not isinstance(moment, (int, float)) or isinstance(moment, bool) or not isinstance(data.get("tool"), str):
            raise ValueError("no time or tool")
        arguments: dict[str, Any] = data["arguments"] if isinstance(data.get("arguments"), dict) else {}
        return cls(float(moment), str(data.get("agent", "")), data["tool"], arguments, str(data.get("outcome", "")),
                   str(data.get("detail", "")), sats if isinstance(sats, int) and not isinstance(sats, bool) else 0,
                   {k: v for k, v in data.items() if k not in known})


@dataclass(frozen=True)
class AuditRead:
    """What reading the log found: the entries, and the line numbers (1-based) that could not be read."""

    entries: list[AuditEntry]
    damaged: list[int]


class AuditLog:
    """One agent's log. Cheap to make; every call opens the file."""

    def __init__(self, path: Path, agent: str) -> None:
        self.path = Path(path)
        self.agent = agent

    @classmethod
    def for_agent(cls, state_dir: Path, agent: str) -> AuditLog:
        return cls(Path(state_dir) / "agents" / f"{agent}.log.jsonl", agent)

    def append(self, tool: str, arguments: Mapping[str, Any], outcome: str, detail: str = "", sats: int = 0,
               **extra: Any) -> AuditEntry:
        entry = AuditEntry(time.time(), self.agent, tool, without_secrets(dict(arguments)), outcome, detail, sats,
                           without_secrets(extra))
        line = (json.dumps(entry.to_dict(), ensure_ascii=True) + "\n").encode("ascii")
        with locked(self.path):
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            try:
                size = os.fstat(fd).st_size
                if size:
                    with open(self.path, "rb") as handle:  # a line a crash cut short: close it off first
                        handle.seek(size - 1)
                        if handle.read(1) != b"\n":
                            line = b"\n" + line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def read(self, *, limit: int | None = None) -> AuditRead:
        """Every entry, oldest first (the newest ``limit`` with a limit); damaged lines are skipped and listed."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return AuditRead([], [])
        entries, damaged = [], []
        for number, line in enumerate(raw.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                entries.append(AuditEntry.from_dict(json.loads(line)))
            except (ValueError, RecursionError, TypeError):
                damaged.append(number)
        return AuditRead(entries[-limit:] if limit else entries, damaged)
