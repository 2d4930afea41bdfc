"""Finding 4 of issue 14: the budget holds against a second payment, a second shell and a negative number.

The budget is checked under the ledger lock at the moment a payment is
recorded as pending, against the budget read from config.toml right then;
the fee reserve (NIP-47 has no fee limit on the wire) counts while the
payment is pending. Each case checks what reached the wallet simulator.
"""

from __future__ import annotations

import asyncio

import pytest

from sovtui.context import Context
from sovtui.errors import SovtuiError, UsageError
from sovtui.wallet.bolt11 import decode
from sovtui.wallet.errors import BudgetExceeded
from sovtui.wallet.ledger import PENDING, SETTLED
from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri
from tests.wallet.simulator import merchant_invoice


@pytest.fixture
def service(ctx, wallet_sim, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    ctx.vault.create("pass phrase")
    svc = WalletService(ctx, timeout=5.0)
    svc.save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=1_000, budget_period="day", network="regtest")
    return svc


def another_shell(ctx: Context) -> Context:
    """A second sovtui process: its own Context on the same folders."""
    return Context(ctx.paths)


async def test_two_payments_at_once_cannot_both_pass_the_budget(service, wallet_sim):
    first, _ = merchant_invoice(600)
    second, _ = merchant_invoice(600)
    # Both plans are made before either is paid: each alone fits 1,000 sats.
    plans = [service.prepare_payment("main", first), service.prepare_payment("main", second)]
    async with service.client("main") as client:
        results = await asyncio.gather(*(service.pay(client, plan) for plan in plans), return_exceptions=True)
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    paid = [r for r in results if not isinstance(r, BaseException) and r.state == SETTLED]
    assert len(paid) == 1 and len(refused) == 1, results
    assert wallet_sim.count("pay_invoice") == 1
    assert "fee reserve" in str(refused[0])


async def test_a_budget_lowered_from_another_shell_stops_a_planned_payment(service, wallet_sim):
    invoice, _ = merchant_invoice(600)
    plan = service.prepare_payment("main", invoice)  # 600 + 10 fits 1,000

    def lower(config) -> None:  # type: ignore[no-untyped-def]
        config.wallets["main"].budget_sats = 500

    another_shell(service.ctx).update_config(lower)
    async with service.client("main") as client:
        with pytest.raises(BudgetExceeded, match="500 sats"):
            await service.pay(client, plan)
    assert wallet_sim.count("pay_invoice") == 0
    assert service.ledger("main").find(plan.invoice.payment_hash) is None
    # and the next look at the budget is the new one
    assert service.budget("main").sats == 500


async def test_prepare_reads_the_budget_from_the_file_too(service, wallet_sim):
    def lower(config) -> None:  # type: ignore[no-untyped-def]
        config.wallets["main"].budget_sats = 100

    another_shell(service.ctx).update_config(lower)
    invoice, _ = merchant_invoice(200)
    with pytest.raises(BudgetExceeded, match="100 sats"):
        service.prepare_payment("main", invoice)


@pytest.mark.parametrize("fee", [-49_000, -1, 0])
async def test_a_negative_or_zero_fee_reserve_is_refused(service, wallet_sim, fee):
    # Before: -49,000 sats of "fee limit" let a 50,000-sat invoice past a 1,000-sat budget.
    invoice, _ = merchant_invoice(50_000)
    with pytest.raises(UsageError, match="fee reserve is a whole number of sats, at least 1"):
        service.prepare_payment("main", invoice, max_fee_sat=fee)
    assert wallet_sim.count("pay_invoice") == 0


@pytest.mark.parametrize("amount", [-5, 0])
async def test_a_negative_or_zero_amount_is_refused(service, wallet_sim, amount):
    invoice, _ = merchant_invoice(None)
    with pytest.raises(UsageError, match="amount is a whole number of sats, at least 1"):
        service.prepare_payment("main", invoice, amount_sat=amount)


async def test_a_negative_fee_reserve_in_config_is_refused(service, wallet_sim):
    def bad(config) -> None:  # type: ignore[no-untyped-def]
        config.wallets["main"].max_fee_sats = -49_000

    service.ctx.update_config(bad)
    invoice, _ = merchant_invoice(50_000)
    with pytest.raises(SovtuiError, match=r"max_fee_sats .*negative"):
        service.prepare_payment("main", invoice)


async def test_a_negative_budget_in_config_refuses_every_payment(service, wallet_sim):
    def bad(config) -> None:  # type: ignore[no-untyped-def]
        config.wallets["main"].budget_sats = -1

    service.ctx.update_config(bad)
    invoice, _ = merchant_invoice(1)
    with pytest.raises(SovtuiError, match=r"budget_sats .*negative"):
        service.prepare_payment("main", invoice)


async def test_the_fee_reserve_counts_while_pending_and_is_shown_as_a_reserve(service, wallet_sim):
    service.timeout = 1.0
    wallet_sim.silent.update({"pay_invoice", "lookup_invoice"})
    invoice, _ = merchant_invoice(500)
    plan = service.prepare_payment("main", invoice, max_fee_sat=50)
    assert ("fee reserve", "50 sats") in plan.summary()
    assert all(label != "fee limit" for label, _ in plan.summary())
    async with service.client("main") as client:
        outcome = await service.pay(client, plan)
    assert outcome.state == PENDING
    assert service.budget("main").spent_sat == 550
    second, _ = merchant_invoice(445)  # 445 + 10 > 450 left
    with pytest.raises(BudgetExceeded):
        service.prepare_payment("main", second)


def test_history_paging_values_must_be_sensible(ctx):
    svc = WalletService(ctx)
    with pytest.raises(UsageError, match="at least 1"):
        svc.check_page(limit=0, offset=0)
    with pytest.raises(UsageError, match="0 or more"):
        svc.check_page(limit=5, offset=-1)


async def test_an_invoice_request_needs_a_positive_expiry(service):
    async with service.client("main") as client:
        with pytest.raises(UsageError, match="expiry"):
            await service.receive(client, 10, "x", expiry=-60)


def test_the_payment_hash_of_a_refused_plan_is_not_in_the_ledger(service, wallet_sim):
    invoice, _ = merchant_invoice(50_000)
    with pytest.raises(UsageError):
        service.prepare_payment("main", invoice, max_fee_sat=-49_000)
    assert service.ledger("main").find(decode(invoice).payment_hash) is None
