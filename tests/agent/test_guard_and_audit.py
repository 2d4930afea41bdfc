"""The guard and the audit log without a network: limits read from the ledger and the credential book, lines on disk."""

from __future__ import annotations

import json
import threading
import time
from types import SimpleNamespace

import pytest

from sovtui.agent.audit import REMOVED, AuditLog, without_secrets
from sovtui.agent.errors import Refused
from sovtui.agent.guard import check_credential
from sovtui.config import WalletConfig
from sovtui.identity.credentials import parse
from sovtui.wallet.ledger import FAILED, PENDING, SETTLED, Payment
from sovtui.wallet.service import PaymentPlan, WalletService
from sovtui.wallet.bolt11 import decode
from tests.wallet.simulator import merchant_invoice


def payment(agent: str, sats: int, state: str = SETTLED, fees_msat: int = 0) -> Payment:
    return Payment(payment_hash=f"{sats:064x}", invoice="", amount_msat=sats * 1000, fee_reserve_msat=10_000,
                   state=state, created_at=int(time.time()), fees_paid_msat=fees_msat, agent=agent)


@pytest.fixture
def issued(ctx, keys, book):  # type: ignore[no-untyped-def]
    return book.issue(keys, "me", "bot", 1_000, "day"), keys.get("bot").pubkey


def test_the_agents_own_entries_count_against_its_credential(ctx, issued):
    _, bot = issued
    others = [payment("", 5_000), payment("f" * 64, 5_000)]  # the owner's and another agent's spend do not count
    assert check_credential("bot", bot, others, 900_000, ctx) == (1_000, 1_000)
    mine = [payment(bot, 300), payment(bot, 100, PENDING), payment(bot, 400, FAILED)]  # pending: with its fee reserve
    assert check_credential("bot", bot, mine, 0, ctx) == (590, 1_000)
    with pytest.raises(Refused, match=r"over the credential's limit: 590 of 1,000 sats left today, and this payment needs 600 sats"):
        check_credential("bot", bot, mine, 600_000, ctx)


def test_revoked_and_missing_credentials_are_refused(ctx, keys, book, issued):
    event, bot = issued
    with pytest.raises(Refused, match="holds no spending credential"):
        check_credential("x", "e" * 64, [], 0, ctx)
    book.revoke(keys, parse(event))
    with pytest.raises(Refused, match="revoked") as refused:
        check_credential("bot", bot, [], 0, ctx)
    assert refused.value.rule == "credential"


def test_a_tampered_credential_file_does_not_count(ctx, issued, book):
    event, bot = issued
    path = book.folder / f"{event['id']}.json"
    changed = dict(event, tags=[t if t[0] != "limit" else ["limit", "999999", "sat", "day"] for t in event["tags"]])
    path.write_text(json.dumps(changed))
    with pytest.raises(Refused, match="holds no spending credential"):
        check_credential("bot", bot, [], 0, ctx)


async def test_the_credential_is_checked_again_under_the_ledger_lock(ctx, issued):
    """A payment another process recorded after our early check is seen in the locked step, before anything is sent."""
    _, bot = issued

    def change(config) -> None:  # type: ignore[no-untyped-def]
        config.wallets["main"] = WalletConfig(wallet_pubkey="a" * 64, relays=["ws://127.0.0.1:1"])

    ctx.update_config(change)
    service = WalletService(ctx)
    invoice, _ = merchant_invoice(600, "late")
    plan = service.prepare_payment("main", invoice)
    assert check_credential("bot", bot, service.ledger("main").payments(), plan.amount_msat + plan.fee_reserve_msat, ctx)
    service.ledger("main").begin(payment(bot, 500))  # meanwhile, in another process

    class NoWallet:
        timeout = 5.0

        async def pay_invoice(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise AssertionError("nothing may be sent")

    needed = plan.amount_msat + plan.fee_reserve_msat
    with pytest.raises(Refused, match="over the credential's limit: 500 of 1,000"):
        await service.pay(NoWallet(), plan, agent=bot,  # type: ignore[arg-type]
                          check=lambda payments: check_credential("bot", bot, payments, needed, ctx))
    assert service.ledger("main").find(decode(invoice).payment_hash) is None


def test_audit_lines_secrets_removed_and_damage_skipped(tmp_path):
    log = AuditLog(tmp_path / "agents" / "bot.log.jsonl", "bot")
    log.append("pay_invoice", {"invoice": "lnbc1...", "secret": "x", "nested": {"uri": "nostr+walletconnect://..."}}, "ok", "paid", 21)
    log.append("sign_note", {"content": "nsec1abc"}, "refused", "revoked")
    with log.path.open("ab") as handle:
        handle.write(b'{"time": 3, "tool": "get_bal')  # a crash mid-line
    log.append("get_balance", {}, "ok")
    lines = log.path.read_bytes().split(b"\n")
    assert len([line for line in lines if line]) == 4 and oct(log.path.stat().st_mode & 0o777) == "0o600"
    read = log.read()
    assert read.damaged == [3]
    assert [(e.tool, e.outcome, e.sats) for e in read.entries] == [("pay_invoice", "ok", 21), ("sign_note", "refused", 0), ("get_balance", "ok", 0)]
    first = read.entries[0].arguments
    assert first["secret"] == REMOVED and first["nested"]["uri"] == REMOVED and first["invoice"] == "lnbc1..."
    assert read.entries[1].arguments["content"] == REMOVED
    assert log.read(limit=1).entries[0].tool == "get_balance"


def test_audit_appends_from_many_threads_are_all_kept(tmp_path):
    log = AuditLog(tmp_path / "bot.log.jsonl", "bot")

    def work(n: int) -> None:
        for i in range(20):
            log.append("get_balance", {"n": n, "i": i}, "ok")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    read = log.read()
    assert len(read.entries) == 80 and read.damaged == []


def test_without_secrets_survives_anything():
    deep: dict = {}
    node = deep
    for _ in range(50):
        node["a"] = {}
        node = node["a"]
    assert without_secrets(deep)
    assert without_secrets({"x": SimpleNamespace()})["x"].startswith("namespace")
