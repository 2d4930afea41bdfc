"""Conversations on disk: one JSON file each in the data folder.

Files are written atomically (a crash leaves the old or the new version); a
file that cannot be read is reported and skipped, never deleted or
rewritten. Listing and search go through ``ConversationIndex``
(``sovtui.chat.index``), an SQLite index in the cache folder brought up to
date from the files' mtimes and sizes, so a year of history lists and
searches in milliseconds; the files stay the truth.

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
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sovtui.chat.index import ConversationIndex, Listed, Problem, Progress, Refreshed, Summary, describe
from sovtui.errors import SovtuiError
from sovtui.files import atomic_write, locked
from sovtui.paths import Paths

if TYPE_CHECKING:  # imported where used: ``sovtui chats list`` reads only the index (models pulls in secrets, hashlib)
    from sovtui.chat.models import Conversation

__all__ = ["ConversationNotFound", "ConversationStore", "Listed", "Problem", "Refreshed", "Summary", "merge"]


class ConversationNotFound(SovtuiError):
    pass


#: Conversations whose last written bytes a store remembers (to skip parsing its own writes).
_REMEMBERED = 8


class ConversationStore:
    def __init__(self, paths: Paths) -> None:
        self.folder = paths.conversations_dir
        self.index = ConversationIndex(self.folder, paths.conversation_index)
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
            try:
                payload = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate, which JSON from elsewhere may carry: kept, escaped as it came
                payload = json.dumps(data, ensure_ascii=True, indent=1).encode("ascii")
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
        from sovtui.chat.models import Conversation

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
        from sovtui.chat.models import Conversation

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

    def refresh(self, progress: Progress | None = None, *, full: bool = False) -> Refreshed:
        """Bring the index up to date with the files (what changed since; problems in ``self.problems``).

        Every save renames a new file into the folder, so the folder's mtime
        tells whether anything was saved, added or deleted since the last
        scan; ``full`` looks at every file's mtime and size anyway, to catch
        a file rewritten in place (by hand, by another program).
        """
        changes = self.index.refresh(progress, full=full)
        self.problems = self.index.problems()
        return changes

    def folder_stamp(self) -> int | None:
        """The folder's mtime (ns): it changes whenever a conversation is saved, added or deleted (saves rename)."""
        try:
            return os.stat(self.folder).st_mtime_ns
        except FileNotFoundError:
            return None

    def summaries(self, *, refresh: bool = True) -> list[Summary]:
        """Every readable conversation, newest first; problems in ``self.problems``."""
        if refresh:
            self.refresh()
        return self.index.summaries()

    def search(self, query: str, *, refresh: bool = True, limit: int = -1) -> list[Summary]:
        """Conversations where every word of ``query`` begins a word of the title or a message, newest first.

        An empty query lists every conversation. ``snippets`` gives the words
        around the match for the hits a front end shows, and
        ``sovtui.chat.index.highlights`` the matched words in a title or snippet.
        """
        if refresh:
            self.refresh()
        return self.index.search(query, limit)

    def listing(self, query: str = "", *, refresh: bool = True) -> list[Listed]:
        """``search``'s conversations as plain rows (``sovtui.chat.index.Listed``), for a front end that prints thousands."""
        if refresh:
            self.refresh()
        return self.index.listing(query)

    def snippets(self, query: str, ids: list[str]) -> dict[str, str]:
        """The words around the match in each of these conversations' messages (none where only the title matched)."""
        return self.index.snippets(query, ids)


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
    from sovtui.chat.models import _parse_time

    try:
        return theirs if _parse_time(str(theirs)) > _parse_time(str(mine)) else mine
    except ValueError:
        return mine


def _glob_safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_")


_describe = describe
