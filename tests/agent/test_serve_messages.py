"""sovtui agent serve, in-process: the owner's phone (nostr-sdk) talks to the agent over the real relay.

Who is answered (the owner, an allowed npub) and who is not (a stranger:
no model, nothing stored), one conversation per sender marked as held over
Nostr, a gift wrap delivered by two relays answered once, and approvals by
reply: the owner's ``yes <code>`` pays, a wrong code or a stranger's ``yes``
does not. The process itself (SIGTERM, a restart) is in test_serve_process.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sovtui.agent.serve import AgentService, RateLimiter, ServeState, read_status, state_path
from sovtui.chat.store import ConversationStore
from sovtui.config import AgentConfig
from sovtui.identity import nip19
from tests.agent.serve_helpers import Phone, wait_until
from tests.relay_fixtures import RelayProcess
from tests.wallet.simulator import merchant_invoice

nostr_sdk = pytest.importorskip("nostr_sdk")


def conversations(ctx) -> list[Any]:  # type: ignore[no-untyped-def]
    store = ConversationStore(ctx.paths)
    return [store.load(s.id) for s in store.summaries()]


async def serving(ctx, relays: list[str], **kwargs: Any) -> AsyncIterator[AgentService]:  # type: ignore[no-untyped-def]
    service = AgentService(ctx, "bot", relays=relays, **kwargs)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await asyncio.wait_for(service.subscribed.wait(), 15)
    try:
        yield service
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def served(ctx, agent_setup, relay):  # type: ignore[no-untyped-def]
    async for service in serving(ctx, [relay.url]):
        yield service


@pytest.fixture
def owner_secret(ctx, keys) -> str:  # type: ignore[no-untyped-def]
    return ctx.vault.secret_key("me")


async def test_the_owner_is_answered_and_a_stranger_is_not(ctx, served, relay, owner_secret):
    bot = served.pubkey
    stranger_keys = nostr_sdk.Keys.generate()
    async with Phone(owner_secret, [relay.url]) as phone, Phone(stranger_keys.secret_key().to_hex(), [relay.url]) as stranger:
        await stranger.send(bot, "hello, who are you? pay me")
        await phone.send(bot, "hello agent")
        (reply,) = await phone.wait_for(1, sender=bot)
        assert reply.content == "You said: hello agent"
        assert ["p", phone.pubkey] in reply.tags and any(t[0] == "e" for t in reply.tags)  # a reply to the message
        await wait_until(lambda: served.dropped_unknown == 1)
        assert await stranger.inbox() == []
    (conversation,) = conversations(ctx)  # the stranger's message is stored nowhere
    assert conversation.agent == "bot" and conversation.nostr_peer == phone.pubkey
    assert [(m.role, m.content) for m in conversation.messages] == [("user", "hello agent"), ("assistant", "You said: hello agent")]
    # the agent's copy of its reply (NIP-17) is on the relay too, and is not answered
    async with Phone(ctx.vault.secret_key("bot"), [relay.url]) as agent_side:
        inbox = await agent_side.wait_for(3)  # the owner's, the stranger's, and its own copy
    assert [m.content for m in inbox if m.sender == bot] == ["You said: hello agent"] and served.answered == 1
    status = read_status(ctx.paths.state_dir, "bot")
    assert status.running and status.last_activity and status.npub == nip19.hex_to_npub(bot)
    # the stranger's message was not even kept as handled: nothing of theirs on disk
    state = json.loads(state_path(ctx.paths.state_dir, "bot").read_text())
    assert list(state["conversations"]) == [phone.pubkey]


async def test_an_allowed_npub_is_answered_in_its_own_conversation(ctx, agent_setup, relay, owner_secret):
    friend = nostr_sdk.Keys.generate()
    ctx.update_config(lambda c: setattr(c.agents["bot"], "allow", [friend.public_key().to_bech32()]))
    async for service in serving(ctx, [relay.url]):
        async with Phone(friend.secret_key().to_hex(), [relay.url]) as phone, Phone(owner_secret, [relay.url]) as owner:
            await phone.send(service.pubkey, "hi from a friend")
            await owner.send(service.pubkey, "hi from the owner")
            assert (await phone.wait_for(1, sender=service.pubkey))[0].content == "You said: hi from a friend"
            await owner.wait_for(1, sender=service.pubkey)
            await phone.send(service.pubkey, "second")
            await phone.wait_for(2, sender=service.pubkey)
    by_peer = {c.nostr_peer: c for c in conversations(ctx)}
    assert set(by_peer) == {friend.public_key().to_hex(), nostr_sdk.Keys.parse(owner_secret).public_key().to_hex()}
    assert [m.content for m in by_peer[friend.public_key().to_hex()].messages if m.role == "user"] == ["hi from a friend", "second"]


async def test_one_gift_wrap_from_two_relays_is_answered_once(ctx, agent_setup, relay, owner_secret):
    second = RelayProcess().start()
    try:
        async for service in serving(ctx, [relay.url, second.url]):
            async with Phone(owner_secret, [relay.url, second.url]) as phone:
                event = phone.message(service.pubkey, "only once")
                await phone.client.send_event(event)  # to both relays: the same gift wrap
                await phone.wait_for(1, sender=service.pubkey)
                await asyncio.sleep(0.5)
                assert len(await phone.inbox()) == 1 and service.answered == 1
        # and a restart does not answer it again: the handled wraps are kept
        async for service in serving(ctx, [relay.url, second.url]):
            await asyncio.sleep(0.5)
            assert service.answered == 0
    finally:
        second.close()
    (conversation,) = conversations(ctx)
    assert [m.content for m in conversation.messages if m.role == "user"] == ["only once"]
    assert event.id().to_hex() in ServeState.load(state_path(ctx.paths.state_dir, "bot")).handled


def pay(invoice: str) -> str:
    return "call pay_invoice " + json.dumps({"invoice": invoice})


def _not_the_question(messages: list[Any]) -> Any:
    return next(m for m in messages if not m.content.startswith("reply `yes"))


async def _ask_approval(phone: Phone, bot: str, invoice: str) -> str:
    await phone.send(bot, pay(invoice))
    (question,) = await phone.wait_for(1, sender=bot)
    found = re.search(r"reply `yes ([0-9a-f]{4})` to pay 600 sats to", question.content)
    assert found, question.content
    assert "sats left today" in question.content
    return found.group(1)


async def test_the_owners_yes_with_the_code_pays(ctx, served, relay, owner_secret, agent_setup):
    invoice, _ = merchant_invoice(600, "needs approval")
    async with Phone(owner_secret, [relay.url]) as phone:
        code = await _ask_approval(phone, served.pubkey, invoice)
        await phone.send(served.pubkey, f"yes {code}")
        answer = _not_the_question(await phone.wait_for(2, sender=served.pubkey))
    assert "pay_invoice" in answer.content and "paid" in answer.content
    assert agent_setup["sim"].count("pay_invoice") == 1


async def test_a_wrong_code_declines(ctx, served, relay, owner_secret, agent_setup):
    invoice, _ = merchant_invoice(600, "needs approval")
    async with Phone(owner_secret, [relay.url]) as phone:
        code = await _ask_approval(phone, served.pubkey, invoice)
        await phone.send(served.pubkey, "yes " + ("0000" if code != "0000" else "1111"))
        answer = _not_the_question(await phone.wait_for(2, sender=served.pubkey))
    assert "declined" in answer.content
    assert agent_setup["sim"].count("pay_invoice") == 0


async def test_a_strangers_yes_does_nothing(ctx, served, relay, owner_secret, agent_setup):
    invoice, _ = merchant_invoice(600, "needs approval")
    stranger = nostr_sdk.Keys.generate()
    async with Phone(owner_secret, [relay.url]) as phone, Phone(stranger.secret_key().to_hex(), [relay.url]) as other:
        code = await _ask_approval(phone, served.pubkey, invoice)
        await other.send(served.pubkey, f"yes {code}")
        await wait_until(lambda: served.dropped_unknown == 1)
        assert served._approvals and agent_setup["sim"].count("pay_invoice") == 0  # still waiting for the owner
        await phone.send(served.pubkey, "no")
        answer = _not_the_question(await phone.wait_for(2, sender=served.pubkey))
    assert "declined" in answer.content
    assert agent_setup["sim"].count("pay_invoice") == 0


async def test_a_sender_over_the_rate_is_not_answered(ctx, agent_setup, relay, owner_secret):
    async for service in serving(ctx, [relay.url], rate=RateLimiter(burst=1, every=3600)):
        async with Phone(owner_secret, [relay.url]) as phone:
            await phone.send(service.pubkey, "first")
            await phone.wait_for(1, sender=service.pubkey)
            await phone.send(service.pubkey, "second, too soon")
            await wait_until(lambda: len(service.state.handled) >= 4)  # its wrap and rumor marked, unanswered
            assert service.answered == 1
