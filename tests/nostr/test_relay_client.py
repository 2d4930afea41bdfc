"""The relay client against a real relay process (nostr-sdk's LocalRelay)."""

from __future__ import annotations

import asyncio
import json

import pytest

from sovtui.nostr.events import is_valid, public_key_of, sign_event
from sovtui.nostr.relay import RelayError, RelayPool, check_relay_url
from tests.egress import allow_endpoint
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
        second.stop()


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
    for _ in range(200):
        if pool.connected:
            break
        await asyncio.sleep(0.02)
    assert pool.connected == [relay.url]
    await asyncio.sleep(0.2)  # the REQ goes out again on reconnect
    async with RelayPool([relay.url]) as writer:
        event = sign_event(ALICE, 1, "after restart")
        await writer.publish(event)
    assert (await subscription.next(5))["content"] == "after restart"
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
