"""``sovtui wallet`` against hostile text and hostile numbers, as a user runs it (the ``cli`` fixture).

Finding 3 (the wallet's part) and finding 4 of issue 14: an invoice
description cannot drive the terminal that shows the confirmation, and a
negative ``--fee-reserve``/``--max-fee`` or ``--amount`` is refused before
anything is decided.
"""

from __future__ import annotations

import json

import pytest

from sovtui.text import is_safe
from sovtui.wallet.bolt11 import decode
from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri
from tests.wallet.simulator import merchant_invoice

PASS = {"SOVTUI_PASSPHRASE": "pass phrase"}
#: Up two lines, erase the line, write a fake amount, then a carriage return and OSC 52 for the clipboard.
CURSOR_ATTACK = "coffee\x1b[2A\x1b[2K      amount: 1 sats\r\x1b]52;c;bG5iYzE=\x07\x9b2J\u202eevil"


@pytest.fixture
def connected(ctx, wallet_sim, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    ctx.vault.create(PASS["SOVTUI_PASSPHRASE"])
    svc = WalletService(ctx)
    svc.save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=1_000, budget_period="day", network="regtest")
    return svc


def test_a_description_with_cursor_codes_cannot_rewrite_the_amount(cli, connected, wallet_sim) -> None:
    invoice, _ = merchant_invoice(600, CURSOR_ATTACK)
    shown = cli("wallet", "pay", invoice, env=PASS)  # no --yes and no terminal: shows, then refuses
    assert shown.returncode == 2
    assert is_safe(shown.stderr), repr(shown.stderr)
    lines = shown.stderr.splitlines()
    assert "      amount: 600 sats" in lines
    description = next(line for line in lines if line.strip().startswith("description:"))
    assert "amount: 1 sats" in description  # the text is still there, as text, on its own line
    assert wallet_sim.count("pay_invoice") == 0


def test_what_the_wallet_says_back_is_shown_safely(cli, connected, wallet_sim) -> None:
    connected.set_budget("main", 10_000, "day")
    invoice, _ = merchant_invoice(600, CURSOR_ATTACK)
    paid = cli("wallet", "pay", invoice, "--yes", env=PASS)
    assert paid.returncode == 0, paid.stderr
    assert is_safe(paid.stdout) and is_safe(paid.stderr)
    history = cli("wallet", "history", env=PASS)
    assert history.returncode == 0, history.stderr
    assert is_safe(history.stdout) and "coffee" in history.stdout
    looked = cli("wallet", "lookup", decode(invoice).payment_hash, env=PASS)
    assert is_safe(looked.stdout) and "coffee" in looked.stdout


@pytest.mark.parametrize("option", ["--max-fee", "--fee-reserve"])
def test_a_negative_fee_reserve_cannot_let_a_big_invoice_past_the_budget(cli, connected, wallet_sim, option) -> None:
    invoice, _ = merchant_invoice(50_000)
    result = cli("wallet", "pay", invoice, option, "-49000", "--yes", env=PASS)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "sovtui: the fee reserve is a whole number of sats, at least 1"
    assert wallet_sim.count("pay_invoice") == 0


def test_a_negative_amount_is_refused(cli, connected, wallet_sim) -> None:
    invoice, _ = merchant_invoice(None)
    result = cli("wallet", "pay", invoice, "--amount", "-5", "--yes", env=PASS)
    assert result.returncode == 2
    assert result.stderr.strip() == "sovtui: the amount is a whole number of sats, at least 1"
    assert wallet_sim.count("pay_invoice") == 0


def test_the_confirmation_says_fee_reserve(cli, connected, wallet_sim) -> None:
    invoice, _ = merchant_invoice(100)
    shown = cli("wallet", "pay", invoice, "--json", env=PASS)
    assert "fee reserve: 10 sats" in shown.stderr and "fee limit" not in shown.stderr
    paid = cli("wallet", "pay", invoice, "--yes", "--json", env=PASS)
    data = json.loads(paid.stdout)
    assert data["state"] == "settled" and data["proved"] is True and data["fee_reserve_sats"] == 10
