"""A NIP-47 (Nostr Wallet Connect) client.

Requests are kind 23194 events, encrypted to the wallet service and signed
with the connection's own key (never the user's identity key), carrying an
``expiration`` tag so a request that arrives late is dropped rather than
carried out. Responses (23195) are accepted only from the wallet's pubkey,
with a valid signature, an ``e`` tag naming our request, content that
decrypts and parses, and the right ``result_type``; anything else a relay
hands us is ignored. NIP-44 v2 is used whenever the wallet's info event
offers it, NIP-04 otherwise. Amounts are msats on the wire, as the NIP says.

What the wallet says is read by the small ``read_*`` functions below, which
return a value or raise a WalletError and nothing else, whatever the JSON
holds (property-tested): numbers that are negative, NaN, huge floats or
strings are not amounts; strings lose lone surrogates (they would crash a
print) and are shown only through ``sovtui.text.safe_line``. Any crypto
error (a key off the curve, a payload that does not decrypt) is a
WalletError or an ignored event, never a raw exception with the secret in
its frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sovtui.nostr import nip44
from sovtui.nostr.events import nip04_decrypt, nip04_encrypt, public_key_of, sign_event, tag_value
from sovtui.nostr.relay import RelayPool, Subscription
from sovtui.text import safe_line, valid_text
from sovtui.wallet.errors import WalletError, WalletRequestError, WalletTimeout
from sovtui.wallet.uri import NwcUri

log = logging.getLogger(__name__)

INFO_KIND = 13194
REQUEST_KIND = 23194
RESPONSE_KIND = 23195
NOTIFICATION_KIND = 23197
LEGACY_NOTIFICATION_KIND = 23196
NIP44 = "nip44_v2"
NIP04 = "nip04"
DEFAULT_TIMEOUT = 30.0
#: Timestamps a wallet may send that can still be shown (year 9999); anything else is "unknown".
_MAX_TIMESTAMP = 253_402_300_799
_HEX = frozenset("0123456789abcdef")
DAMAGED = "the connection to this wallet cannot be used (its keys are not valid): remove it and connect it again"


@dataclass(frozen=True)
class WalletInfo:
    """What the wallet says about itself: info event and get_info merged."""

    methods: tuple[str, ...] = ()
    notifications: tuple[str, ...] = ()
    encryptions: tuple[str, ...] = (NIP04,)
    alias: str = ""
    network: str = ""
    pubkey: str = ""
    block_height: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias, "network": self.network, "pubkey": self.pubkey,
            "block_height": self.block_height, "methods": list(self.methods),
            "notifications": list(self.notifications), "encryptions": list(self.encryptions),
        }


@dataclass(frozen=True)
class Transaction:
    """An invoice or a payment as NIP-47 describes one; amounts in msats."""

    type: str
    state: str
    payment_hash: str
    amount_msat: int
    fees_paid_msat: int | None = 0  # None: not reported (or not a usable number)
    invoice: str = ""
    description: str = ""
    preimage: str = ""
    created_at: int = 0
    expires_at: int | None = None
    settled_at: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def amount_sat(self) -> int:
        return self.amount_msat // 1000

    @property
    def fees_paid_sat(self) -> int:
        return -(-(self.fees_paid_msat or 0) // 1000)

    @classmethod
    def from_result(cls, data: dict[str, Any]) -> Transaction:
        """A transaction from the wallet's JSON; WalletError if its hash or amount is not usable."""
        if not isinstance(data, dict):
            raise WalletError("the wallet sent a transaction that is not understood")
        payment_hash = data.get("payment_hash")
        if not (isinstance(payment_hash, str) and len(payment_hash) == 64 and set(payment_hash.lower()) <= _HEX):
            raise WalletError("the wallet sent a transaction without a valid payment hash")
        amount = _amount(data.get("amount", 0))
        if amount is None:
            raise WalletError("the wallet sent a transaction whose amount is not a number of msats")
        preimage = _text(data.get("preimage"))
        state = _word(data.get("state")) or ("settled" if data.get("settled_at") or preimage else "pending")
        return cls(
            type=_word(data.get("type")),
            state=state,
            payment_hash=payment_hash.lower(),
            amount_msat=amount,
            fees_paid_msat=_amount(data.get("fees_paid")),
            invoice=_text(data.get("invoice")),
            description=_text(data.get("description")),
            preimage=preimage,
            created_at=_timestamp(data.get("created_at")) or 0,
            expires_at=_timestamp(data.get("expires_at")),
            settled_at=_timestamp(data.get("settled_at")),
            extra=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type, "state": self.state, "payment_hash": self.payment_hash,
            "amount_sat": self.amount_sat, "amount_msat": self.amount_msat, "fees_paid_msat": self.fees_paid_msat,
            "invoice": self.invoice, "description": self.description, "preimage": self.preimage,
            "created_at": self.created_at, "expires_at": self.expires_at, "settled_at": self.settled_at,
        }


class PayResult(NamedTuple):
    preimage: str
    fees_paid_msat: int | None  # None: the wallet reported no usable fee


def _amount(value: Any) -> int | None:
    """A count of msats, or None: negative, NaN, infinite, fractional, bool or text is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and value >= 0:
        return int(value)
    return None


def _timestamp(value: Any) -> int | None:
    """A unix time that can be shown, or None."""
    seconds = _amount(value)
    return seconds if seconds is not None and 0 < seconds <= _MAX_TIMESTAMP else None


def _text(value: Any) -> str:
    """A string field as text that can be printed (lone surrogates replaced); '' for anything else.

    Control characters are kept here (the data stays what the wallet sent)
    and removed where it is shown, through sovtui.text.
    """
    return valid_text(value) if isinstance(value, str) else ""


def _word(value: Any) -> str:
    """A keyword field (state, type): one short safe line."""
    return safe_line(_text(value)).strip()[:20]


def _names(value: Any) -> tuple[str, ...] | None:
    """A list of method or notification names, each one safe to show; None if it is not a list."""
    if not isinstance(value, list):
        return None
    return tuple(name for name in (safe_line(valid_text(v)).strip() for v in value if isinstance(v, str)) if name)


def read_response(message: Any, method: str) -> dict[str, Any] | None:
    """The result of a wallet's response to ``method``; None to ignore it; WalletRequestError for an error.

    Ignored: anything not a JSON object, another result_type, a result that
    is not an object. An error is an object with a code or a message (null
    or an empty object means none); any other non-empty error is an OTHER.
    """
    if not isinstance(message, dict) or message.get("result_type") != method:
        return None
    error = message.get("error")
    if isinstance(error, dict):
        code, text = error.get("code"), error.get("message")
        if code or text:
            code = safe_line(valid_text(code)).strip()[:40] if isinstance(code, str) else ""
            raise WalletRequestError(code or "OTHER", text if isinstance(text, str) else "")
    elif error:
        raise WalletRequestError("OTHER", error if isinstance(error, str) else "")
    result = message.get("result")
    return result if isinstance(result, dict) else None


def read_pay_result(result: dict[str, Any]) -> PayResult:
    """What pay_invoice answered: the preimage as sent (checked by the caller) and the fee, if usable."""
    return PayResult(_text(result.get("preimage")), _amount(result.get("fees_paid")))


def read_balance(result: dict[str, Any]) -> int:
    balance = _amount(result.get("balance"))
    if balance is None:
        raise WalletError("the wallet's balance answer is not understood")
    return balance


def read_info(result: dict[str, Any], previous: WalletInfo) -> WalletInfo:
    def line(value: Any) -> str:
        return safe_line(_text(value)).strip()[:80]

    height = result.get("block_height")
    methods, notifications = _names(result.get("methods")), _names(result.get("notifications"))
    return WalletInfo(
        methods=methods if methods is not None else previous.methods,
        notifications=notifications if notifications is not None else previous.notifications,
        encryptions=previous.encryptions,
        alias=line(result.get("alias")),
        network=line(result.get("network")),
        pubkey=line(result.get("pubkey")),
        block_height=height if isinstance(height, int) and not isinstance(height, bool) and height >= 0 else None,
    )


class NwcClient:
    """One connection to one wallet service, over its relays."""

    def __init__(self, uri: NwcUri, *, timeout: float = DEFAULT_TIMEOUT, connect_timeout: float = 5.0) -> None:
        self.uri = uri
        self.timeout = timeout
        try:
            self.pubkey = public_key_of(uri.secret)
        except Exception:  # noqa: BLE001 - any crypto error: the secret is not a key
            raise WalletError(DAMAGED) from None
        self.pool = RelayPool(uri.relays, connect_timeout=connect_timeout)
        self.info = WalletInfo()
        self.info_found = False
        #: Events from the wallet's key that were dropped as unreadable, and list items not understood.
        self.ignored = 0

    async def __aenter__(self) -> NwcClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def encryption(self) -> str:
        return NIP44 if NIP44 in self.info.encryptions else NIP04

    async def connect(self) -> WalletInfo:
        """Reach the relays and read the wallet's info event (13194)."""
        await self.pool.connect()
        subscription = await self.pool.subscribe([{"kinds": [INFO_KIND], "authors": [self.uri.wallet_pubkey], "limit": 1}])
        try:
            await subscription.wait_stored(min(self.timeout, 5.0))
            newest: dict[str, Any] | None = None
            while not subscription.events.empty():
                event = subscription.events.get_nowait()
                if newest is None or event["created_at"] > newest["created_at"]:
                    newest = event
        finally:
            await self.pool.unsubscribe(subscription)
        if newest is not None:
            self.info_found = True
            encryption = str(tag_value(newest, "encryption") or NIP04).split()
            self.info = WalletInfo(
                methods=_names(str(newest.get("content") or "").split()) or (),
                notifications=_names(str(tag_value(newest, "notifications") or "").split()) or (),
                encryptions=tuple(e for e in encryption if e in (NIP44, NIP04)) or (NIP04,),
            )
        return self.info

    async def close(self) -> None:
        await self.pool.close()

    # --- the methods -------------------------------------------------------

    async def get_info(self) -> WalletInfo:
        self.info = read_info(await self.request("get_info", {}), self.info)
        return self.info

    async def get_balance(self) -> int:
        """The balance in msats."""
        return read_balance(await self.request("get_balance", {}))

    async def pay_invoice(self, invoice: str, *, amount_msat: int | None = None, timeout: float | None = None) -> PayResult:
        """Pay; the preimage (unchecked: the caller checks it proves the payment) and the fee, if reported.

        WalletTimeout means the outcome is unknown.
        """
        params: dict[str, Any] = {"invoice": invoice}
        if amount_msat is not None:
            if amount_msat <= 0:
                raise WalletError("an amount to pay must be at least 1 msat")
            params["amount"] = amount_msat
        return read_pay_result(await self.request("pay_invoice", params, timeout=timeout))

    async def pay_keysend(self, pubkey: str, amount_msat: int) -> PayResult:
        if amount_msat <= 0:
            raise WalletError("an amount to pay must be at least 1 msat")
        return read_pay_result(await self.request("pay_keysend", {"pubkey": pubkey, "amount": amount_msat}))

    async def make_invoice(self, amount_msat: int, description: str = "", expiry: int | None = None) -> Transaction:
        params: dict[str, Any] = {"amount": amount_msat}
        if description:
            params["description"] = description
        if expiry:
            params["expiry"] = expiry
        return Transaction.from_result(await self.request("make_invoice", params))

    async def lookup_invoice(self, *, payment_hash: str | None = None, invoice: str | None = None) -> Transaction:
        params = {"payment_hash": payment_hash} if payment_hash else {"invoice": invoice}
        return Transaction.from_result(await self.request("lookup_invoice", params))

    async def list_transactions(self, *, limit: int = 20, offset: int = 0, unpaid: bool = False) -> list[Transaction]:
        """Newest first, one page."""
        result = await self.request("list_transactions", {"limit": limit, "offset": offset, "unpaid": unpaid})
        items = result.get("transactions")
        if not isinstance(items, list):
            raise WalletError("the wallet's transaction list is not understood")
        found = []
        for item in items:
            try:
                found.append(Transaction.from_result(item))
            except WalletError:
                self.ignored += 1  # one bad entry does not hide the others
        return sorted(found, key=lambda t: t.created_at, reverse=True)

    async def notifications(self) -> AsyncIterator[tuple[str, Transaction]]:
        """payment_received / payment_sent as they arrive, until cancelled."""
        kind = NOTIFICATION_KIND if self.encryption == NIP44 else LEGACY_NOTIFICATION_KIND
        subscription = await self.pool.subscribe(
            [{"kinds": [kind], "authors": [self.uri.wallet_pubkey], "#p": [self.pubkey], "since": int(time.time()) - 5}]
        )
        try:
            while True:
                event = await subscription.events.get()
                message = self._open(event)
                if not message:
                    continue
                kind_name, payload = message.get("notification_type"), message.get("notification")
                if isinstance(kind_name, str) and isinstance(payload, dict):
                    try:
                        yield kind_name, Transaction.from_result(payload)
                    except WalletError:
                        continue
        finally:
            await self.pool.unsubscribe(subscription)

    # --- the protocol ------------------------------------------------------

    async def request(self, method: str, params: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        """Send one request; its result, or WalletRequestError / WalletTimeout."""
        timeout = timeout or self.timeout
        event = self._request_event(method, params, timeout)
        subscription = await self.pool.subscribe(
            [{"kinds": [RESPONSE_KIND], "authors": [self.uri.wallet_pubkey], "#e": [event["id"]]}]
        )
        try:
            await self.pool.publish(event, timeout=min(timeout, 10.0))
            return await self._await_response(subscription, event["id"], method, timeout)
        finally:
            await self.pool.unsubscribe(subscription)

    def _request_event(self, method: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
        plaintext = json.dumps({"method": method, "params": params}, separators=(",", ":"))
        tags = [["p", self.uri.wallet_pubkey], ["expiration", str(int(time.time() + timeout + 5))]]
        try:
            if self.encryption == NIP44:
                key = nip44.get_conversation_key(self.uri.secret, self.uri.wallet_pubkey)
                content = nip44.encrypt(plaintext, key)
                tags.append(["encryption", NIP44])
            else:
                content = nip04_encrypt(self.uri.secret, self.uri.wallet_pubkey, plaintext)
            return sign_event(self.uri.secret, REQUEST_KIND, content, tags)
        except Exception:  # noqa: BLE001 - a key off the curve, a payload too long: never a raw crypto error
            log.info("could not encrypt or sign a %s request", method)
            raise WalletError(DAMAGED) from None

    async def _await_response(self, subscription: Subscription, request_id: str, method: str, timeout: float) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            event = await subscription.next(remaining) if remaining > 0 else None
            if event is None:
                raise WalletTimeout(f"the wallet did not answer {method} within {timeout:g} s")
            if event["pubkey"] != self.uri.wallet_pubkey or tag_value(event, "e") != request_id:
                continue
            result = read_response(self._open(event), method)
            if result is None:
                self.ignored += 1
                continue
            return result

    def _open(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Decrypt and parse a wallet event's content; None for anything unreadable."""
        content = event.get("content", "")
        try:
            if "?iv=" in content:
                plaintext = nip04_decrypt(self.uri.secret, self.uri.wallet_pubkey, content)
            else:
                key = nip44.get_conversation_key(self.uri.secret, self.uri.wallet_pubkey)
                plaintext = nip44.decrypt(content, key)
            message = json.loads(plaintext)
        except Exception:  # noqa: BLE001 - bad crypto, bad JSON, JSON nested past the recursion limit
            log.info("ignored an unreadable event from the wallet's relay")
            return None
        return message if isinstance(message, dict) else None
