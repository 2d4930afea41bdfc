"""The simulator, checked by a client we did not write: nostr-sdk's NostrWalletConnect.

Our client and our simulator share our NIP-44 and event code; a mistake in
both would cancel out. rust-nostr's client shares nothing with them, so its
agreement pins the simulator (and through it our client) to the protocol.
"""

from __future__ import annotations

import asyncio

import pytest

from sovtui.wallet.bolt11 import decode
from tests.wallet.simulator import merchant_invoice

nostr_sdk = pytest.importorskip("nostr_sdk")


def sdk_client(sim):  # type: ignore[no-untyped-def]
    return nostr_sdk.NostrWalletConnect(nostr_sdk.NostrWalletConnectUri.parse(sim.uri))


async def test_an_independent_client_reads_balance_and_info(wallet_sim):
    nwc = sdk_client(wallet_sim)
    balance = await asyncio.wait_for(nwc.get_balance(), 20)
    assert balance.balance == 100_000_000
    info = await asyncio.wait_for(nwc.get_info(), 20)
    assert info.alias == "simwallet"
    assert wallet_sim.schemes == ["nip44_v2", "nip44_v2"]  # it read our info event and chose NIP-44


async def test_an_independent_client_makes_and_pays_invoices(wallet_sim):
    nwc = sdk_client(wallet_sim)
    made = await asyncio.wait_for(nwc.make_invoice(nostr_sdk.MakeInvoiceRequest(amount=42_000, description="crosscheck", description_hash=None, expiry=None)), 20)
    assert decode(made.invoice).amount_msat == 42_000
    invoice, preimage = merchant_invoice(3)
    wallet_sim.preimages[decode(invoice).payment_hash] = preimage
    paid = await asyncio.wait_for(nwc.pay_invoice(nostr_sdk.PayInvoiceRequest(id=None, invoice=invoice, amount=None)), 20)
    assert paid.preimage == preimage
    assert wallet_sim.balance_sat == 100_000 - 3 - 1
    found = await asyncio.wait_for(nwc.lookup_invoice(nostr_sdk.LookupInvoiceRequest(payment_hash=decode(invoice).payment_hash, invoice=None)), 20)
    assert found.amount == 3_000


async def test_an_independent_client_on_a_nip04_only_wallet(nip04_sim):
    nwc = sdk_client(nip04_sim)
    assert (await asyncio.wait_for(nwc.get_balance(), 20)).balance == 100_000_000
    assert nip04_sim.schemes == ["nip04"]
