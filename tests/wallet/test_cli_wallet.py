"""``sovtui wallet`` as a user runs it: under the egress guard, a real relay, the simulator."""

from __future__ import annotations

import json

import pytest

from sovtui.paths import Paths
from sovtui.wallet.bolt11 import decode
from tests.wallet.simulator import merchant_invoice

PASS = {"SOVTUI_PASSPHRASE": "a long vault passphrase"}


@pytest.mark.usefixtures("cheap_scrypt")
def test_connect_then_balance_info_invoice_pay_history_and_remove(cli, xdg: Paths, wallet_sim) -> None:
    connected = cli("wallet", "connect", "main", "--budget", "5000", input=wallet_sim.uri, env=PASS)
    assert connected.returncode == 0, connected.stderr
    assert connected.stdout.strip() == "connected main: simwallet on regtest, balance 100,000 sats"
    config = xdg.config_file.read_text()
    vault = (xdg.config_dir / "vault.json").read_text()
    assert wallet_sim.client_secret not in config and wallet_sim.client_secret not in vault
    assert wallet_sim.relay_url in config  # the public part, so the doctor can list it

    listed = json.loads(cli("wallet", "list", "--json").stdout)
    assert listed[0]["name"] == "main" and listed[0]["budget_sats"] == 5000 and listed[0]["left_sats"] == 5000

    balance = json.loads(cli("wallet", "balance", "--json", env=PASS).stdout)
    assert balance["balance_sats"] == 100_000

    info = json.loads(cli("wallet", "info", "--json", env=PASS).stdout)
    assert (info["alias"], info["network"], info["encryption"]) == ("simwallet", "regtest", "nip44_v2")

    made = cli("wallet", "invoice", "2100", "--memo", "for coffee", "--json", env=PASS)
    invoice = json.loads(made.stdout)
    assert decode(invoice["invoice"]).amount_msat == 2_100_000 and invoice["description"] == "for coffee"

    bill, _ = merchant_invoice(1_500, "a book")
    unconfirmed = cli("wallet", "pay", bill, env=PASS)
    assert unconfirmed.returncode == 2
    assert "add --yes" in unconfirmed.stderr and wallet_sim.count("pay_invoice") == 0
    assert "amount: 1,500 sats" in unconfirmed.stderr and "description: a book" in unconfirmed.stderr

    paid = cli("wallet", "pay", bill, "--yes", env=PASS)
    assert paid.returncode == 0, paid.stderr
    assert paid.stdout.startswith("paid 1,500 sats (fee 1 sats)")
    again = cli("wallet", "pay", bill, "--yes", env=PASS)
    assert again.returncode == 1 and "already paid" in again.stderr
    assert wallet_sim.count("pay_invoice") == 1

    over, _ = merchant_invoice(4_000)
    refused = cli("wallet", "pay", over, "--yes", env=PASS)
    assert refused.returncode == 1 and "would pass your budget" in refused.stderr
    assert wallet_sim.count("pay_invoice") == 1

    history = json.loads(cli("wallet", "history", "--json", env=PASS).stdout)
    assert [(t["type"], t["amount_sat"], t["state"]) for t in history] == [("outgoing", 1_500, "settled")]

    looked = cli("wallet", "lookup", decode(bill).payment_hash, env=PASS)
    assert looked.stdout.strip() == "settled: outgoing 1,500 sats, fee 1 sats — a book"

    budget = cli("wallet", "budget", "main", "20000", "--period", "week")
    assert budget.stdout.strip().startswith("main: 1,501 of 20,000 sats spent this week")

    removed = cli("wallet", "rm", "main", "--yes", env=PASS)
    assert removed.returncode == 0
    assert json.loads(cli("wallet", "list", "--json").stdout) == []


def test_a_bad_uri_is_one_line_and_nothing_is_written(cli, xdg: Paths) -> None:
    result = cli("wallet", "connect", "main", input="nostr+walletconnect://abc?relay=wss://r.example", env=PASS)
    assert result.returncode == 1
    assert result.stderr.strip() == "sovtui: the wallet's public key in the URI is not 64 hex characters"
    assert not (xdg.config_dir / "vault.json").exists()


@pytest.mark.usefixtures("short_connect_timeout")
def test_an_unreachable_relay_is_a_clear_error(cli, relay, wallet_sim) -> None:
    relay.stop()
    result = cli("wallet", "connect", "main", input=wallet_sim.uri, env=PASS)
    assert result.returncode == 1
    assert "could not reach any relay" in result.stderr and "Traceback" not in result.stderr


def test_commands_need_a_connected_wallet(cli) -> None:
    result = cli("wallet", "balance", env=PASS)
    assert result.returncode == 1
    assert result.stderr.strip() == "sovtui: no wallet connected: paste your wallet's NWC URI into 'sovtui wallet connect NAME'"
