"""The relay client against a real relay process (nostr-sdk's LocalRelay)."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import strategies as st

from sovtui.nostr.events import is_valid, public_key_of, sign_event
from sovtui.nostr.relay import RelayError, RelayPool, check_relay_url
from sovtui.text import is_safe
from tests.egress import allow_endpoint
from tests.examples import examples
from tests.ollama_fixtures import free_port

ALICE = "11" * 32
BOB = "22" * 32


async def test_published_event_reaches_a_subscriber_on_another_connection(relay):
    async with RelayPool([relay.url]) as reader, RelayPool([relay.url]) as writer:
        subscription = await reader.subscribe([{"kinds": [1], "authors": [public_key_of(ALICE)]}])
        await subscription.wait_stored(2)
        event = sign_event(ALICE, 1, "hello relay")
        assert await writer.publish(event) == [relay.url]
        got = await subscription.next(5)
        assert got == event


async def test_stored_events_arrive_before_eose(relay):
    async with RelayPool([relay.url]) as pool:
        event = sign_event(ALICE, 1, "stored")
        await pool.publish(event)
        subscription = await pool.subscribe([{"ids": [event["id"]]}])
        await subscription.wait_stored(5)
        assert subscription.eose.is_set()
        assert (await subscription.next(1))["content"] == "stored"


async def test_event_published_to_two_relays_is_delivered_once(relay):
    from tests.relay_fixtures import RelayProcess

    second = RelayProcess().start()
    try:
        async with RelayPool([relay.url, second.url]) as pool:
            for _ in range(50):
                if len(pool.connected) == 2:
                    break
                await asyncio.sleep(0.05)
            subscription = await pool.subscribe([{"kinds": [1]}])
            event = sign_event(BOB, 1, "twice")
            assert sorted(await pool.publish(event)) == sorted([relay.url, second.url])
            assert (await subscription.next(5))["id"] == event["id"]
            assert await subscription.next(0.5) is None
    finally:
        second.close()


async def test_unreachable_relay_is_a_clear_error():
    port = free_port()
    allow_endpoint("127.0.0.1", port)
    pool = RelayPool([f"ws://127.0.0.1:{port}"], connect_timeout=0.5)
    with pytest.raises(RelayError, match="could not reach any relay.*connection refused"):
        await pool.connect()
    await pool.close()


async def test_reconnects_and_resubscribes_after_the_relay_restarts(relay):
    pool = RelayPool([relay.url], backoff=0.05)
    await pool.connect()
    subscription = await pool.subscribe([{"kinds": [1], "authors": [public_key_of(ALICE)]}])
    relay.stop()
    for _ in range(100):
        if not pool.connected:
            break
        await asyncio.sleep(0.02)
    assert pool.connected == []
    relay.start()
    for _ in range(500):  # backoff 0.05 s: under a loaded machine the reconnection can still take seconds
        if pool.connected:
            break
        await asyncio.sleep(0.02)
    assert pool.connected == [relay.url]
    # The REQ goes out again just after the reconnection; a note published before it reaches the restarted
    # relay (a new, empty one) is not sent back, so publish until one comes through the old subscription.
    received = None
    async with RelayPool([relay.url]) as writer:
        for attempt in range(20):
            await writer.publish(sign_event(ALICE, 1, f"after restart {attempt}"))
            received = await subscription.next(0.5)
            if received is not None:
                break
    assert received is not None and received["content"].startswith("after restart")
    await pool.close()


async def test_publish_with_no_connected_relay_fails_without_resending(relay):
    pool = RelayPool([relay.url], backoff=10)
    await pool.connect()
    relay.stop()
    for _ in range(100):
        if not pool.connected:
            break
        await asyncio.sleep(0.02)
    with pytest.raises(RelayError, match="no relay is connected"):
        await pool.publish(sign_event(ALICE, 1, "lost"))
    await pool.close()


def test_forged_or_malformed_events_are_not_valid():
    event = sign_event(ALICE, 1, "genuine")
    assert is_valid(event)
    assert not is_valid({**event, "content": "changed"})
    assert not is_valid({**event, "sig": "00" * 64})
    assert not is_valid({**event, "pubkey": public_key_of(BOB)})
    assert not is_valid({k: v for k, v in event.items() if k != "sig"})
    assert not is_valid({**event, "tags": [["p", 1]]})
    assert not is_valid("not an event")


async def test_events_that_do_not_match_the_filter_or_verify_are_dropped(relay):
    """A relay's junk never reaches a subscriber: wrong kind, bad signature, bad JSON."""
    async with RelayPool([relay.url]) as pool:
        subscription = await pool.subscribe([{"kinds": [7]}])
        relay_obj = pool.relays[0]
        good = sign_event(ALICE, 7, "ok")
        relay_obj._handle("not json")
        relay_obj._handle(json.dumps(["EVENT", subscription.id, {**good, "content": "forged"}]))
        relay_obj._handle(json.dumps(["EVENT", subscription.id, sign_event(ALICE, 1, "other kind")]))
        relay_obj._handle(json.dumps(["EVENT", subscription.id, good]))
        assert (await subscription.next(1))["content"] == "ok"
        assert await subscription.next(0.2) is None


@pytest.mark.parametrize("url", ["https://relay.example", "relay.example", "ws://", ""])
def test_relay_address_must_be_a_websocket_url(url):
    with pytest.raises(RelayError, match="not a relay address"):
        check_relay_url(url)


# --- what a relay sends wrong (issue 14, finding 6) -----------------------------


class _Wire:
    """A stand-in for tornado's connection: hands the reader these messages, then a close."""

    def __init__(self, messages: list[str | bytes]) -> None:
        self.messages = list(messages)
        self.close_code = None
        self.close_reason = None
        self.sent: list[str] = []

    async def read_message(self) -> str | bytes | None:
        return self.messages.pop(0) if self.messages else None

    def write_message(self, message: str) -> None:
        self.sent.append(message)

    def close(self) -> None:
        pass


def _offline_pool() -> tuple[RelayPool, object]:
    """A pool with one relay and one open subscription, no network."""
    from sovtui.nostr.relay import Subscription

    pool = RelayPool(["ws://127.0.0.1:9"])
    subscription = Subscription(id="sub1", filters=[{"kinds": [1]}])
    pool._subscriptions[subscription.id] = subscription
    return pool, subscription


@pytest.mark.parametrize(
    "message",
    [
        '["EOSE", []]',
        '["CLOSED", {}]',
        '["EVENT", [], {}]',
        '["OK", {}, true, ""]',
        "[" * 50_000 + "]" * 50_000,
        '["EVENT", "sub1", {"id": "\\ud800"}]',
    ],
    ids=["EOSE-list", "CLOSED-object", "EVENT-list-id", "OK-object-id", "deep-nesting", "lone-surrogate"],
)
async def test_one_bad_message_is_dropped_and_counted_and_the_reader_goes_on(message: str) -> None:
    pool, subscription = _offline_pool()
    relay = pool.relays[0]
    good = sign_event(ALICE, 1, "after the bad one")
    relay._conn = _Wire([message, json.dumps(["EVENT", "sub1", good])])
    await relay._read()  # returns at the close, not at the bad message
    assert relay.dropped_total == 1
    assert subscription.events.get_nowait() == good


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.text(st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Zl", "Zp"]), max_size=8)
    | st.sampled_from(["sub1", "EVENT", "\x1b]52;c;aGk=\x07", "\ud800", "ab" * 32])
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)


@st.composite
def _events(draw):  # type: ignore[no-untyped-def]
    """A good event, or one with a field replaced, removed or added."""
    event = dict(_GOOD)
    action = draw(st.sampled_from(["keep", "replace", "remove", "add"]))
    key = draw(st.sampled_from(sorted(event)))
    if action == "replace":
        event[key] = draw(_json)
    elif action == "remove":
        del event[key]
    elif action == "add":
        event[draw(st.text(max_size=5))] = draw(_json)
    return event


_GOOD = sign_event(ALICE, 1, "a good event")
_messages = st.one_of(
    _json,
    st.tuples(
        st.sampled_from(["EVENT", "EOSE", "CLOSED", "OK", "NOTICE", "AUTH", "COUNT", ""]),
        st.lists(st.one_of(_json, st.just("sub1"), st.just(_GOOD["id"]), _events()), max_size=4),
    ).map(lambda t: [t[0], *t[1]]),
)


def test_no_relay_message_raises_out_of_the_reader() -> None:
    """Random JSON, random text and random bytes: each is handled or dropped and counted."""
    from hypothesis import given, settings

    loop = asyncio.new_event_loop()

    async def read(raw: list[str | bytes]) -> tuple[object, object]:
        pool, subscription = _offline_pool()
        relay = pool.relays[0]
        relay.expect_ok(_GOOD["id"])
        relay._conn = _Wire([*raw, json.dumps(["EVENT", "sub1", _GOOD])])
        await relay._read()
        return relay, subscription

    @settings(max_examples=examples(1000), deadline=None)
    @given(st.lists(_messages.map(json.dumps) | st.text(max_size=40) | st.binary(max_size=40), max_size=8))
    def check(raw: list[str | bytes]) -> None:
        relay, subscription = loop.run_until_complete(read(raw))
        assert relay.received == len(raw) + 1
        assert relay.dropped_total <= len(raw)
        assert subscription.events.qsize() >= 1  # the good event still got through
        for reason in subscription.closed.values():
            assert is_safe(reason, one_line=True)
            reason.encode("utf-8")
        if relay.last_notice is not None:
            assert is_safe(relay.last_notice, one_line=True)
            relay.last_notice.encode("utf-8")

    try:
        check()
    finally:
        loop.close()


def test_what_a_relay_writes_is_safe_to_show() -> None:
    from hypothesis import given, settings

    from sovtui.nostr.relay import relay_text

    @settings(max_examples=examples(1000), deadline=None)
    @given(st.text(st.characters(codec=None), max_size=400))
    def check(value: str) -> None:
        shown = relay_text(value)
        assert is_safe(shown, one_line=True)
        shown.encode("utf-8")
        assert len(shown) <= 300

    check()
