"""Property tests (Hypothesis) for every parser of what a wallet, an invoice or a URI hands us.

Each parser has one promise: for any input it returns its value or raises
its own domain error, never another exception (a crash, or a traceback
with locals). Inputs are random text and, more usefully, mutations of valid
values: a BOLT11 invoice with characters changed and its checksum put right
again, so the mutation reaches the field parser and the signature check.
``EXAMPLES`` is the figure docs/security.md quotes.
"""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovtui.text import is_safe
from sovtui.wallet.bolt11 import CHARSET, Invoice, InvoiceError, _hrp_expand, _polymod, decode
from sovtui.wallet.errors import NwcUriError, WalletError, WalletRequestError, describe_error
from sovtui.wallet.nwc import NwcClient, Transaction, WalletInfo, read_balance, read_info, read_pay_result, read_response
from sovtui.wallet.service import Budget, PaymentPlan
from sovtui.wallet.uri import NwcUri, parse_nwc_uri
from tests.examples import examples
from tests.wallet.bolt11_encode import encode
from tests.wallet.simulator import random_key
from tests.wallet.test_bolt11 import VALID

EXAMPLES = {what: examples(n) for what, n in {"bolt11 text": 300, "bolt11 mutation": 600, "uri": 400, "response": 400, "transaction": 400, "payload": 150}.items()}
FAST = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much]}

KEY = bytes.fromhex("e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734")
OURS = [
    encode(21_000, hashlib.sha256(b"a").digest(), KEY, "coffee", "regtest", timestamp=1_700_000_000, expiry=600, payment_secret=b"\x01" * 32),
    encode(None, hashlib.sha256(b"b").digest(), KEY, "any amount", "bitcoin", timestamp=1_700_000_000, expiry=10**9, payment_secret=b"\x02" * 32),
]
SEEDS = [v[1].lower() for v in VALID] + OURS


def rechecksum(text: str) -> str:
    """``text`` with a correct bech32 checksum again, when it still has the shape for one."""
    sep = text.rfind("1")
    if sep < 1 or any(c not in CHARSET for c in text[sep + 1:]) or len(text) - sep - 1 < 6:
        return text
    hrp, words = text[:sep], [CHARSET.index(c) for c in text[sep + 1:-6]]
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        return text
    check = _polymod(_hrp_expand(hrp) + words + [0] * 6) ^ 1
    return hrp + "1" + "".join(CHARSET[w] for w in words) + "".join(CHARSET[(check >> 5 * (5 - i)) & 31] for i in range(6))


@st.composite
def mutated_invoices(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["replace", "delete", "insert", "truncate", "hrp", "swap"]))
        i = draw(st.integers(0, len(text) - 1)) if text else 0
        if op == "replace" and text:
            text = text[:i] + draw(st.sampled_from(CHARSET)) + text[i + 1:]
        elif op == "delete" and text:
            text = text[:i] + text[i + 1:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(CHARSET + "1")) + text[i:]
        elif op == "truncate":
            text = text[:i]
        elif op == "hrp":
            sep = text.rfind("1")
            text = draw(st.sampled_from(["lnbc", "lntb", "lnbcrt", "lntbs", "ln", "lnxx"])) + draw(
                st.sampled_from(["", "0", "1", "10p", "25m", "999999999999999999999", "0n", "1p", "5u"])) + text[sep:]
        elif op == "swap" and len(text) > i + 1:
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return rechecksum(text) if draw(st.integers(0, 3)) else text  # mostly: past the checksum, into the fields


def check_invoice(text: str) -> None:
    try:
        invoice = decode(text)
    except InvoiceError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(invoice, Invoice)
    assert invoice.amount_msat is None or invoice.amount_msat > 0
    assert len(invoice.payment_hash) == 64 and len(invoice.payee) == 66
    # What the confirmation shows must be showable, whatever the fields hold.
    plan = PaymentPlan("main", invoice, invoice.amount_msat or 1_000, 10_000, Budget(1_000, "day", 0))
    for label, value in plan.summary() + plan.summary(short=True):
        assert is_safe(value, one_line=True), (label, value)


@settings(max_examples=EXAMPLES["bolt11 text"], **FAST)
@given(st.text())
def test_bolt11_any_text_is_an_invoice_or_an_invoice_error(text: str) -> None:
    check_invoice(text)


@settings(max_examples=EXAMPLES["bolt11 mutation"], **FAST)
@given(mutated_invoices())
def test_bolt11_mutations_of_valid_invoices_are_an_invoice_or_an_invoice_error(text: str) -> None:
    check_invoice(text)


def test_bolt11_an_absurd_expiry_still_shows():
    invoice = encode(1_000, b"\x00" * 32, KEY, "far", "regtest", timestamp=2**34, expiry=2**60, payment_secret=b"\x03" * 32)
    check_invoice(invoice)


# --- NWC URIs ----------------------------------------------------------------------

VALID_PUB = "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4"
hexes = st.text("0123456789abcdefABCDEF", min_size=0, max_size=70)
pubkeys = st.one_of(st.just(VALID_PUB), st.just("00" * 31 + "05"), st.just("ff" * 32), hexes, st.text(max_size=70))
secrets = st.one_of(st.builds(random_key), st.just("00" * 32), st.just("ff" * 32), hexes, st.text(max_size=70))
relays = st.one_of(
    st.sampled_from(["wss://relay.example", "ws://127.0.0.1:7777", "wss://[::1", "ws://h:99999", "wss://", "wss://a b",
                     "wss://relay.example/\x1b[2J", "http://x", "wss://xn--80ak6aa92e.com", "wss://[fe80::1%25eth0]:1"]),
    st.text(max_size=40),
)


@st.composite
def uris(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.text(max_size=200))
    scheme = draw(st.sampled_from(["nostr+walletconnect://", "nostrwalletconnect://", "NOSTR+WALLETCONNECT://", "nwc://", ""]))
    parts = [f"relay={quote(r, safe='') if draw(st.booleans()) else r}" for r in draw(st.lists(relays, max_size=3))]
    parts += [f"secret={s}" for s in draw(st.lists(secrets, min_size=0, max_size=2))]
    if draw(st.booleans()):
        parts.append(f"lud16={draw(st.text(max_size=30))}")
    parts = draw(st.permutations(parts))
    sep = draw(st.sampled_from(["?", "/?", "?&", "#"]))
    return f"{scheme}{draw(pubkeys)}{sep}{'&'.join(parts)}"


@settings(max_examples=EXAMPLES["uri"], **FAST)
@given(uris())
def test_nwc_uri_is_a_connection_or_a_uri_error(text: str) -> None:
    try:
        uri = parse_nwc_uri(text)
    except NwcUriError as exc:
        assert "\n" not in str(exc)
        return
    from coincurve import PrivateKey, PublicKey

    PublicKey(b"\x02" + bytes.fromhex(uri.wallet_pubkey))  # a point on the curve
    PrivateKey(bytes.fromhex(uri.secret))  # a valid scalar
    assert uri.secret not in repr(uri)
    assert parse_nwc_uri(uri.to_uri()) == uri


# --- NIP-47 responses --------------------------------------------------------------

json_leaves = st.one_of(st.none(), st.booleans(), st.integers(-(10**40), 10**40), st.floats(allow_nan=True, allow_infinity=True),
                        st.text(max_size=30), st.sampled_from(["\x1b[2J", "\ud800", "settled", "pending", "failed", "00" * 32]))
json_values = st.recursive(json_leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
METHODS = ["pay_invoice", "get_balance", "lookup_invoice", "get_info", "list_transactions", "make_invoice"]


@st.composite
def responses(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 4)) == 0:
        return draw(json_values)
    message: dict[str, object] = {}
    if draw(st.booleans()):
        message["result_type"] = draw(st.one_of(st.sampled_from(METHODS), json_leaves))
    if draw(st.booleans()):
        message["error"] = draw(st.one_of(st.none(), json_values, st.fixed_dictionaries(
            {}, optional={"code": st.one_of(st.sampled_from(["INTERNAL", "OTHER", "PAYMENT_FAILED", "X\x1b"]), json_leaves),
                          "message": st.one_of(json_leaves, st.text())})))
    if draw(st.booleans()):
        message["result"] = draw(st.one_of(transactions(), json_values))
    return message


tx_fields = {
    "type": st.one_of(st.sampled_from(["incoming", "outgoing"]), json_leaves),
    "state": json_leaves, "invoice": json_leaves, "description": json_leaves, "description_hash": json_leaves,
    "preimage": json_leaves, "payment_hash": st.one_of(st.just("ab" * 32), json_leaves),
    "amount": json_leaves, "fees_paid": json_leaves, "created_at": json_leaves, "expires_at": json_leaves,
    "settled_at": json_leaves, "metadata": json_values, "balance": json_leaves, "methods": json_values,
    "notifications": json_values, "alias": json_leaves, "network": json_leaves, "block_height": json_leaves,
    "transactions": json_values,
}


def transactions() -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({}, optional=tx_fields)


@settings(max_examples=EXAMPLES["response"], **FAST)
@given(responses(), st.sampled_from(METHODS))
def test_nip47_any_response_is_a_result_nothing_or_a_wallet_error(message: object, method: str) -> None:
    try:
        result = read_response(message, method)
    except WalletRequestError as exc:
        assert is_safe(str(exc), one_line=True) and len(str(exc)) < 400
        return
    assert result is None or isinstance(result, dict)
    if result is None:
        return
    for reader in (read_pay_result, read_balance, lambda r: read_info(r, WalletInfo())):
        try:
            value = reader(result)
        except WalletError:
            continue
        if isinstance(value, WalletInfo):
            assert all(isinstance(m, str) and is_safe(m, one_line=True) for m in value.methods + value.notifications)
            assert is_safe(value.alias, one_line=True) and is_safe(value.network, one_line=True)
        elif isinstance(value, int):
            assert value >= 0
        else:
            preimage, fees = value
            assert isinstance(preimage, str) and (fees is None or (isinstance(fees, int) and fees >= 0))


@settings(max_examples=EXAMPLES["transaction"], **FAST)
@given(st.one_of(transactions(), json_values))
def test_nip47_any_transaction_is_a_transaction_or_a_wallet_error(data: object) -> None:
    try:
        tx = Transaction.from_result(data)  # type: ignore[arg-type]
    except WalletError:
        return
    assert tx.amount_msat >= 0 and (tx.fees_paid_msat is None or tx.fees_paid_msat >= 0)
    for text in (tx.type, tx.state, tx.description, tx.invoice, tx.preimage, tx.payment_hash):
        text.encode("utf-8")  # no lone surrogate to crash a print
    for stamp in (tx.created_at, tx.expires_at, tx.settled_at):
        if stamp is not None:
            time.localtime(stamp)
    json.dumps(tx.to_dict(), ensure_ascii=False).encode("utf-8")


@settings(max_examples=EXAMPLES["response"], **FAST)
@given(st.text(), st.one_of(st.text(), json_leaves))
def test_a_wallet_error_message_is_one_safe_line(code: str, message: object) -> None:
    text = describe_error(code, message)  # type: ignore[arg-type]
    assert text and is_safe(text, one_line=True) and len(text) < 400


@settings(max_examples=EXAMPLES["payload"], **FAST)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200).map(lambda b: __import__("base64").b64encode(b).decode()),
                 st.text(max_size=100).map(lambda t: t + "?iv=" + t)))
def test_any_event_content_opens_or_is_ignored(content: str) -> None:
    client = NwcClient(NwcUri(VALID_PUB, ("ws://127.0.0.1:9",), "71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"))
    opened = client._open({"content": content})
    assert opened is None or isinstance(opened, dict)
