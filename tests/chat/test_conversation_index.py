"""The conversation index (sovtui/chat/index.py) against the files it is derived from.

The oracle reads every file and searches it in plain Python: whatever
sequence of saves, deletes, in-place edits and broken files, by this process
or another, the index must list and find exactly what the oracle does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovtui.chat import index
from sovtui.chat.index import ConversationIndex, fold, highlights, words
from sovtui.chat.models import Conversation, Message
from sovtui.chat.store import ConversationStore
from sovtui.paths import Paths

ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = ["apple", "apricot", "Banana", "band", "cherry", "Café", "cafe", "node", "nodes", "x1", "zeta"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def paths_in(base: Path) -> Paths:
    return Paths(base / "config", base / "data", base / "state", base / "cache")


def oracle(folder: Path, query: str = "") -> list[tuple[str, str, datetime, int]]:
    """What the list (or a search) must show, read straight from the files."""
    found = []
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            updated = datetime.fromisoformat(data["updated"].replace("Z", "+00:00"))
            texts = [data.get("title", "")] + [m.get("content", "") for m in data["messages"]]
        except (ValueError, KeyError, TypeError):
            continue
        tokens = {fold(w) for text in texts for w in index._WORD.findall(text)}
        if all(any(token.startswith(term) for token in tokens) for term in words(query)):
            found.append((str(data["id"]), str(data.get("title", "")), updated, len(data["messages"])))
    return sorted(found, key=lambda row: (row[2].timestamp(), row[0]), reverse=True)


def shown(store: ConversationStore, query: str = "") -> list[tuple[str, str, datetime, int]]:
    return [(s.id, s.title, s.updated, s.messages) for s in store.search(query, refresh=False)]


text = st.lists(st.sampled_from(VOCABULARY + ["-", ",", "?"]), max_size=6).map(" ".join)
operation = st.one_of(
    st.tuples(st.just("save"), st.integers(0, 4), text, st.lists(text, max_size=3), st.integers(0, 3)),
    st.tuples(st.just("delete"), st.integers(0, 4)),
    st.tuples(st.just("edit in place"), st.integers(0, 4), text),
    st.tuples(st.just("break"), st.integers(0, 4)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.booleans(), operation), min_size=1, max_size=12),
       queries=st.lists(text, min_size=1, max_size=3))
def test_the_index_lists_and_finds_what_the_files_hold(tmp_path_factory: pytest.TempPathFactory, steps, queries) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("index")
    # Two stores, each with its own connection to the one index: two processes, as far as SQLite can tell.
    mine, theirs = ConversationStore(paths_in(base)), ConversationStore(paths_in(base))
    folder = mine.folder
    folder.mkdir(parents=True)
    for by_other, step in steps:
        store = theirs if by_other else mine
        kind, slot = step[0], step[1]
        path = folder / f"20260101-000000-000{slot}.json"
        if kind == "save":
            _, _, title, contents, minutes = step
            conversation = Conversation(id=path.stem, title=title, updated=START + timedelta(minutes=minutes),
                                        messages=[Message("user", c, time=START) for c in contents])
            path.unlink(missing_ok=True)  # a broken file is never overwritten: this step writes a fresh one
            store.save(conversation)
        elif kind == "delete" and path.exists():
            path.unlink()
        elif kind == "edit in place" and path.exists():
            try:
                data = json.loads(path.read_text())
            except ValueError:
                continue
            before = path.stat().st_mtime_ns
            data["title"] = step[2]
            path.write_text(json.dumps(data))  # no rename: the folder's mtime stays
            os.utime(path, ns=(before + 1_000_000, before + 1_000_000))  # a later edit has a later mtime, even in one clock tick
        elif kind == "break" and path.exists():
            path.write_text('{"id": "broken", "messages": [')
        store.refresh(full=True)
        reader = mine if not by_other else theirs
        assert shown(reader) == oracle(folder)
    for store in (mine, theirs):
        store.refresh(full=True)
        assert shown(store) == oracle(folder)
        for query in queries:
            assert shown(store, query) == oracle(folder, query), query
        assert {p.path.name for p in store.problems} == {p.name for p in folder.glob("*.json") if "broken" in p.read_text()}


def test_search_takes_word_prefixes_in_titles_and_messages_newest_first(ctx) -> None:  # type: ignore[no-untyped-def]
    store = ConversationStore(ctx.paths)
    older = Conversation(title="Bitcoin nodes", updated=START)
    newer = Conversation(title="Cooking", updated=START + timedelta(days=1), messages=[Message("user", "How long do I boil an égg? About bitcoins")])
    for conversation in (older, newer):
        store.save(conversation)
    assert [s.id for s in store.search("bit")] == [newer.id, older.id]
    assert [s.id for s in store.search("EGG boil")] == [newer.id]
    assert store.search("itcoin") == []  # the start of a word, not the middle
    assert store.search("egg soup") == []  # every word must be there
    snippets = store.snippets("egg", [newer.id, older.id])
    assert snippets == {newer.id: "How long do I boil an égg? About bitcoins"}
    assert store.snippets("nodes", [older.id]) == {}  # only the title matched: nothing to show from the messages


def test_highlights_mark_the_matched_words_as_the_index_folds_them() -> None:
    line = "Crème brûlée, CREME_fraîche and cremation"
    assert [line[a:b] for a, b in highlights(line, words("crem"))] == ["Crème", "CREME", "cremation"]
    assert highlights(line, []) == []


def test_a_corrupt_index_is_built_again_from_the_files(ctx) -> None:  # type: ignore[no-untyped-def]
    store = ConversationStore(ctx.paths)
    store.save(Conversation(title="kept", messages=[Message("user", "hello")]))
    assert [s.title for s in store.summaries()] == ["kept"]
    store.index.close()
    database = ctx.paths.conversation_index
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(b"this is not a database" * 100)
    again = ConversationStore(ctx.paths)
    assert [s.title for s in again.summaries()] == ["kept"]
    assert [s.title for s in again.search("hello")] == ["kept"]


def test_an_index_deleted_or_of_another_version_is_built_again(ctx) -> None:  # type: ignore[no-untyped-def]
    store = ConversationStore(ctx.paths)
    store.save(Conversation(title="first"))
    assert len(store.summaries()) == 1
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ctx.paths.conversation_index}{suffix}").unlink(missing_ok=True)
    store.save(Conversation(title="second"))
    assert {s.title for s in store.summaries()} == {"first", "second"}  # the same store: it notices its file went
    store.index.close()
    import sqlite3

    with sqlite3.connect(ctx.paths.conversation_index) as db:
        db.execute("PRAGMA user_version = 999")
    assert {s.title for s in ConversationStore(ctx.paths).summaries()} == {"first", "second"}
    assert oct(ctx.paths.conversation_index.stat().st_mode & 0o777) == "0o600"


def test_an_unchanged_folder_is_not_scanned_again(ctx, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    store = ConversationStore(ctx.paths)
    store.save(Conversation(title="one"))
    past = 1_600_000_000_000_000_000
    os.utime(store.folder, ns=(past, past))  # quiet for long enough: the folder's mtime can be trusted
    store.refresh()
    scans: list[Path] = []
    real = index._scan
    monkeypatch.setattr(index, "_scan", lambda folder: scans.append(folder) or real(folder))
    assert [s.title for s in store.summaries()] == ["one"]
    assert scans == []
    store.save(Conversation(title="two"))  # renamed into the folder: its mtime moves
    assert {s.title for s in store.summaries()} == {"one", "two"}
    assert scans == [store.folder]


def test_moving_the_data_folder_leaves_nothing_of_the_old_one(tmp_path: Path) -> None:
    first = ConversationStore(Paths(tmp_path / "c", tmp_path / "data1", tmp_path / "s", tmp_path / "cache"))
    first.save(Conversation(title="in the first"))
    assert len(first.summaries()) == 1
    second = ConversationStore(Paths(tmp_path / "c", tmp_path / "data2", tmp_path / "s", tmp_path / "cache"))
    assert second.summaries() == []


_WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta, timezone
    from pathlib import Path
    from sovtui.chat.models import Conversation, Message
    from sovtui.chat.store import ConversationStore
    from sovtui.paths import Paths
    base, start, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    store = ConversationStore(Paths(base / "config", base / "data", base / "state", base / "cache"))
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(start, start + count):
        store.save(Conversation(id=f"20260101-000000-{n:04x}", title=f"from another process {n}", updated=moment + timedelta(minutes=n),
                                messages=[Message("user", f"word{n} shared")]))
        if n % 10 == 0:
            store.summaries()
    print(len(store.summaries()))
""")


def test_two_processes_writing_and_refreshing_at_once_agree(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), str(start), "60"], env=env, stdout=subprocess.PIPE, text=True)
               for start in (0, 100)]
    store = ConversationStore(paths_in(tmp_path))
    while any(w.poll() is None for w in writers):
        store.summaries()  # refreshing while both others write and refresh
    for writer in writers:
        out, _ = writer.communicate(timeout=60)
        assert writer.returncode == 0
    store.refresh(full=True)
    assert shown(store) == oracle(store.folder) and len(shown(store)) == 120
    assert [s.id for s in store.search("word101")] == ["20260101-000000-0065"]
    assert len(store.search("shared")) == 120


def test_a_lone_surrogate_in_a_file_is_listed_and_found_not_a_crash(cli, ctx) -> None:  # type: ignore[no-untyped-def]
    store = ConversationStore(ctx.paths)
    store.save(Conversation(title="fine", updated=START))
    # JSON may carry a lone surrogate, which another program can write; SQLite holds UTF-8 only.
    made = Conversation(title="odd SURROGATE title", model="mSURROGATE", updated=START + timedelta(days=1), messages=[Message("user", "walrus SURROGATE tusk")])
    store.save(made)
    odd = store.path_of(made.id)
    odd.write_text(odd.read_text(encoding="utf-8").replace("SURROGATE", "\\ud800"), encoding="utf-8")
    before = odd.read_bytes()
    assert [(s.id, s.title, s.model) for s in store.summaries()][0] == (made.id, "odd \ufffd title", "m\ufffd")
    assert [s.id for s in store.search("walrus")] == [made.id]
    assert store.problems == []
    listed = cli("chats", "list", "--search", "tusk")
    assert listed.returncode == 0 and "odd" in listed.stdout and "Traceback" not in listed.stderr
    assert odd.read_bytes() == before  # the file is the truth: left as it is
    conversation = store.load(made.id)
    conversation.messages.append(Message("assistant", "noted"))
    store.save(conversation)  # continuing it keeps the odd character, escaped as it came
    saved = json.loads(odd.read_text(encoding="utf-8"))
    assert saved["title"] == "odd \ud800 title" and [m["content"] for m in saved["messages"]] == ["walrus \ud800 tusk", "noted"]


def test_chats_list_search_prints_matches_and_the_words_around_them(cli, ctx) -> None:  # type: ignore[no-untyped-def]
    store = ConversationStore(ctx.paths)
    hit = Conversation(title="Lightning channels", updated=START, messages=[Message("user", "open a channel\x1b[2J to my node")])
    store.save(hit)
    store.save(Conversation(title="soup", updated=START + timedelta(days=1), messages=[Message("user", "leeks")]))
    result = cli("chats", "list", "--search", "chan")
    assert result.returncode == 0
    header, row, snippet = result.stdout.splitlines()
    assert row.startswith(hit.id) and row.endswith("Lightning channels")
    assert snippet.strip() == "open a channel[2J to my node"  # outside text made safe
    data = json.loads(cli("chats", "list", "--search", "node", "--json").stdout)
    assert [(d["id"], d["snippet"]) for d in data] == [(hit.id, "open a channel\x1b[2J to my node")]  # JSON: the text as it is
    nothing = cli("chats", "list", "--search", "zebra")
    assert nothing.stdout == "" and "no conversation matches 'zebra'" in nothing.stderr
