"""The NWC client against the simulator over a real relay, with both encryptions."""

from __future__ import annotations

import asyncio
import time

import pytest

from sovtui.nostr.relay import RelayError
from sovtui.wallet.bolt11 import decode
from sovtui.wallet.errors import WalletRequestError, WalletTimeout
from sovtui.wallet.nwc import NIP04, NIP44, NwcClient
from sovtui.wallet.uri import parse_nwc_uri
from tests.wallet.simulator import merchant_invoice


def client_for(sim, timeout: float = 10.0) -> NwcClient:  # type: ignore[no-untyped-def]
    return NwcClient(parse_nwc_uri(sim.uri), timeout=timeout)


@pytest.fixture(params=["nip44", "nip04"])
def sim(request, wallet_sim, nip04_sim):  # type: ignore[no-untyped-def]
    return wallet_sim if request.param == "nip44" else nip04_sim


async def test_info_event_picks_nip44_when_offered_else_nip04(wallet_sim, nip04_sim):
    async with client_for(wallet_sim) as modern, client_for(nip04_sim) as legacy:
        assert modern.info_found and modern.encryption == NIP44
        assert legacy.info_found and legacy.encryption == NIP04
        assert "pay_invoice" in modern.info.methods


async def test_get_info_and_balance_in_msats(sim):
    async with client_for(sim) as client:
        info = await client.get_info()
        assert (info.alias, info.network) == ("simwallet", "regtest")
        assert await client.get_balance() == 100_000_000


async def test_make_invoice_returns_a_real_invoice_and_lookup_sees_it_paid(sim):
    async with client_for(sim) as client:
        tx = await client.make_invoice(21_000_000, "tip")
        decoded = decode(tx.invoice)
        assert (decoded.amount_msat, decoded.description, decoded.payment_hash) == (21_000_000, "tip", tx.payment_hash)
        assert (await client.lookup_invoice(payment_hash=tx.payment_hash)).state == "pending"
        await asyncio.to_thread(sim.pay_from_outside, tx.invoice)
        assert (await client.lookup_invoice(payment_hash=tx.payment_hash)).state == "settled"
        assert await client.get_balance() == 121_000_000


async def test_pay_invoice_returns_the_preimage_and_fee(sim):
    invoice, preimage = merchant_invoice(5_000)
    sim.preimages[decode(invoice).payment_hash] = preimage
    async with client_for(sim) as client:
        got, fees = await client.pay_invoice(invoice)
        assert (got, fees) == (preimage, 1_000)
        assert await client.get_balance() == 100_000_000 - 5_000_000 - 1_000


async def test_wallet_errors_become_plain_messages(wallet_sim):
    invoice, _ = merchant_invoice(1_000_000)  # more than the balance
    async with client_for(wallet_sim) as client:
        with pytest.raises(WalletRequestError, match="not enough funds") as caught:
            await client.pay_invoice(invoice)
        assert caught.value.code == "INSUFFICIENT_BALANCE"
        with pytest.raises(WalletRequestError, match="does not offer this") as caught:
            await client.pay_keysend("02" + "11" * 32, 1000)
        assert caught.value.code == "NOT_IMPLEMENTED"
        with pytest.raises(WalletRequestError, match="no such invoice"):
            await client.lookup_invoice(payment_hash="ab" * 32)


async def test_list_transactions_pages_newest_first(wallet_sim):
    start = time.time()
    async with client_for(wallet_sim) as client:
        for later, sats in enumerate((1, 2, 3)):
            # created_at has one-second resolution: each payment is made a second after the one before
            wallet_sim.clock = lambda later=later: start + later
            invoice, _ = merchant_invoice(sats)
            await client.pay_invoice(invoice)
        first = await client.list_transactions(limit=2)
        second = await client.list_transactions(limit=2, offset=2)
        assert [t.amount_sat for t in first] == [3, 2]
        assert [t.amount_sat for t in second] == [1]


async def test_a_payment_notification_arrives(sim):
    async with client_for(sim) as client:
        tx = await client.make_invoice(1_000, "note")
        received: list = []

        async def listen() -> None:
            async for kind, item in client.notifications():
                received.append((kind, item.payment_hash))
                return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.3)
        await asyncio.to_thread(sim.pay_from_outside, tx.invoice)
        await asyncio.wait_for(task, 5)
        assert received == [("payment_received", tx.payment_hash)]


async def test_junk_from_the_relay_is_ignored_and_the_real_answer_used(wallet_sim):
    """Bad JSON, a wrong e tag and a forged author all arrive first; none is trusted."""
    wallet_sim.junk = True
    async with client_for(wallet_sim) as client:
        assert await client.get_balance() == 100_000_000


async def test_no_answer_is_a_timeout(wallet_sim):
    wallet_sim.silent.add("get_balance")
    async with client_for(wallet_sim, timeout=1.0) as client:
        started = time.monotonic()
        with pytest.raises(WalletTimeout, match="did not answer get_balance"):
            await client.get_balance()
        assert time.monotonic() - started < 3


async def test_relay_down_at_start_is_a_clear_error(relay):
    from tests.wallet.simulator import WalletSimulator

    sim = WalletSimulator(relay.url)  # never started: only its URI is used
    relay.stop()
    client = NwcClient(parse_nwc_uri(sim.uri), connect_timeout=0.5)
    with pytest.raises(RelayError, match="could not reach any relay"):
        await client.connect()
    await client.close()


async def test_requests_carry_an_expiration_and_the_encryption_tag(wallet_sim):
    async with client_for(wallet_sim) as client:
        event = client._request_event("get_balance", {}, 30)
        tags = {t[0]: t[1] for t in event["tags"]}
        assert tags["p"] == wallet_sim.service_pubkey
        assert tags["encryption"] == "nip44_v2"
        assert int(tags["expiration"]) > time.time() + 30
