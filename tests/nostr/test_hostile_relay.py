"""The relay client against a hostile relay: every bad message is dropped and counted, none is fatal.

Issue 14, finding 6: one malformed message (``["EOSE", []]``, ``["CLOSED", {}]``,
deep nesting, a lone surrogate) killed the relay's reader for good while the
relay still showed as connected. Here a relay sends all of that and more,
then a good event, which must still arrive on the same connection.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sovtui.nostr.events import public_key_of, sign_event
from sovtui.nostr.relay import RelayError, RelayPool
from sovtui.text import is_safe
from tests.nostr.hostile_relay import HostileRelay, frame, text

ALICE = "11" * 32
BOB = "22" * 32
FILTERS = [{"kinds": [1], "authors": [public_key_of(ALICE)]}]
#: Text meant for the user's terminal: clear the screen, move the cursor, set the clipboard (OSC 52).
TERMINAL_CODES = "\x1b[2J\x1b[H\x1b]52;c;bG5iYzFmYWtlaW52b2ljZQ==\x07\u202eevil\r\x9b31m"


def malformed_messages(sub: str, good: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every message here is wrong in its own way; each must be dropped and counted once."""
    other_kind = sign_event(ALICE, 7, "a reaction nobody asked for")
    by_bob = sign_event(BOB, 1, "not an author we asked for")
    deep = "[" * 100_000 + "]" * 100_000
    deep_tags = json.dumps(["EVENT", sub, {**good, "tags": "TAGS"}]).replace('"TAGS"', "[" * 5_000 + "]" * 5_000)
    shallow_tags = json.dumps(["EVENT", sub, {**good, "tags": "TAGS"}]).replace('"TAGS"', "[" * 500 + "]" * 500)
    return [
        # Not JSON, or JSON that is not a relay message.
        text("not json"),
        text(""),
        text("   "),
        text("[\"EVENT\", "),
        text("{}"),
        text("42"),
        text("null"),
        text("true"),
        text('"EVENT"'),
        text("[]"),
        text("[42]"),
        text("[null, \"x\"]"),
        text([["EVENT"]]),
        text("[\"EVENT\", 1" + "0" * 5_000 + "]"),  # an integer Python will not parse
        text(deep),
        text(deep_tags),
        # EOSE, CLOSED, NOTICE with wrong types or parts missing.
        text(["EOSE", []]),
        text(["EOSE", {}]),
        text(["EOSE"]),
        text(["EOSE", 1e300]),
        text(["EOSE", None]),
        text(["CLOSED", {}]),
        text(["CLOSED", []]),
        text(["CLOSED"]),
        text(["CLOSED", sub, {"reason": "x"}]),
        text(["CLOSED", "never-opened", "bye" + TERMINAL_CODES]),
        text(["NOTICE"]),
        text(["NOTICE", {}]),
        text(["NOTICE", ["a list"]]),
        # EVENT: wrong shapes and types.
        text(["EVENT"]),
        text(["EVENT", sub]),
        text(["EVENT", sub, "an event?"]),
        text(["EVENT", sub, {}]),
        text(["EVENT", sub, []]),
        text(["EVENT", sub, None]),
        text(["EVENT", [], good]),
        text(["EVENT", {}, good]),
        text(["EVENT", 7, good]),
        text(["EVENT", sub, good, "one too many"]),
        text(["EVENT", sub, {**good, "content": "\ud800 a lone surrogate"}]),
        text(["EVENT", sub, {**good, "id": {"not": "hex"}}]),
        text(["EVENT", sub, {**good, "id": ["a", "list"]}]),
        text(["EVENT", sub, {**good, "created_at": "yesterday"}]),
        text(["EVENT", sub, {**good, "created_at": float("nan")}]),
        text(["EVENT", sub, {**good, "kind": 1e400}]),
        text(["EVENT", sub, {**good, "kind": True}]),
        text(["EVENT", sub, {**good, "tags": [[1]]}]),
        text(["EVENT", sub, {**good, "tags": {"p": "x"}}]),
        text(shallow_tags),
        text(["EVENT", sub, {k: v for k, v in good.items() if k != "sig"}]),
        # EVENT: well formed, but not for us or not true.
        text(["EVENT", "never-opened", good]),
        text(["EVENT", sub, {**good, "content": "forged"}]),
        text(["EVENT", sub, {**good, "sig": "00" * 64}]),
        text(["EVENT", sub, {**good, "pubkey": public_key_of(BOB)}]),
        text(["EVENT", sub, other_kind]),
        text(["EVENT", sub, by_bob]),
        text(["EVENT", sub, {**good, "content": "A" * 3_000_000}]),  # huge, under the size limit
        # OK for events we never sent, or with the wrong types.
        text(["OK", "ab" * 32, True, ""]),
        text(["OK", [], True, ""]),
        text(["OK", {}, False]),
        text(["OK"]),
        # Message types we do not speak.
        text(["AUTH", "challenge"]),
        text(["COUNT", sub, {"count": 1}]),
        text(["WHAT", sub]),
        # Binary frames: NIP-01 speaks text.
        ("binary", json.dumps(["EVENT", sub, good]).encode()),
        ("binary", b"\xff\xfe\x00\x01"),
    ]


@pytest.fixture
def hostile():
    relays: list[HostileRelay] = []

    def make(*args: Any, **kwargs: Any) -> HostileRelay:
        relay = HostileRelay(*args, **kwargs).start()
        relays.append(relay)
        return relay

    yield make
    for relay in relays:
        relay.stop()


async def test_a_hostile_relay_cannot_stop_the_good_event(hostile) -> None:
    good = sign_event(ALICE, 1, "the one good event")
    bad: list[tuple[str, Any]] = []

    def script(sub: str) -> list[tuple[str, Any]]:
        bad[:] = malformed_messages(sub, good)
        return [text(["EOSE", sub]), text(["NOTICE", "hello" + TERMINAL_CODES]), *bad, text(["EVENT", sub, good])]

    relay = hostile([script])
    async with RelayPool([relay.url]) as pool:
        subscription = await pool.subscribe(FILTERS)
        assert await subscription.next(20) == good
        client = pool.relays[0]
        assert client.dropped_total == len(bad), dict(client.dropped)
        assert pool.dropped == {relay.url: len(bad)}
        assert pool.connected == [relay.url] and relay.connections == 1
        assert client.reading  # the reader is alive, not just marked connected
        assert client.last_notice is not None and client.last_notice.startswith("hello")
        assert is_safe(client.last_notice, one_line=True)
        assert await subscription.next(0.2) is None  # nothing bad got through
    assert len(bad) >= 60


async def test_faults_on_the_connection_end_in_a_reconnect_not_a_dead_relay(hostile) -> None:
    """A frame cut off mid-message, a text frame that is not UTF-8, a message over the size limit."""
    goods = [sign_event(ALICE, 1, f"good {n}") for n in range(4)]
    scripts = [
        lambda sub: [text(["EVENT", sub, goods[0]]), ("cut", None)],
        lambda sub: [text(["EVENT", sub, goods[1]]), ("raw", frame(0x1, b"[\"NOTICE\", \"\xed\xa0\x80\"]"))],
        lambda sub: [text(["EVENT", sub, goods[2]]), text(["NOTICE", "x" * (5 * 1024 * 1024)])],
        lambda sub: [text(["EVENT", sub, goods[3]])],
    ]
    relay = hostile(scripts)
    async with RelayPool([relay.url], backoff=0.05) as pool:
        subscription = await pool.subscribe(FILTERS)
        got = [await subscription.next(10) for _ in goods]
        assert [e["content"] if e else None for e in got] == [g["content"] for g in goods]
        assert relay.connections == 4
        for _ in range(100):
            if pool.connected:
                break
            await asyncio.sleep(0.02)
        assert pool.connected == [relay.url] and pool.relays[0].reading


async def test_ok_and_closed_from_a_hostile_relay(hostile) -> None:
    """OKs for other events or with wrong types are dropped; reasons shown are safe to print."""
    event = sign_event(ALICE, 1, "publish me")

    def answer(sent: dict[str, Any]) -> list[tuple[str, Any]]:
        return [
            text(["OK", "cd" * 32, True, "not yours"]),
            text(["OK", [], True, ""]),
            text(["OK", sent["id"], "true", "a string is not a boolean"]),
            text(["OK", sent["id"], True, 5]),
            text(["OK", sent["id"]]),
            text(["OK", sent["id"], False, "blocked:" + TERMINAL_CODES + "\ud800"]),
        ]

    def script(sub: str) -> list[tuple[str, Any]]:
        return [text(["CLOSED", sub, "auth-required:" + TERMINAL_CODES])]

    relay = hostile([script], on_event=answer)
    async with RelayPool([relay.url]) as pool:
        subscription = await pool.subscribe(FILTERS)
        await subscription.wait_stored(5)
        reason = subscription.closed[relay.url]
        assert reason.startswith("auth-required:") and is_safe(reason, one_line=True)
        with pytest.raises(RelayError) as info:
            await pool.publish(event, timeout=5)
        message = str(info.value)
        assert "blocked:" in message and is_safe(message, one_line=True)
        message.encode("utf-8")  # no lone surrogate left to crash a print
        assert pool.relays[0].dropped_total == 5
        assert pool.connected == [relay.url]
