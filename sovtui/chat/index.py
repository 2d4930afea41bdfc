"""The conversation index: what the list and search need, in SQLite (FTS5).

The conversation files stay the truth. This index is derived and
disposable: it lives in the cache folder, is brought up to date from the
files' mtimes and sizes (``refresh``: one ``stat`` per file, and only the
files that changed are read again), and is deleted and built again from the
files when it is missing, corrupt or of another schema. So opening a year of
history costs a query of the rows on screen, not a parse of every file, and
a search is one FTS5 match instead of reading 100 MB of JSON.

Several processes share it (a TUI, ``sovtui chats list`` in another shell,
an agent service): the database is in WAL mode (readers never wait for a
writer) with a busy timeout, and every process refreshes from the files, so
whatever one process wrote, another sees at its next refresh. A refresh
reads and parses outside the write transaction and, inside it, writes only
rows whose file still has the mtime and size it parsed; a file that changed
meanwhile is left for the next refresh. Since a row is a function of its
file's bytes, two processes refreshing at once write the same thing.

Search is by words: every word of the query must begin a word of the title
or of a message (``bit`` finds "Bitcoin"), case and accents ignored, as
FTS5's ``unicode61`` tokenizer splits and folds them; ``words`` and
``highlights`` do the same in Python, so the front ends mark exactly the
words that matched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from sovtui.errors import SovtuiError
from sovtui.files import FILE_MODE, locked
from sovtui.paths import ensure_private_dir
from sovtui.text import valid_text

_T = TypeVar("_T")

#: Bump when the tables change: an index of another version is built again.
SCHEMA = 1
#: Files parsed and written per write transaction while building: other processes wait at most one batch.
BATCH = 400
#: How long a process waits for another's write transaction before giving up.
BUSY_MS = 10_000
#: A folder mtime this recent (ns) is not trusted to skip a scan: a save in the same clock tick leaves it unchanged.
RACY_NS = 2_000_000_000


# NamedTuples rather than frozen dataclasses: ``sovtui chats list`` would import ``dataclasses`` for these alone
# (with ``inspect``, ``ast`` and ``dis``: about 10 ms of a command that is to answer faster than grep).


class Summary(NamedTuple):
    id: str
    title: str
    updated: datetime
    model: str
    messages: int
    agent: str = ""  # the agent the conversation is given to
    nostr_peer: str = ""  # held over Nostr private messages with this key (hex)


#: A conversation as ``listing`` gives it: (id, title, updated as the file has it, updated as a POSIX timestamp,
#: model, messages, agent, nostr_peer); a ``Summary`` has the same fields but ``updated_at``.
Listed = tuple[str, str, str, float, str, int, str, str]


class Problem(NamedTuple):
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason} (skipped; the file was left as it is)"


class Refreshed(NamedTuple):
    """What one refresh changed in the index."""

    updated: int = 0  # rows added or written again
    removed: int = 0
    pending: int = 0  # files that changed while being read: left for the next refresh

    def __bool__(self) -> bool:
        return bool(self.updated or self.removed)


Progress = Callable[[int, int], None]

# --- words, as FTS5's unicode61 tokenizer sees them -------------------------------

#: A word: letters and digits (unicode61 counts the categories L*, N* and Co; "_" separates).
_WORD = re.compile(r"[^\W_]+")


def fold(word: str) -> str:
    """A word as the index compares it: case folded, accents removed (``remove_diacritics 2``)."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(query: str) -> list[str]:
    """The words of a search, folded; empty when there is nothing to search for."""
    return [fold(w) for w in _WORD.findall(query)]


def highlights(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where in ``text`` a word begins with one of ``terms`` (from ``words``): (start, end) of each such word."""
    if not terms:
        return []
    return [(m.start(), m.end()) for m in _WORD.finditer(text) if fold(m.group()).startswith(tuple(terms))]


def match_expression(terms: list[str]) -> str:
    """An FTS5 query: every term as a word prefix, all required."""
    return " ".join('"' + term.replace('"', '""') + '"*' for term in terms)


# --- the index ----------------------------------------------------------------

_TABLES = """
CREATE TABLE conversations (
    name TEXT PRIMARY KEY,          -- the file's name in the conversations folder
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    id TEXT, title TEXT, updated TEXT, updated_at REAL, model TEXT, messages INTEGER,
    agent TEXT, nostr_peer TEXT,
    problem TEXT                    -- why the file cannot be read (its other fields are then empty)
);
CREATE INDEX conversations_newest ON conversations (updated_at DESC, id DESC) WHERE problem IS NULL;
CREATE VIRTUAL TABLE conversations_text USING fts5 (title, body, tokenize = "unicode61 remove_diacritics 2");
CREATE TABLE meta (key TEXT PRIMARY KEY, value);   -- "folder": the folder indexed, "stamp": its mtime at the last scan
"""

_COLUMNS = "c.id, c.title, c.updated, c.model, c.messages, c.agent, c.nostr_peer"
#: ``Listed``'s columns.
_LISTED = "c.id, c.title, c.updated, c.updated_at, c.model, c.messages, c.agent, c.nostr_peer"
_NEWEST = "ORDER BY c.updated_at DESC, c.id DESC"


class IndexUnavailable(SovtuiError):
    """The index could not be used even after building it again."""


class ConversationIndex:
    """The index of the conversation files in ``folder``, kept in ``database``.

    Safe to call from any thread (one connection, used under a lock); each
    process has its own.
    """

    def __init__(self, folder: Path, database: Path) -> None:
        self.folder = folder
        self.database = database
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._inode: int | None = None

    # --- the connection ---------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """The open connection, opened (and the tables made) if needed, again if the file was replaced."""
        if self._db is not None:
            try:
                if os.stat(self.database).st_ino == self._inode:
                    return self._db
            except FileNotFoundError:
                pass
            self.close()  # deleted or replaced by another process: open the one on disk now
        ensure_private_dir(self.database.parent)
        fd = os.open(self.database, os.O_RDWR | os.O_CREAT, FILE_MODE)  # 0600 from the start: it holds every prompt
        os.close(fd)
        db = sqlite3.connect(self.database, timeout=BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            if db.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                raise sqlite3.DatabaseError("WAL mode refused")
            db.execute("PRAGMA synchronous = NORMAL")  # a cache: losing the last transaction to a power cut costs a refresh
            db.execute("PRAGMA secure_delete = ON")  # a deleted conversation's text does not linger in free pages
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                self._create(db)
        except BaseException:
            db.close()
            raise
        self._db, self._inode = db, os.stat(self.database).st_ino
        return db

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:  # another process may have made them meanwhile
                for (kind, name) in db.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view')").fetchall():
                    if not name.startswith("sqlite_") and "_text_" not in name:
                        db.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
                for statement in _TABLES.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
            self._db, self._inode = None, None

    def _rebuild(self) -> None:
        """Delete the index file and start again (under a lock, so two processes do not delete each other's new one)."""
        inode = self._inode
        self.close()
        with locked(self.database):
            try:
                current = os.stat(self.database).st_ino
            except FileNotFoundError:
                current = None
            if current is not None and (inode is None or current == inode):
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(f"{self.database}{suffix}")
            self._connect()

    def _use(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` on the connection; an unreadable index is built again once from the files."""
        with self._lock:
            try:
                return work(self._connect())
            except sqlite3.OperationalError as exc:
                if _busy(exc):
                    raise IndexUnavailable(f"the conversation index is busy ({self.database}): another sovtui is writing it; try again") from None
                failure: sqlite3.Error = exc
            except sqlite3.DatabaseError as exc:  # not a database, malformed: it is only a cache
                failure = exc
            try:
                self._rebuild()
                self._refresh(self._connect(), None)
                return work(self._connect())
            except sqlite3.Error as exc:
                raise IndexUnavailable(f"cannot use the conversation index {self.database}: {exc} (first: {failure})") from None

    # --- bringing it up to date -----------------------------------------------------

    def refresh(self, progress: Progress | None = None, *, full: bool = True) -> Refreshed:
        """Read again every file whose mtime or size differs from the index's; drop the rows of files gone.

        With ``full=False`` the files are not even looked at when the
        folder's mtime is the one of the last scan: every save renames a new
        file into the folder, which changes it. A file rewritten in place (an
        editor, by hand) is seen at the next full refresh.
        """
        return self._use(lambda db: self._refresh(db, progress, full))

    def _refresh(self, db: sqlite3.Connection, progress: Progress | None, full: bool = True) -> Refreshed:
        stamp = _folder_stamp(self.folder)
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("folder") != str(self.folder):  # another data folder (XDG_DATA_HOME changed): nothing here holds
            with _transaction(db):
                for table in ("conversations", "conversations_text", "meta"):
                    db.execute(f"DELETE FROM {table}")
                db.execute("INSERT INTO meta VALUES ('folder', ?)", (str(self.folder),))
            meta = {}
        elif not full and stamp is not None and meta.get("stamp") == stamp:
            return Refreshed()
        on_disk = _scan(self.folder)
        known = {name: (mtime, size) for name, mtime, size in db.execute("SELECT name, mtime_ns, size FROM conversations")}
        changed = [name for name, key in on_disk.items() if known.get(name) != key]
        gone = [name for name in known if name not in on_disk]
        updated = pending = removed = 0
        if gone:
            with _transaction(db):
                for name in gone:
                    if not (self.folder / name).exists():
                        removed += _delete(db, name)
        for start in range(0, len(changed), BATCH):
            rows = [_read(self.folder / name, on_disk[name]) for name in changed[start:start + BATCH]]
            with _transaction(db):
                for name, row in zip(changed[start:start + BATCH], rows):
                    if row is None or _stat_key(self.folder / name) != on_disk[name]:
                        pending += 1  # changed (or went) while we read it: the next refresh takes it
                        continue
                    _write(db, name, on_disk[name], row)
                    updated += 1
            if progress is not None:
                progress(min(start + BATCH, len(changed)), len(changed))
        # Trusted next time only if nothing was left over and the folder had been still long enough to tell a change.
        settled = stamp is not None and not pending and time.time_ns() - stamp > RACY_NS
        if (stamp if settled else None) != meta.get("stamp"):
            with _transaction(db):
                db.execute("INSERT OR REPLACE INTO meta VALUES ('stamp', ?)", (stamp if settled else None,))
        return Refreshed(updated, removed, pending)

    # --- reading it -------------------------------------------------------------

    def count(self) -> int:
        return self._use(lambda db: db.execute("SELECT count(*) FROM conversations WHERE problem IS NULL").fetchone()[0])

    def summaries(self, limit: int = -1) -> list[Summary]:
        """Every readable conversation the index knows, newest first (at most ``limit``)."""
        return [_summary(row) for row in self._select(_COLUMNS, "", limit)]

    def search(self, query: str, limit: int = -1) -> list[Summary]:
        """Conversations where every word of ``query`` begins a word of the title or a message, newest first.

        No snippets here: FTS5 makes one by reading the conversation's text
        again (about 0.2 ms each, seconds for a word in every conversation),
        so a front end asks ``snippets`` for the hits it shows.
        """
        return [_summary(row) for row in self._select(_COLUMNS, query, limit)]

    def listing(self, query: str = "", limit: int = -1) -> list[Listed]:
        """What ``search`` finds (every conversation for an empty ``query``), in its order, as plain rows.

        The same conversations as ``search``, but tuples of what a listing
        prints instead of a ``Summary`` each: making 5,000 of them (a word in
        half the conversations of a year) took about a third of the query's
        time, and ``sovtui chats list`` shows the time from ``updated_at``.
        """
        return self._select(_LISTED, query, limit)

    def _select(self, columns: str, query: str, limit: int) -> list[Any]:
        """Rows of ``columns`` of the readable conversations that match ``query`` (all, for no words), newest first."""
        terms = words(query)
        if not terms:
            sql = f"SELECT {columns} FROM conversations c WHERE c.problem IS NULL {_NEWEST} LIMIT ?"
            return self._use(lambda db: db.execute(sql, (limit,)).fetchall())
        sql = (f"SELECT {columns} FROM conversations_text t JOIN conversations c ON c.rowid = t.rowid "
               f"WHERE conversations_text MATCH ? AND c.problem IS NULL {_NEWEST} LIMIT ?")
        return self._use(lambda db: db.execute(sql, (match_expression(terms), limit)).fetchall())

    def snippets(self, query: str, ids: list[str]) -> dict[str, str]:
        """For each of ``ids`` whose messages match ``query``: the words around the best match, on one line."""
        terms = words(query)
        if not terms or not ids:
            return {}
        sql = ("SELECT c.id, snippet(conversations_text, 1, '', '', '…', 12) FROM conversations_text t "
               "JOIN conversations c ON c.rowid = t.rowid WHERE conversations_text MATCH ? AND c.id IN "
               f"({', '.join('?' * len(ids))})")
        rows = self._use(lambda db: db.execute(sql, (match_expression(terms), *ids)).fetchall())
        found = {cid: " ".join(text.split()) for cid, text in rows}
        return {cid: text for cid, text in found.items() if highlights(text, terms)}  # a match in the title alone: no snippet

    def problems(self) -> list[Problem]:
        """The files the index could not read, with why."""
        # NOT INDEXED: one pass over the table and a sort of the few problems, not 10,000 look-ups in name order (1 ms, not 5).
        sql = "SELECT name, problem FROM conversations NOT INDEXED WHERE problem IS NOT NULL ORDER BY name"
        rows = self._use(lambda db: db.execute(sql).fetchall())
        return [Problem(self.folder / name, reason) for name, reason in rows]


# --- the rows ---------------------------------------------------------------------


def _scan(folder: Path) -> dict[str, tuple[int, int]]:
    """Every conversation file's name and (mtime in ns, size): one stat each, nothing read."""
    found: dict[str, tuple[int, int]] = {}
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            name = entry.name
            if not name.endswith(".json") or name.startswith("."):
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            found[name] = (stat.st_mtime_ns, stat.st_size)
    return found


def _folder_stamp(folder: Path) -> int | None:
    try:
        return os.stat(folder).st_mtime_ns
    except FileNotFoundError:
        return None


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size




def _read(path: Path, key: tuple[int, int]) -> dict[str, Any] | None:
    """The row of one file (None: it went away); a file that cannot be read is a row with its problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return {"problem": str(exc) or type(exc).__name__}
    if len(raw) != key[1]:
        return None  # written again since the stat: its row would be keyed wrong
    try:
        data = json.loads(raw)
        updated = parse_time(str(data["updated"]))
        messages = data.get("messages", [])
        if not isinstance(messages, list):
            raise TypeError("messages is not a list")
        body = "\n\n".join(str(m.get("content") or "") for m in messages if isinstance(m, dict))
        return {
            "id": valid_text(str(data["id"])), "title": valid_text(str(data.get("title", ""))), "updated": valid_text(str(data["updated"])),
            "updated_at": updated.timestamp(), "model": valid_text(str(data.get("model", ""))), "messages": len(messages),
            "agent": valid_text(str(data.get("agent") or "")), "nostr_peer": valid_text(str(data.get("nostr_peer") or "")),
            "body": valid_text(body),
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return {"problem": describe(exc)}


def _write(db: sqlite3.Connection, name: str, key: tuple[int, int], row: dict[str, Any]) -> None:
    found = db.execute("SELECT rowid FROM conversations WHERE name = ?", (name,)).fetchone()
    values = (key[0], key[1], row.get("id"), row.get("title"), row.get("updated"), row.get("updated_at"), row.get("model"),
              row.get("messages"), row.get("agent"), row.get("nostr_peer"), row.get("problem"))
    if found is None:
        rowid = db.execute("INSERT INTO conversations (mtime_ns, size, id, title, updated, updated_at, model, messages, agent, "
                           "nostr_peer, problem, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*values, name)).lastrowid
    else:
        rowid = found[0]
        db.execute("UPDATE conversations SET mtime_ns = ?, size = ?, id = ?, title = ?, updated = ?, updated_at = ?, model = ?, "
                   "messages = ?, agent = ?, nostr_peer = ?, problem = ? WHERE rowid = ?", (*values, rowid))
        db.execute("DELETE FROM conversations_text WHERE rowid = ?", (rowid,))
    if "problem" not in row:
        db.execute("INSERT INTO conversations_text (rowid, title, body) VALUES (?, ?, ?)", (rowid, row["title"], row["body"]))


def _delete(db: sqlite3.Connection, name: str) -> int:
    found = db.execute("SELECT rowid FROM conversations WHERE name = ?", (name,)).fetchone()
    if found is None:
        return 0
    db.execute("DELETE FROM conversations_text WHERE rowid = ?", found)
    db.execute("DELETE FROM conversations WHERE rowid = ?", found)
    return 1


def _summary(row: tuple[Any, ...]) -> Summary:
    return Summary(row[0], row[1], parse_time(row[2]), row[3], row[4], row[5], row[6])


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")  # the write lock now, not at the first write: no upgrade deadlock with another writer
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


#: SQLite's result codes for "another connection holds the lock" (SQLITE_BUSY, SQLITE_LOCKED), extended ones included.
_BUSY_CODES = frozenset({5, 6})


def _busy(exc: sqlite3.OperationalError) -> bool:
    """Another connection holds the lock: by SQLite's result code, not the message's words."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _BUSY_CODES


def parse_time(value: str) -> datetime:
    """A conversation's ``updated`` as the index reads it (a time without an offset is UTC)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def describe(exc: BaseException) -> str:
    """Why a conversation file cannot be read, in a few words."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__
