"""Conversations on disk: one JSON file each in the data folder.

Files are written atomically (a crash leaves the old or the new version); a
file that cannot be read is reported and skipped, never deleted or
rewritten. Listing keeps a small cache of each file's title, date, model and
size in the state folder, keyed by the file's mtime and size, so opening the
app with hundreds of long conversations does not parse them all.

Several processes may hold the same conversation: a TUI, ``sovtui chat
--continue`` in another shell, ``sovtui chats rename``. A save never writes
back only what this process read: under the file's lock it reads the file
again and merges (``merge``) with ``Conversation.synced``, the version this
process last read or wrote, as the common ancestor: messages another
process added are kept, a title another process set is kept unless this one
changed it too, and what this process added goes right after the message it
followed. A file deleted meanwhile is written again whole: a reply that was
streaming is not thrown away. Reading the file again costs one read and a
byte comparison when nobody else wrote it (the common case, once a second
while a reply streams); it is parsed only when it changed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sovtui.chat.models import Conversation, _parse_time
from sovtui.errors import SovtuiError
from sovtui.files import atomic_write, locked
from sovtui.paths import Paths


class ConversationNotFound(SovtuiError):
    pass


@dataclass(frozen=True)
class Summary:
    id: str
    title: str
    updated: datetime
    model: str
    messages: int
    agent: str = ""  # the agent the conversation is given to
    nostr_peer: str = ""  # held over Nostr private messages with this key (hex)


@dataclass(frozen=True)
class Problem:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason} (skipped; the file was left as it is)"


#: Conversations whose last written bytes a store remembers (to skip parsing its own writes).
_REMEMBERED = 8


class ConversationStore:
    def __init__(self, paths: Paths) -> None:
        self.folder = paths.conversations_dir
        self.index_file = paths.state_dir / "conversations-index.json"
        self.problems: list[Problem] = []
        #: id -> (the bytes this store last wrote, the data they hold).
        self._written: dict[str, tuple[bytes, dict[str, Any]]] = {}

    def path_of(self, conversation_id: str) -> Path:
        return self.folder / f"{conversation_id}.json"

    # --- writing --------------------------------------------------------------

    def save(self, conversation: Conversation) -> None:
        """Lock, read the file again, merge, write (see the module docstring)."""
        path = self.path_of(conversation.id)
        mine = conversation.to_dict()
        with locked(path):
            theirs = self._current(path, conversation.id)
            data = mine if theirs is None else merge(conversation.synced, mine, theirs)
            payload = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
            atomic_write(path, payload)
        self._remember(conversation.id, payload, data)
        conversation.synced = mine

    def _current(self, path: Path, conversation_id: str) -> dict[str, Any] | None:
        """The conversation as the file holds it now (None: no file), normalised like ``to_dict``."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        written = self._written.get(conversation_id)
        if written is not None and written[0] == raw:
            return written[1]  # nobody wrote it since we did
        try:
            return Conversation.from_dict(json.loads(raw)).to_dict()
        except (ValueError, KeyError, TypeError) as exc:
            # Never overwrite a file that cannot be read: whatever it holds would be lost.
            raise SovtuiError(f"{path}: cannot read this conversation ({_describe(exc)}); the file was left as it is") from None

    def _remember(self, conversation_id: str, payload: bytes, data: dict[str, Any]) -> None:
        self._written.pop(conversation_id, None)
        self._written[conversation_id] = (payload, data)
        while len(self._written) > _REMEMBERED:
            self._written.pop(next(iter(self._written)))

    def delete(self, conversation_id: str) -> None:
        path = self.path_of(self.resolve(conversation_id))
        with locked(path):
            path.unlink(missing_ok=True)
        # The lock file stays: removing it would let a process that opened it
        # before and one that creates it anew hold "the" lock at the same time.
        self._written.pop(path.stem, None)

    # --- reading --------------------------------------------------------------

    def load(self, conversation_id: str) -> Conversation:
        path = self.path_of(self.resolve(conversation_id))
        try:
            conversation = Conversation.from_dict(json.loads(path.read_text(encoding="utf-8")))
            conversation.synced = conversation.to_dict()
            return conversation
        except FileNotFoundError:
            raise ConversationNotFound(f"no conversation {conversation_id!r}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise SovtuiError(f"{path}: cannot read this conversation ({_describe(exc)}); the file was left as it is") from None

    def resolve(self, prefix: str) -> str:
        """The id that ``prefix`` names (a unique start of an id, like git)."""
        if self.path_of(prefix).exists():
            return prefix
        matches = sorted(p.stem for p in self.folder.glob(f"{_glob_safe(prefix)}*.json")) if self.folder.exists() else []
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ConversationNotFound(f"no conversation {prefix!r}: see 'sovtui chats list'")
        raise SovtuiError(f"{prefix!r} names {len(matches)} conversations: give more of the id")

    def summaries(self) -> list[Summary]:
        """Every readable conversation, newest first; problems in ``self.problems``."""
        self.problems = []
        if not self.folder.exists():
            return []
        cache = self._read_index()
        fresh: dict[str, dict] = {}
        found: list[Summary] = []
        for path in self.folder.glob("*.json"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            key = f"{stat.st_mtime_ns}:{stat.st_size}"
            entry = cache.get(path.name)
            if entry is None or entry.get("key") != key:
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                    entry = {
                        "key": key,
                        "id": str(data["id"]),
                        "title": str(data.get("title", "")),
                        "updated": str(data["updated"]),
                        "model": str(data.get("model", "")),
                        "messages": len(data.get("messages", [])),
                        "agent": str(data.get("agent") or ""),
                        "nostr_peer": str(data.get("nostr_peer") or ""),
                    }
                    _parse_time(entry["updated"])
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    self.problems.append(Problem(path, _describe(exc)))
                    continue
            fresh[path.name] = entry
            found.append(Summary(entry["id"], entry["title"], _parse_time(entry["updated"]), entry["model"], entry["messages"],
                                 str(entry.get("agent", "")), str(entry.get("nostr_peer", ""))))
        if fresh != cache:
            try:
                atomic_write(self.index_file, json.dumps(fresh))
            except OSError:
                pass  # the index is only a cache
        found.sort(key=lambda s: s.updated, reverse=True)
        return found

    def _read_index(self) -> dict[str, dict]:
        try:
            data = json.loads(self.index_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def search(self, query: str) -> list[Summary]:
        """Conversations whose title or any message contains ``query`` (case-insensitive)."""
        needle = query.casefold().strip()
        summaries = self.summaries()
        if not needle:
            return summaries
        hits = []
        for summary in summaries:
            if needle in summary.title.casefold():
                hits.append(summary)
                continue
            try:
                text = self.path_of(summary.id).read_text(encoding="utf-8")
                conversation = Conversation.from_dict(json.loads(text))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if any(needle in m.content.casefold() for m in conversation.messages):
                hits.append(summary)
        return hits


#: Fields of a conversation that one process may change while another adds messages.
_HEADER = ("title", "created", "host", "model", "persona", "options", "agent", "nostr_peer")


def merge(base: dict[str, Any] | None, mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Three-way merge of a conversation (``to_dict`` form): nothing either side added is lost.

    ``base`` is what this process last read or wrote, ``mine`` what it holds
    now, ``theirs`` what the file holds now. A header field takes this
    process's value if it changed it, else the file's. A message is known by
    its role and time (and how many before it share them); one that only the
    file has was added by another process and is kept; one that this process
    dropped (regenerate, edit) is dropped unless the other process changed
    it since; one that only this process has is put right after the message
    it follows here.
    """
    base = base or {}
    merged = dict(mine)
    for name in _HEADER:
        if name in theirs and name in base and mine.get(name) == base.get(name):
            merged[name] = theirs[name]
    merged["updated"] = _later(mine.get("updated"), theirs.get("updated"))

    known = dict(_keyed(base.get("messages", [])))
    ours = _keyed(mine.get("messages", []))
    ours_by_key = dict(ours)
    result: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for key, message in _keyed(theirs.get("messages", [])):
        if key in ours_by_key:
            mine_changed = key not in known or ours_by_key[key] != known[key]
            result.append((key, ours_by_key[key] if mine_changed else message))
        elif key not in known or message != known[key]:
            result.append((key, message))  # added (or changed) by the other process
        # else: this process dropped it, and nobody changed it since
    placed = {key for key, _ in result}
    previous: tuple[Any, ...] | None = None
    for key, message in ours:
        if key not in placed and not (key in known and message == known[key]):  # not dropped by the other process
            keys = [k for k, _ in result]
            at = keys.index(previous) + 1 if previous is not None else 0
            result.insert(at, (key, message))
            placed.add(key)
        if key in placed:
            previous = key
    merged["messages"] = [message for _, message in result]
    return merged


def _keyed(messages: list[dict[str, Any]]) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    seen: Counter[tuple[Any, Any]] = Counter()
    keyed = []
    for message in messages:
        identity = (message.get("role"), message.get("time"))
        keyed.append(((*identity, seen[identity]), message))
        seen[identity] += 1
    return keyed


def _later(mine: Any, theirs: Any) -> Any:
    try:
        return theirs if _parse_time(str(theirs)) > _parse_time(str(mine)) else mine
    except ValueError:
        return mine


def _glob_safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__
