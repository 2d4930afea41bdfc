"""One rule in one place: each rule the CLI and the Wallet pane share, tested at the service, without a screen.

The pane and ``sovtui wallet`` only ask these and show the answer, so a rule
pinned here holds for both (issue #18).
"""

from __future__ import annotations

import pytest

from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.wallet.bolt11 import decode
from sovtui.wallet.errors import InvoiceAlreadyPaid, InvoiceNeedsAmount, InvoiceRefused, WalletError, WalletNameRefused
from sovtui.wallet.nwc import Transaction, WalletInfo
from sovtui.wallet.service import Budget, CheckedConnection, WalletOverview, WalletService
from sovtui.wallet.uri import parse_nwc_uri
from sovtui.wallet.views import HISTORY_COLUMNS, history_row, info_rows, transaction_details, transaction_line, wallet_line
from tests.wallet.simulator import ALL_METHODS, WalletSimulator, merchant_invoice


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)


def connected(ctx: Context, sim: WalletSimulator, name: str = "main") -> WalletService:
    if not ctx.vault.exists:
        ctx.vault.create("pw")
    service = WalletService(ctx, timeout=5.0)
    service.save(name, parse_nwc_uri(sim.uri), budget_sats=10_000, network="regtest")
    return service


# --- a new wallet's name ----------------------------------------------------------------


def test_a_new_name_is_checked_and_cleaned(ctx) -> None:
    service = WalletService(ctx)
    assert service.check_new_name("  main ") == "main"
    for bad in ("", "-dash", "has space", "x" * 33):
        with pytest.raises(WalletNameRefused, match="1-32 letters"):
            service.check_new_name(bad)


def test_a_name_already_connected_is_refused_before_anything_is_kept(ctx, wallet_sim) -> None:
    service = connected(ctx, wallet_sim)
    with pytest.raises(WalletNameRefused, match="already connected") as refused:
        service.check_new_name("main")
    assert refused.value.exit_code == UsageError.exit_code  # the CLI exits 2, as for any usage error
    with pytest.raises(WalletNameRefused, match="already connected"):
        service.save("main", parse_nwc_uri(wallet_sim.uri))
    assert service.names() == ["main"]


def test_a_budget_period_must_be_known_when_saving(ctx, wallet_sim) -> None:
    ctx.vault.create("pw")
    with pytest.raises(UsageError, match="day, week or month"):
        WalletService(ctx).save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=100, budget_period="fortnight")
    assert WalletService(ctx).names() == []


# --- testing a connection, and what a wallet tells -------------------------------------------


async def test_a_tested_connection_says_which_wallet_answered(ctx, wallet_sim) -> None:
    tested = await WalletService(ctx).test(wallet_sim.uri)
    assert isinstance(tested, CheckedConnection)
    assert tested.uri.wallet_pubkey == wallet_sim.service_pubkey
    assert tested.describe() == "simwallet on regtest, balance 100,000 sats"
    assert wallet_sim.count("get_info") == 1


async def test_get_info_is_asked_only_of_a_wallet_that_offers_it(ctx, relay) -> None:
    quiet = WalletSimulator(relay.url, methods=tuple(m for m in ALL_METHODS if m != "get_info")).start()
    try:
        service = connected(ctx, quiet)
        async with service.client("main") as client:
            info = await service.wallet_info(client)
        assert "get_info" not in info.methods and "get_balance" in info.methods
        assert quiet.count("get_info") == 0  # its info event is all it says
    finally:
        quiet.stop()


async def test_the_overview_skips_the_history_of_a_wallet_that_keeps_none(ctx, relay) -> None:
    no_history = WalletSimulator(relay.url, methods=tuple(m for m in ALL_METHODS if m != "list_transactions")).start()
    try:
        overview = await connected(ctx, no_history).overview("main")
        assert isinstance(overview, WalletOverview)
        assert overview.balance_msat == 100_000_000 and overview.transactions == []
        assert overview.encryption == "nip44_v2"
        assert no_history.count("list_transactions") == 0
    finally:
        no_history.stop()


async def test_a_client_is_closed_after_use_even_when_the_call_fails(ctx, wallet_sim, monkeypatch) -> None:
    from sovtui.wallet.nwc import NwcClient

    service = connected(ctx, wallet_sim)
    closed = []
    original = NwcClient.close

    async def close(self: NwcClient) -> None:
        closed.append(self)
        await original(self)

    monkeypatch.setattr(NwcClient, "close", close)

    async def fail(client: NwcClient) -> None:
        raise WalletError("no")

    with pytest.raises(WalletError):
        await service.using("main", fail)
    assert len(closed) == 1


# --- paying ------------------------------------------------------------------------------------


def test_an_invoice_without_an_amount_is_a_typed_refusal(ctx, wallet_sim) -> None:
    service = connected(ctx, wallet_sim)
    invoice, _ = merchant_invoice(None)
    with pytest.raises(InvoiceNeedsAmount) as refused:
        service.prepare_payment("main", invoice)
    assert isinstance(refused.value, InvoiceRefused)  # still a refusal for whoever does not ask
    assert service.prepare_payment("main", invoice, amount_sat=21).amount_sat == 21


def test_other_refusals_are_not_taken_for_a_missing_amount(ctx, wallet_sim) -> None:
    service = connected(ctx, wallet_sim)
    with pytest.raises(InvoiceRefused) as refused:
        service.prepare_payment("main", "lnbc-not-an-invoice")
    assert not isinstance(refused.value, InvoiceNeedsAmount)


async def test_an_invoice_paid_or_in_flight_is_a_typed_refusal_before_and_under_the_lock(ctx: Context, wallet_sim: WalletSimulator) -> None:
    service = connected(ctx, wallet_sim)
    invoice, _ = merchant_invoice(100)
    plan = service.prepare_payment("main", invoice)
    async with service.client("main") as client:
        await service.pay(client, plan)
        with pytest.raises(InvoiceAlreadyPaid, match="already paid"):
            service.prepare_payment("main", invoice)  # checked early, for the user
        with pytest.raises(InvoiceAlreadyPaid, match="already paid"):
            await service.pay(client, plan)  # and again in the ledger's locked step (a stale plan, another process)
    assert wallet_sim.count("pay_invoice") == 1


def test_a_budget_just_set_reads_the_same_everywhere() -> None:
    assert Budget(0, "day", 0).after_change() == "budget removed"
    assert Budget(5_000, "week", 1_000).after_change() == "1,000 of 5,000 sats spent this week, 4,000 left"


# --- the history keeps what the invoice said ---------------------------------------------------


async def test_a_settled_payment_keeps_its_invoice_description_when_the_wallet_lists_none(ctx, wallet_sim) -> None:
    """A new user at 80x24: "a settled payment in the history shows no description although the invoice carried one"."""
    service = connected(ctx, wallet_sim)
    wallet_sim.describes = False  # as many wallets list payments
    invoice, _ = merchant_invoice(1_200, "two coffees")
    plan = service.prepare_payment("main", invoice)
    async with service.client("main") as client:
        await service.pay(client, plan)
        listed = await client.list_transactions()
        assert [tx.description for tx in listed] == [""]  # what the wallet itself says
        history = await service.history(client, "main")
        looked_up = await service.lookup(client, "main", plan.invoice.payment_hash)
    kept = service.ledger("main").find(plan.invoice.payment_hash)
    assert kept is not None and kept.description == "two coffees"
    assert [(tx.state, tx.description) for tx in history] == [("settled", "two coffees")]
    assert looked_up.description == "two coffees"
    assert history_row(history[0])[4] == "two coffees"


async def test_a_received_payment_gets_the_description_of_its_own_invoice(ctx, wallet_sim) -> None:
    import asyncio

    service = connected(ctx, wallet_sim)
    wallet_sim.describes = False
    async with service.client("main") as client:
        made = await service.receive(client, 2_100, "thanks for the tea")
        await asyncio.to_thread(wallet_sim.pay_from_outside, made.invoice)
        history = await service.history(client, "main")
    assert [(tx.type, tx.description) for tx in history] == [("incoming", "thanks for the tea")]


def test_a_description_is_taken_only_from_an_invoice_for_the_same_payment(ctx) -> None:
    service = WalletService(ctx)
    invoice, _ = merchant_invoice(10, "not yours")
    other = Transaction(type="incoming", state="settled", payment_hash="ab" * 32, amount_msat=10_000, invoice=invoice)
    own = Transaction(type="incoming", state="settled", payment_hash=decode(invoice).payment_hash, amount_msat=10_000, invoice=invoice)
    assert [tx.description for tx in service._described("main", [other, own])] == ["", "not yours"]


# --- the words both front ends show ----------------------------------------------------------


def test_a_history_row_and_details_read_the_same_in_the_cli_and_the_pane() -> None:
    tx = Transaction(type="outgoing", state="settled", payment_hash="00" * 32, amount_msat=1_200_000, fees_paid_msat=None,
                     description="two\x1b[2Jcoffees", created_at=0)
    assert HISTORY_COLUMNS == ("When", "Dir", "Sats", "State", "Description")
    assert history_row(tx, width=5) == ("—", "out", "−1,200", "settled", "two[2")
    details = transaction_details(tx)
    assert details[:2] == ["sent 1,200 sats · settled", "fee: not reported by the wallet"]
    assert all("\x1b" not in line for line in details)
    assert transaction_line(tx) == "settled: outgoing 1,200 sats — two[2Jcoffees"


def test_a_wallets_details_are_safe_lines() -> None:
    info = WalletInfo(methods=("pay_invoice", "get_balance"), alias="evil\x1b]52;c;Zm9v\x07", network="")
    assert wallet_line(info) == "evil]52;c;Zm9v on an unknown network"
    assert dict(info_rows(info, "nip04")) == {"alias": "evil]52;c;Zm9v", "network": "—", "encryption": "nip04",
                                              "methods": "pay_invoice get_balance", "notifications": "—"}
