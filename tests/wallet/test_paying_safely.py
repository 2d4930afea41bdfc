"""The wallet service's safety rules, end to end over the relay and the simulator.

Each case checks what the wallet simulator actually received, so "refused"
means no request left the machine, and "paid once" means exactly one
pay_invoice reached the wallet.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from sovtui.wallet.bolt11 import decode
from sovtui.wallet.errors import BudgetExceeded, InvoiceRefused
from sovtui.wallet.ledger import FAILED, PENDING, SETTLED
from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri
from tests.wallet.simulator import merchant_invoice


@pytest.fixture
def service(ctx, wallet_sim, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    ctx.vault.create("pass phrase")
    svc = WalletService(ctx, timeout=5.0)
    svc.save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=10_000, budget_period="day", network="regtest")
    return svc


async def pay(service: WalletService, invoice: str, **kwargs):  # type: ignore[no-untyped-def]
    plan = service.prepare_payment("main", invoice, **kwargs)
    async with service.client("main") as client:
        return await service.pay(client, plan)


async def test_a_payment_is_settled_recorded_and_counted(service, wallet_sim):
    invoice, preimage = merchant_invoice(2_000)
    wallet_sim.preimages[decode(invoice).payment_hash] = preimage
    outcome = await pay(service, invoice)
    assert outcome.state == SETTLED and outcome.payment.preimage == preimage
    assert service.budget("main").spent_sat == 2_001  # amount and the fee actually paid
    assert wallet_sim.balance_sat == 100_000 - 2_001


async def test_the_same_invoice_is_never_paid_twice(service, wallet_sim):
    invoice, _ = merchant_invoice(100)
    await pay(service, invoice)
    with pytest.raises(InvoiceRefused, match="already paid"):
        await pay(service, invoice)
    assert wallet_sim.count("pay_invoice") == 1


async def test_a_payment_over_budget_is_refused_before_sending(service, wallet_sim):
    invoice, _ = merchant_invoice(9_995)  # with the 10-sat minimum fee limit it passes 10,000
    with pytest.raises(BudgetExceeded, match="would pass your budget"):
        service.prepare_payment("main", invoice)
    assert wallet_sim.count("pay_invoice") == 0
    assert wallet_sim.balance_sat == 100_000


async def test_an_expired_invoice_is_refused(service, wallet_sim):
    invoice, _ = merchant_invoice(100, expiry=60, timestamp=int(time.time()) - 120)
    with pytest.raises(InvoiceRefused, match="expired"):
        service.prepare_payment("main", invoice)
    assert wallet_sim.count("pay_invoice") == 0


async def test_an_invoice_without_amount_needs_one_from_the_user(service, wallet_sim):
    invoice, _ = merchant_invoice(None)
    with pytest.raises(InvoiceRefused, match="no amount"):
        service.prepare_payment("main", invoice)
    outcome = await pay(service, invoice, amount_sat=321)
    assert outcome.state == SETTLED
    assert wallet_sim.balance_sat == 100_000 - 321 - 1


async def test_an_invoice_for_another_network_is_refused(service):
    invoice, _ = merchant_invoice(100, network="bitcoin")
    with pytest.raises(InvoiceRefused, match="for bitcoin, but the wallet is on regtest"):
        service.prepare_payment("main", invoice)


async def test_insufficient_balance_fails_cleanly_and_costs_no_budget(service, wallet_sim):
    wallet_sim.balance_msat = 50_000
    invoice, _ = merchant_invoice(500)
    outcome = await pay(service, invoice)
    assert outcome.state == FAILED
    assert "not enough funds" in outcome.describe()
    assert service.budget("main").spent_sat == 0


async def test_a_reply_that_times_out_is_looked_up_not_resent(service, wallet_sim):
    service.timeout = 1.0
    wallet_sim.pay_delay = 4.0  # the wallet pays at once but answers late
    invoice, _ = merchant_invoice(700)
    outcome = await pay(service, invoice)
    assert outcome.state == SETTLED
    assert wallet_sim.count("pay_invoice") == 1
    assert wallet_sim.count("lookup_invoice") == 1


async def test_a_payment_the_wallet_cannot_confirm_stays_pending_and_blocks_a_retry(service, wallet_sim):
    service.timeout = 1.0
    wallet_sim.silent.update({"pay_invoice", "lookup_invoice"})
    invoice, _ = merchant_invoice(700)
    outcome = await pay(service, invoice)
    assert outcome.state == PENDING
    assert "will not be sent again" in outcome.describe()
    with pytest.raises(InvoiceRefused, match="pending"):
        service.prepare_payment("main", invoice)
    assert service.budget("main").spent_sat == 700 + 10  # the fee limit stays reserved
    wallet_sim.silent.clear()
    async with service.client("main") as client:
        assert await service.reconcile(client, "main") == []
    assert service.ledger("main").find(decode(invoice).payment_hash).state == SETTLED


async def test_a_relay_dropping_mid_request_never_pays_twice(service, wallet_sim, relay):
    service.timeout = 3.0
    wallet_sim.pay_delay = 1.0
    invoice, _ = merchant_invoice(800)
    plan = service.prepare_payment("main", invoice)
    async with service.client("main") as client:
        task = asyncio.create_task(service.pay(client, plan))
        await asyncio.sleep(0.4)
        await asyncio.to_thread(relay.stop)
        await asyncio.to_thread(relay.start)
        outcome = await asyncio.wait_for(task, 30)
    assert outcome.state in (SETTLED, PENDING)
    assert wallet_sim.count("pay_invoice") == 1
    assert wallet_sim.balance_sat == 100_000 - 801
    async with service.client("main") as client:
        await service.reconcile(client, "main")
    assert service.ledger("main").find(plan.invoice.payment_hash).state == SETTLED


async def test_budget_can_be_changed_and_removed(service):
    assert service.set_budget("main", 50_000, "week").describe().startswith("0 of 50,000 sats spent this week")
    assert service.set_budget("main", 0, "day").sats == 0
    invoice, _ = merchant_invoice(20_000)
    assert service.prepare_payment("main", invoice).amount_sat == 20_000


async def test_receive_and_wait_until_paid(service, wallet_sim):
    async with service.client("main") as client:
        tx = await service.receive(client, 1_234, "for the sats")
        waiting = asyncio.create_task(service.wait_paid(client, tx.payment_hash, poll=0.5, timeout=10))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(wallet_sim.pay_from_outside, tx.invoice)
        paid = await waiting
    assert paid.state == "settled" and paid.amount_sat == 1_234
