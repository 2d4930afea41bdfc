"""Conversations on disk: one JSON file each in the data folder.

Files are written atomically (a crash leaves the old or the new version); a
file that cannot be read is reported and skipped, never deleted or
rewritten. Listing keeps a small cache of each file's title, date, model and
size in the state folder, keyed by the file's mtime and size, so opening the
app with hundreds of long conversations does not parse them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sovtui.chat.models import Conversation, _parse_time, to_markdown
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


@dataclass(frozen=True)
class Problem:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason} (skipped; the file was left as it is)"


class ConversationStore:
    def __init__(self, paths: Paths) -> None:
        self.folder = paths.conversations_dir
        self.index_file = paths.state_dir / "conversations-index.json"
        self.problems: list[Problem] = []

    def path_of(self, conversation_id: str) -> Path:
        return self.folder / f"{conversation_id}.json"

    # --- writing --------------------------------------------------------------

    def save(self, conversation: Conversation) -> None:
        path = self.path_of(conversation.id)
        data = json.dumps(conversation.to_dict(), ensure_ascii=False, indent=1)
        with locked(path):
            atomic_write(path, data)

    def delete(self, conversation_id: str) -> None:
        path = self.path_of(self.resolve(conversation_id))
        with locked(path):
            path.unlink(missing_ok=True)
        (path.parent / f".{path.name}.lock").unlink(missing_ok=True)

    # --- reading --------------------------------------------------------------

    def load(self, conversation_id: str) -> Conversation:
        path = self.path_of(self.resolve(conversation_id))
        try:
            return Conversation.from_dict(json.loads(path.read_text(encoding="utf-8")))
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
                    }
                    _parse_time(entry["updated"])
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    self.problems.append(Problem(path, _describe(exc)))
                    continue
            fresh[path.name] = entry
            found.append(Summary(entry["id"], entry["title"], _parse_time(entry["updated"]), entry["model"], entry["messages"]))
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

    def export(self, conversation_id: str, fmt: str = "md") -> str:
        conversation = self.load(conversation_id)
        if fmt == "json":
            return json.dumps(conversation.to_dict(), ensure_ascii=False, indent=2) + "\n"
        return to_markdown(conversation)


def _glob_safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__
