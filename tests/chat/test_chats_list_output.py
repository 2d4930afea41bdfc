"""``sovtui chats list`` prints exactly what it printed before its fast path (issue 19: faster than grep).

The listing now reads plain rows from the index (``ConversationStore.listing``)
instead of a ``Summary`` each, formats the time from the timestamp with
``time.localtime`` instead of ``datetime.astimezone().strftime``, skips
``translate`` for printable text and aligns the columns with %-formatting.
The oracle here is the way it was done before, kept in this file: both must
give the same text, hostile titles and time zones with daylight saving
included.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovtui.chat.index import Summary, parse_time
from sovtui.chat.models import Conversation, Message
from sovtui.chat.store import ConversationStore
from sovtui.cli.chat_cmd import SNIPPETS, local_minute
from sovtui.cli.common import table
from sovtui.paths import Paths
from sovtui.text import _ONE_LINE  # the table safe_line has always translated with

#: Zones with daylight saving, one with a 30-minute shift and one south of the equator.
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo"]
HEADERS = ["ID", "UPDATED", "MODEL", "AGENT", "MSGS", "TITLE"]


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Set TZ for this process (``time.tzset``) and put it back afterwards."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


def translate_line(text: str) -> str:
    return text.translate(_ONE_LINE)


def old_table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def old_listing(store: ConversationStore, query: str) -> str:
    """What ``chats list [--search QUERY]`` printed off a terminal before the fast path (sovtui 50e8c6e)."""
    found: list[Summary] = store.search(query) if query else store.summaries()

    def who(s: Summary) -> str:
        return translate_line(" · ".join(part for part in (s.agent, "nostr" if s.nostr_peer else "") if part)) or "-"

    titles = [translate_line(s.title)[:50] for s in found]
    rows = [[translate_line(s.id), s.updated.astimezone().strftime("%Y-%m-%d %H:%M"), translate_line(s.model), who(s),
             str(s.messages), title] for s, title in zip(found, titles)]
    if not query:
        return old_table([[translate_line(str(cell)) for cell in row] for row in rows], HEADERS) + "\n"
    snippets = store.snippets(query, [s.id for s in found[:SNIPPETS]])
    header, *lines = old_table(rows, HEADERS).split("\n")
    out = [header]
    for line, s in zip(lines, found):
        out.append(line)
        if s.id in snippets:
            out.append("    " + translate_line(snippets[s.id]))
    return "\n".join(out) + "\n"


#: Titles, models and agents as a hostile or careless program might write them.
AWKWARD = ["plain", "tab\there", "new\nline", "esc\x1b[2J", "bidi \u202eevil\u202c", "nbsp at the end\u00a0", "wide 日本語 title", "c1 \x9b31m", "line\u2028sep", "", "  spaced  ", "x" * 80, "para\u2029graph"]


def save_awkward(paths: Paths) -> ConversationStore:
    store = ConversationStore(paths)
    # Times on both sides of 2026's DST changes (Europe: 29 March and 25 October 01:00 UTC; US: 8 March, 1 November),
    # at odd seconds and microseconds.
    starts = [datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=timezone.utc), datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc),
              datetime(2026, 11, 1, 5, 59, 30, tzinfo=timezone.utc), datetime(2026, 3, 8, 7, 0, 1, tzinfo=timezone.utc),
              datetime(2027, 4, 4, 15, 0, tzinfo=timezone(timedelta(hours=10, minutes=30)))]
    for n, title in enumerate(AWKWARD):
        moment = starts[n % len(starts)] + timedelta(minutes=37 * n)
        store.save(Conversation(title=title, updated=moment, model=AWKWARD[-1 - n] or "m",
                                agent=AWKWARD[(n + 3) % len(AWKWARD)] if n % 3 == 0 else "", nostr_peer="ab" * 32 if n % 4 == 0 else "",
                                messages=[Message("user", f"bitcoin {title} and\tmore\x1b]52;c;x\x07 words")] * (n % 3 + 1)))
    return store


@pytest.mark.parametrize("name", ZONES)
def test_chats_list_prints_what_it_printed_before_in_any_time_zone(cli, xdg: Paths, zone, name: str) -> None:  # type: ignore[no-untyped-def]
    store = save_awkward(xdg)
    zone(name)
    for query in ("", "bitcoin", "more words", "nothing-matches-this"):
        argv = ["chats", "list", *(["--search", query] if query else [])]
        result = cli(*argv)
        assert result.returncode == 0, result.stderr
        expected = old_listing(store, query)
        if query == "nothing-matches-this":
            assert result.stdout == "" and "no conversation matches" in result.stderr
        else:
            assert result.stdout == expected, query


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       offset=st.integers(-23 * 60, 23 * 60), zone_name=st.sampled_from(ZONES), form=st.sampled_from(["iso", "Z", "naive"]))
def test_the_listed_time_is_astimezone_strftime_of_the_file_time(moment, offset, zone_name, form) -> None:  # type: ignore[no-untyped-def]
    saved = os.environ.get("TZ")
    os.environ["TZ"] = zone_name
    time.tzset()
    try:
        aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset)) if form == "iso" else timezone.utc)
        updated = {"iso": aware.isoformat(), "Z": moment.isoformat() + "Z", "naive": moment.isoformat()}[form]
        try:
            expected: object = parse_time(updated).astimezone().strftime("%Y-%m-%d %H:%M")
        except (OverflowError, ValueError, OSError) as exc:
            expected = type(exc)
        try:
            got: object = local_minute(parse_time(updated).timestamp(), updated)  # updated_at, as the index stores it
        except (OverflowError, ValueError, OSError) as exc:
            got = type(exc)
        assert got == expected
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@given(st.lists(st.lists(st.text(), min_size=6, max_size=6), max_size=8))
def test_table_aligns_as_ljust_did(rows) -> None:  # type: ignore[no-untyped-def]
    assert table(rows, HEADERS) == old_table(rows, HEADERS)
