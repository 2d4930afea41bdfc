"""The client against a wallet service that sends everything wrong (tests/wallet/hostile_wallet.py).

Finding 7 of issue 14 and the hostile-peer suite: whatever the wallet says,
the client never crashes, never sends the same payment twice, never marks
paid what the preimage does not prove, and shows nothing that could drive
the terminal. "Paid twice" is checked on the wallet's side: ``paid_hashes``
lists every payment the hostile wallet really made.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from sovtui.text import is_safe, safe_line
from sovtui.wallet.bolt11 import decode
from sovtui.wallet.errors import InvoiceRefused, WalletError
from sovtui.wallet.ledger import FAILED, PENDING, SETTLED, UNPROVED
from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri
from tests.wallet.hostile_wallet import LOOKUP_FAULTS, PAY_FAULTS, HostileWallet
from tests.wallet.simulator import merchant_invoice

AMOUNT = 1_000
RESERVE = 10  # 1% of 1,000 sats, at least 10


@pytest.fixture
def hostile(relay):  # type: ignore[no-untyped-def]
    wallet = HostileWallet(relay.url).start()
    yield wallet
    wallet.stop()


@pytest.fixture
def service(ctx, hostile, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    monkeypatch.setattr("sovtui.wallet.service.CLOCK_SKEW", 0)
    ctx.vault.create("pass phrase")
    svc = WalletService(ctx, timeout=0.75)  # the relay is on this machine: a wallet that answers, answers in milliseconds
    svc.save("main", parse_nwc_uri(hostile.uri), budget_sats=10**9, budget_period="day", network="regtest")
    return svc


def a_bill(hostile: HostileWallet, sats: int = AMOUNT, **kwargs) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    invoice, preimage = merchant_invoice(sats, **kwargs)
    payment_hash = decode(invoice).payment_hash
    hostile.preimages[payment_hash] = preimage  # the real preimage, known to an honest wallet
    return invoice, payment_hash


async def pay(service: WalletService, invoice: str):  # type: ignore[no-untyped-def]
    plan = service.prepare_payment("main", invoice)
    async with service.client("main") as client:
        return await service.pay(client, plan)


async def reconcile(service: WalletService, *, now: float | None = None) -> None:
    async with service.client("main") as client:
        await service.reconcile(client, "main", now=now)


def past_resolve_after(service: WalletService, payment_hash: str) -> float:
    """A moment just after the payment can no longer happen: the clock reconcile is given instead of waiting for it."""
    resolve_after = service.ledger("main").find(payment_hash).resolve_after
    assert resolve_after > time.time()  # the invoice has not expired yet: only the later moment makes it so
    return resolve_after + 0.2


def proves(preimage: str, payment_hash: str) -> bool:
    try:
        return hashlib.sha256(bytes.fromhex(preimage)).hexdigest() == payment_hash
    except ValueError:
        return False


def check_invariants(service: WalletService, hostile: HostileWallet) -> None:
    """What must hold whatever the wallet did."""
    for payment in service.ledger("main").payments():
        assert hostile.paid_hashes.count(payment.payment_hash) <= 1, "paid twice"
        if payment.state == SETTLED:
            assert proves(payment.preimage, payment.payment_hash), "marked paid without proof"
        assert is_safe(payment.error, one_line=True) and is_safe(payment.description, one_line=True)
    assert len(hostile.paid_hashes) == len(set(hostile.paid_hashes))


@pytest.mark.parametrize("fault", sorted(PAY_FAULTS))
async def test_a_hostile_answer_to_pay_invoice(service, hostile, fault):
    invoice, payment_hash = a_bill(hostile)
    hostile.fault("pay_invoice", fault)
    outcome = await pay(service, invoice)
    immediate, final = PAY_FAULTS[fault]
    assert outcome.state == immediate, outcome.describe()
    assert is_safe(outcome.describe(), one_line=True)
    assert hostile.count("pay_invoice") == 1
    check_invariants(service, hostile)
    if outcome.state != FAILED:
        with pytest.raises(InvoiceRefused):  # nothing the wallet said lets us send it again
            service.prepare_payment("main", invoice)
    await reconcile(service)  # later, with an honest wallet
    payment = service.ledger("main").find(payment_hash)
    assert payment.state == final, (payment, outcome.describe())
    assert hostile.count("pay_invoice") == 1
    check_invariants(service, hostile)
    assert fault in hostile.injected


async def test_a_preimage_that_proves_nothing_is_said_plainly_and_never_called_paid(service, hostile):
    invoice, payment_hash = a_bill(hostile)
    hostile.fault("pay_invoice", "wrong_preimage").fault("lookup_invoice", "lookup_wrong_preimage")
    outcome = await pay(service, invoice)
    assert outcome.state == UNPROVED
    text = outcome.describe()
    assert "does not prove" in text and not text.startswith("paid")
    assert service.budget("main").spent_sat == AMOUNT + 1  # it is counted: the wallet says the sats left
    with pytest.raises(InvoiceRefused, match="no proof"):
        service.prepare_payment("main", invoice)


async def test_a_settled_payment_without_fees_counts_the_reserve(service, hostile):
    invoice, payment_hash = a_bill(hostile)
    hostile.fault("pay_invoice", "no_fees")
    outcome = await pay(service, invoice)
    assert outcome.state == SETTLED and outcome.payment.fees_paid_msat is None
    assert service.budget("main").spent_sat == AMOUNT + RESERVE
    assert "fee not reported" in outcome.describe()


@pytest.mark.parametrize("code", ["internal_after_paying", "other_after_paying"])
async def test_internal_or_other_keeps_the_payment_pending_then_a_lookup_settles_it(service, hostile, code):
    invoice, payment_hash = a_bill(hostile)
    # the wallet paid, said INTERNAL/OTHER, and its first lookup answer is lost
    hostile.fault("pay_invoice", code).fault("lookup_invoice", "lookup_garbage")
    outcome = await pay(service, invoice)
    assert outcome.state == PENDING
    assert "will not be sent again" in outcome.describe()
    await reconcile(service)
    assert service.ledger("main").find(payment_hash).state == SETTLED
    assert hostile.paid_hashes == [payment_hash] and hostile.count("pay_invoice") == 1


@pytest.mark.parametrize("fault", LOOKUP_FAULTS)
async def test_a_hostile_answer_to_lookup_invoice(service, hostile, fault):
    invoice, payment_hash = a_bill(hostile)
    # it paid, said INTERNAL, and the lookup that follows is the hostile one
    hostile.fault("pay_invoice", "internal_after_paying").fault("lookup_invoice", fault)
    outcome = await pay(service, invoice)
    assert outcome.state in (PENDING, UNPROVED, FAILED, SETTLED)
    assert is_safe(outcome.describe(), one_line=True)
    check_invariants(service, hostile)
    await reconcile(service)  # the wallet is honest again
    final = service.ledger("main").find(payment_hash)
    # a wallet that says "failed" is believed (its word is all a client has); everything else ends proved
    assert final.state == (FAILED if fault == "lookup_failed" else SETTLED), final
    assert hostile.count("pay_invoice") == 1
    check_invariants(service, hostile)


async def test_a_lookup_about_another_payment_changes_nothing(service, hostile):
    first, first_hash = a_bill(hostile)
    await pay(service, first)
    second, second_hash = a_bill(hostile)
    hostile.fault("pay_invoice", "ignore").fault("lookup_invoice", "lookup_other_hash")
    await pay(service, second)
    assert service.ledger("main").find(first_hash).state == SETTLED
    assert service.ledger("main").find(second_hash).state == PENDING


async def test_a_settled_payment_is_never_turned_failed_by_a_later_lookup(service, hostile):
    invoice, payment_hash = a_bill(hostile)
    await pay(service, invoice)
    hostile.fault("lookup_invoice", "lookup_failed")
    async with service.client("main") as client:
        await service.lookup(client, "main", payment_hash)
    assert service.ledger("main").find(payment_hash).state == SETTLED


async def test_a_payment_pending_past_the_invoice_expiry_is_resolved_by_lookup(service, hostile):
    # The wallet never saw the request: it answers nothing, and its lookups say NOT_FOUND.
    invoice, payment_hash = a_bill(hostile, expiry=60, timestamp=int(time.time()) - 30)
    hostile.fault("pay_invoice", "ignore")
    outcome = await pay(service, invoice)
    assert outcome.state == PENDING
    await reconcile(service)
    assert service.ledger("main").find(payment_hash).state == PENDING  # not expired yet: it could still happen
    await reconcile(service, now=past_resolve_after(service, payment_hash))
    payment = service.ledger("main").find(payment_hash)
    assert payment.state == FAILED and "expired" in payment.error
    assert service.budget("main").spent_sat == 0
    assert hostile.paid_hashes == []


async def test_a_payment_that_did_happen_is_settled_not_expired(service, hostile):
    invoice, payment_hash = a_bill(hostile, expiry=60, timestamp=int(time.time()) - 30)
    hostile.fault("pay_invoice", "only_garbage").fault("lookup_invoice", "lookup_garbage")
    outcome = await pay(service, invoice)
    assert outcome.state == PENDING
    await reconcile(service, now=past_resolve_after(service, payment_hash))
    assert service.ledger("main").find(payment_hash).state == SETTLED


@pytest.mark.parametrize(("fault", "expected"), [
    ("balance_negative", WalletError), ("balance_string", WalletError), ("balance_nan", WalletError), ("balance_huge", 10**30),
])
async def test_hostile_balances(service, hostile, fault, expected):
    hostile.fault("get_balance", fault)
    async with service.client("main") as client:
        if expected is WalletError:
            with pytest.raises(WalletError, match="balance"):
                await client.get_balance()
        else:
            assert await client.get_balance() == expected


async def test_hostile_info_and_transaction_lists_are_read_safely(service, hostile):
    a, _ = a_bill(hostile)
    await pay(service, a)
    hostile.fault("get_info", "info_junk").fault("list_transactions", "list_junk")
    async with service.client("main") as client:
        info = await client.get_info()
        items = await service.history(client, "main", limit=20, offset=0)
    assert all(isinstance(m, str) for m in info.methods) and "get_balance" in info.methods
    assert is_safe(info.alias, one_line=True) and info.block_height is None
    assert [t.amount_sat for t in items][:1] == [AMOUNT]
    for tx in items:
        assert is_safe(tx.state, one_line=True) and is_safe(tx.type, one_line=True)
        assert is_safe(safe_line(tx.description), one_line=True)  # as every screen shows it
        tx.description.encode("utf-8")  # no lone surrogate left to crash a print
        time.localtime(tx.created_at)  # a time that can be shown
    assert hostile.injected.count("list_junk") == 1


async def test_every_fault_is_counted(service, hostile):
    """The figure docs/security.md quotes: how many kinds of fault the suite injects."""
    kinds = set(PAY_FAULTS) | set(LOOKUP_FAULTS) | {"balance_negative", "balance_string", "balance_nan", "balance_huge",
                                                    "info_junk", "list_junk"}
    assert len(kinds) >= 35
