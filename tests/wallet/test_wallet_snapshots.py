"""A snapshot of the Wallet pane with a connected wallet, at 80x24.

Deterministic: the wallet simulator stamps its transactions with a fixed
clock, times are shown in UTC, and nothing random (keys, hashes, the relay's
port) is on screen. The payment is listed by the wallet without its
description, as many wallets list payments: the pane shows the one the
invoice carried, kept in the ledger.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri
from tests.pilot_helpers import settle, wait_until
from tests.wallet.simulator import WalletSimulator, merchant_invoice

#: 2026-03-14 09:26 UTC, and 3h04 later.
PAID_AT, RECEIVED_AT = 1_773_480_360, 1_773_491_400


@pytest.fixture
def utc() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


async def _history(service: WalletService, sim: WalletSimulator) -> None:
    invoice, _ = merchant_invoice(1_200, "two coffees")
    sim.clock = lambda: PAID_AT
    async with service.client("main") as client:
        await service.pay(client, service.prepare_payment("main", invoice))
        sim.clock = lambda: RECEIVED_AT
        made = await service.receive(client, 2_100, "thanks for the tea")
        await asyncio.to_thread(sim.pay_from_outside, made.invoice)


def test_wallet_pane_connected(snap_compare, make_app, ctx, wallet_sim, utc, monkeypatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    ctx.vault.create("pw")
    service = WalletService(ctx, timeout=5.0)
    service.save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=10_000, network="regtest")
    wallet_sim.describes = False
    asyncio.run(_history(service, wallet_sim))

    async def balance_shown(pilot: Pilot[object]) -> None:
        from sovtui.ui.panes.wallet import WalletPane

        await pilot.press("f4")
        await wait_until(pilot, lambda: pilot.app.query_one(WalletPane).balance_msat is not None, what="the balance")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=balance_shown)
