"""A conversation and its messages, as kept on disk (JSON, one file each)."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from sovtui.errors import UsageError

FORMAT_VERSION = 1
#: A title is one line of at most this many characters.
TITLE_CHARS = 80


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    """Time-sortable and unique: 20261124-195630-a1b2."""
    return now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def tokens(count: int) -> str:
    """``1 token``, ``42 tokens``."""
    return f"{count} token" if count == 1 else f"{count} tokens"


def clean_title(title: str) -> str:
    """A title as kept: one line, spaces collapsed, at most ``TITLE_CHARS``; UsageError if nothing is left."""
    cleaned = " ".join(title.split())[:TITLE_CHARS]
    if not cleaned:
        raise UsageError("give the new title")
    return cleaned


@dataclass
class Message:
    role: str  # "user", "assistant", "system", or "tool" (a tool's result, for the model)
    content: str = ""
    thinking: str = ""
    time: datetime = field(default_factory=now)
    model: str = ""
    eval_count: int | None = None
    eval_duration: int | None = None  # nanoseconds
    prompt_eval_count: int | None = None
    done_reason: str | None = None
    interrupted: bool = False
    error: str = ""
    #: An assistant message's tool calls, as Ollama sends them and wants them
    #: back: ``[{"function": {"name": ..., "arguments": {...}}}]``.
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    #: A "tool" message's tool: the result in ``content`` is what it returned.
    tool_name: str = ""
    #: A "tool" message whose call was refused (a limit, the owner): shown as such.
    refused: bool = False
    #: A "tool" message's outcome in one line, for people (``ToolResult.summary``).
    summary: str = ""
    #: The host that answered (an assistant message): with a pool, whichever member did.
    host: str = ""

    @property
    def tokens_per_second(self) -> float | None:
        if self.eval_count and self.eval_duration:
            return self.eval_count / (self.eval_duration / 1e9)
        return None

    @property
    def stats(self) -> str:
        """The line under a reply: tokens and speed."""
        parts = []
        if self.eval_count is not None:
            parts.append(tokens(self.eval_count))
        if self.tokens_per_second:
            parts.append(f"{self.tokens_per_second:.1f} tok/s")
        if self.prompt_eval_count:
            parts.append(f"prompt {tokens(self.prompt_eval_count)}")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = _iso(self.time)
        return {k: v for k, v in data.items() if (v not in (None, "", False) and v != []) or k in ("role", "content")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "time" in known:
            known["time"] = _parse_time(known["time"])
        if "tool_calls" in known:  # only well-formed calls; a file written by hand may hold anything
            calls = known["tool_calls"] if isinstance(known["tool_calls"], list) else []
            known["tool_calls"] = [c for c in calls if isinstance(c, dict) and isinstance(c.get("function"), dict)]
        return cls(**known)

    def to_request(self) -> dict[str, Any]:
        """The message as Ollama's /api/chat takes it (tool calls and tool results included)."""
        request: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            request["tool_calls"] = self.tool_calls
        if self.role == "tool" and self.tool_name:
            request["tool_name"] = self.tool_name
        return request


@dataclass
class Conversation:
    id: str = field(default_factory=new_id)
    title: str = ""
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)
    host: str = ""
    model: str = ""
    persona: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    #: The agent this conversation is given to ("": none): replies come with
    #: its tools, inside its credential (``sovtui.agent``).
    agent: str = ""
    #: A conversation held over Nostr private messages: the other side's public
    #: key (hex). "" for one typed here.
    nostr_peer: str = ""
    messages: list[Message] = field(default_factory=list)
    #: This conversation as this process last read or wrote it (``to_dict``):
    #: the common ancestor when a save merges what other processes changed
    #: meanwhile (``sovtui.chat.store``). Not saved.
    synced: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        # Header fields first: a reader can see what a file is without the messages.
        return {
            "format": FORMAT_VERSION,
            "id": self.id,
            "title": self.title,
            "created": _iso(self.created),
            "updated": _iso(self.updated),
            "host": self.host,
            "model": self.model,
            "persona": self.persona,
            "options": self.options,
            "agent": self.agent,
            "nostr_peer": self.nostr_peer,
            "messages": [m.to_dict() for m in self.messages],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            created=_parse_time(data["created"]),
            updated=_parse_time(data["updated"]),
            host=str(data.get("host", "")),
            model=str(data.get("model", "")),
            persona=str(data.get("persona", "")),
            options=dict(data.get("options") or {}),
            agent=str(data.get("agent") or ""),
            nostr_peer=str(data.get("nostr_peer") or ""),
            messages=[Message.from_dict(m) for m in data.get("messages", [])],
        )

    def rename(self, title: str) -> None:
        """Give the conversation a title (``clean_title``: one line, not empty)."""
        self.title = clean_title(title)

    def touch(self) -> None:
        self.updated = now()
        if not self.title:
            first = next((m.content for m in self.messages if m.role == "user" and m.content.strip()), "")
            self.title = " ".join(first.split())[:60]


def to_markdown(conversation: Conversation) -> str:
    """A conversation as a Markdown document a person can read or share."""
    lines = [f"# {conversation.title or 'Untitled conversation'}", ""]
    meta = [f"model: {conversation.model or '-'}", f"host: {conversation.host or '-'}"]
    if conversation.persona:
        meta.append(f"persona: {conversation.persona}")
    meta.append(f"started: {conversation.created.astimezone().strftime('%Y-%m-%d %H:%M')}")
    lines += [f"*{' · '.join(meta)}*", ""]
    for message in conversation.messages:
        who = "You" if message.role == "user" else (message.model or conversation.model or message.role)
        lines += [f"## {who}", ""]
        if message.thinking:
            lines += ["<details><summary>thinking</summary>", "", message.thinking.strip(), "", "</details>", ""]
        lines += [message.content.rstrip(), ""]
        if message.interrupted:
            lines += ["*(interrupted)*", ""]
    return "\n".join(lines).rstrip() + "\n"
