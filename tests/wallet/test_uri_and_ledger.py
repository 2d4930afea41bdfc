"""NWC URIs, each way one can be wrong; the ledger that guards against paying twice."""

from __future__ import annotations

import datetime as dt

import pytest

from sovtui.wallet.errors import NwcUriError, WalletError
from sovtui.wallet.ledger import FAILED, SETTLED, Ledger, Payment, period_start
from sovtui.wallet.uri import parse_nwc_uri

PUB = "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4"
SECRET = "71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"
SPEC_EXAMPLE = f"nostr+walletconnect://{PUB}?relay=wss%3A%2F%2Frelay.damus.io&secret={SECRET}"


def test_the_spec_example_parses():
    uri = parse_nwc_uri(SPEC_EXAMPLE)
    assert uri.wallet_pubkey == PUB
    assert uri.relays == ("wss://relay.damus.io",)
    assert uri.secret == SECRET
    assert uri.lud16 == ""


def test_several_relays_and_lud16_are_kept_and_round_trip():
    text = f"nostr+walletconnect://{PUB}?relay=wss://a.example&relay=wss%3A%2F%2Fb.example%2Fnwc&secret={SECRET}&lud16=me%40getalby.com"
    uri = parse_nwc_uri(text)
    assert uri.relays == ("wss://a.example", "wss://b.example/nwc")
    assert uri.lud16 == "me@getalby.com"
    assert parse_nwc_uri(uri.to_uri()) == uri


def test_the_secret_never_shows_in_repr():
    assert SECRET not in repr(parse_nwc_uri(SPEC_EXAMPLE))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no connection URI"),
        ("https://example.com", "must start with nostr\\+walletconnect://"),
        (f"nostr+walletconnect://{PUB[:-2]}?relay=wss://r.example&secret={SECRET}", "public key"),
        (f"nostr+walletconnect://{PUB}?secret={SECRET}", "names no relay"),
        (f"nostr+walletconnect://{PUB}?relay=https://r.example&secret={SECRET}", "not a ws:// or wss://"),
        (f"nostr+walletconnect://{PUB}?relay=wss://r.example", "has no secret"),
        (f"nostr+walletconnect://{PUB}?relay=wss://r.example&secret=xyz", "secret is not a valid"),
        (f"nostr+walletconnect://{PUB}?relay=wss://r.example&secret={'f' * 64}", "secret is not a valid"),
        (f"nostr+walletconnect://{PUB}?relay=wss://r.example&secret={SECRET}&lud16=nope", "lightning address"),
    ],
)
def test_each_way_a_uri_can_be_wrong_has_its_own_message(text, message):
    with pytest.raises(NwcUriError, match=message) as caught:
        parse_nwc_uri(text)
    assert SECRET not in str(caught.value)


def _payment(hash_: str = "aa" * 32, amount: int = 5_000_000, fee: int = 50_000) -> Payment:
    return Payment(payment_hash=hash_, invoice="lnbcrt…", amount_msat=amount, fee_reserve_msat=fee)


def test_a_pending_payment_holds_its_fee_reserve_and_a_settled_one_counts_its_fee(tmp_path):
    ledger = Ledger(tmp_path / "w.payments.json")
    ledger.begin(_payment())
    assert ledger.spent_msat("day") == 5_050_000
    ledger.finish("aa" * 32, state=SETTLED, fees_paid_msat=1_000)
    assert ledger.spent_msat("day") == 5_001_000


def test_the_same_invoice_cannot_begin_twice_unless_it_failed(tmp_path):
    ledger = Ledger(tmp_path / "w.payments.json")
    ledger.begin(_payment())
    with pytest.raises(WalletError, match="still pending"):
        ledger.begin(_payment())
    ledger.finish("aa" * 32, state=SETTLED)
    with pytest.raises(WalletError, match="already paid"):
        ledger.begin(_payment())
    ledger.begin(_payment("bb" * 32))
    ledger.finish("bb" * 32, state=FAILED, error="no route")
    ledger.begin(_payment("bb" * 32))  # a failed payment may be tried again
    assert ledger.spent_msat("day") == 2 * 5_050_000 - 50_000


def test_a_settled_payment_without_a_reported_fee_counts_the_reserve(tmp_path):
    ledger = Ledger(tmp_path / "w.payments.json")
    ledger.begin(_payment())
    ledger.finish("aa" * 32, state=SETTLED, fees_paid_msat=None)
    assert ledger.spent_msat("day") == 5_050_000


def test_negative_figures_in_the_log_never_count_as_a_refund(tmp_path):
    ledger = Ledger(tmp_path / "w.payments.json")
    ledger.begin(_payment(amount=-9_000_000, fee=-50_000))
    ledger.begin(_payment("bb" * 32))
    ledger.finish("bb" * 32, state=SETTLED, fees_paid_msat=-7)
    assert ledger.spent_msat("day") == 5_050_000


def test_a_log_written_with_the_old_fee_limit_field_still_reads(tmp_path):
    import json

    path = tmp_path / "w.payments.json"
    old = {"payment_hash": "aa" * 32, "invoice": "lnbcrt…", "amount_msat": 1_000, "fee_limit_msat": 10_000,
           "state": "pending", "created_at": 2_000_000_000, "a_field_from_a_newer_sovtui": 1}
    path.write_text(json.dumps({"version": 1, "payments": [old]}))
    (payment,) = Ledger(path).payments()
    assert payment.fee_reserve_msat == 10_000 and payment.counted_msat == 11_000


def test_a_ledger_that_does_not_parse_is_reported_and_kept(tmp_path):
    path = tmp_path / "w.payments.json"
    path.write_text("{broken")
    with pytest.raises(WalletError, match="cannot read the payment log"):
        Ledger(path).spent_msat("day")
    assert path.read_text() == "{broken"


def test_budget_periods_start_at_midnight_monday_and_the_first():
    wednesday = dt.datetime(2026, 11, 25, 15, 30).timestamp()
    assert dt.datetime.fromtimestamp(period_start("day", wednesday)) == dt.datetime(2026, 11, 25)
    assert dt.datetime.fromtimestamp(period_start("week", wednesday)) == dt.datetime(2026, 11, 23)
    assert dt.datetime.fromtimestamp(period_start("month", wednesday)) == dt.datetime(2026, 11, 1)
    with pytest.raises(WalletError):
        period_start("year", wednesday)
