"""A NIP-47 (Nostr Wallet Connect) client.

Requests are kind 23194 events, encrypted to the wallet service and signed
with the connection's own key (never the user's identity key), carrying an
``expiration`` tag so a request that arrives late is dropped rather than
carried out. Responses (23195) are accepted only from the wallet's pubkey,
with a valid signature, an ``e`` tag naming our request, content that
decrypts and parses, and the right ``result_type``; anything else a relay
hands us is ignored. NIP-44 v2 is used whenever the wallet's info event
offers it, NIP-04 otherwise. Amounts are msats on the wire, as the NIP says.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sovtui.nostr import nip44
from sovtui.nostr.events import nip04_decrypt, nip04_encrypt, public_key_of, sign_event, tag_value
from sovtui.nostr.relay import RelayPool, Subscription
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
    fees_paid_msat: int = 0
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
        return -(-self.fees_paid_msat // 1000)

    @classmethod
    def from_result(cls, data: dict[str, Any]) -> Transaction:
        if not isinstance(data, dict) or not isinstance(data.get("payment_hash", ""), str):
            raise WalletError("the wallet sent a transaction that is not understood")
        state = data.get("state") or ("settled" if data.get("settled_at") or data.get("preimage") else "pending")
        return cls(
            type=str(data.get("type") or ""),
            state=str(state),
            payment_hash=str(data.get("payment_hash") or ""),
            amount_msat=_int(data.get("amount")),
            fees_paid_msat=_int(data.get("fees_paid")),
            invoice=str(data.get("invoice") or ""),
            description=str(data.get("description") or ""),
            preimage=str(data.get("preimage") or ""),
            created_at=_int(data.get("created_at")),
            expires_at=_int(data["expires_at"]) if data.get("expires_at") else None,
            settled_at=_int(data["settled_at"]) if data.get("settled_at") else None,
            extra=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type, "state": self.state, "payment_hash": self.payment_hash,
            "amount_sat": self.amount_sat, "amount_msat": self.amount_msat, "fees_paid_msat": self.fees_paid_msat,
            "invoice": self.invoice, "description": self.description, "preimage": self.preimage,
            "created_at": self.created_at, "expires_at": self.expires_at, "settled_at": self.settled_at,
        }


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


class NwcClient:
    """One connection to one wallet service, over its relays."""

    def __init__(self, uri: NwcUri, *, timeout: float = DEFAULT_TIMEOUT, connect_timeout: float = 5.0) -> None:
        self.uri = uri
        self.timeout = timeout
        self.pubkey = public_key_of(uri.secret)
        self.pool = RelayPool(uri.relays, connect_timeout=connect_timeout)
        self.info = WalletInfo()
        self.info_found = False

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
            encryption = (tag_value(newest, "encryption") or NIP04).split()
            self.info = WalletInfo(
                methods=tuple(newest["content"].split()),
                notifications=tuple((tag_value(newest, "notifications") or "").split()),
                encryptions=tuple(e for e in encryption if e in (NIP44, NIP04)) or (NIP04,),
            )
        return self.info

    async def close(self) -> None:
        await self.pool.close()

    # --- the methods -------------------------------------------------------

    async def get_info(self) -> WalletInfo:
        result = await self.request("get_info", {})
        methods = result.get("methods")
        notifications = result.get("notifications")
        self.info = WalletInfo(
            methods=tuple(methods) if isinstance(methods, list) else self.info.methods,
            notifications=tuple(notifications) if isinstance(notifications, list) else self.info.notifications,
            encryptions=self.info.encryptions,
            alias=str(result.get("alias") or ""),
            network=str(result.get("network") or ""),
            pubkey=str(result.get("pubkey") or ""),
            block_height=result.get("block_height") if isinstance(result.get("block_height"), int) else None,
        )
        return self.info

    async def get_balance(self) -> int:
        """The balance in msats."""
        result = await self.request("get_balance", {})
        if not isinstance(result.get("balance"), int):
            raise WalletError("the wallet's balance answer is not understood")
        return int(result["balance"])

    async def pay_invoice(self, invoice: str, *, amount_msat: int | None = None, timeout: float | None = None) -> tuple[str, int]:
        """Pay; (preimage, fees paid in msats). WalletTimeout means the outcome is unknown."""
        params: dict[str, Any] = {"invoice": invoice}
        if amount_msat is not None:
            params["amount"] = amount_msat
        result = await self.request("pay_invoice", params, timeout=timeout)
        return str(result.get("preimage") or ""), _int(result.get("fees_paid"))

    async def pay_keysend(self, pubkey: str, amount_msat: int) -> tuple[str, int]:
        result = await self.request("pay_keysend", {"pubkey": pubkey, "amount": amount_msat})
        return str(result.get("preimage") or ""), _int(result.get("fees_paid"))

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
        found = [Transaction.from_result(item) for item in items if isinstance(item, dict)]
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
        if self.encryption == NIP44:
            key = nip44.get_conversation_key(self.uri.secret, self.uri.wallet_pubkey)
            content = nip44.encrypt(plaintext, key)
            tags.append(["encryption", NIP44])
        else:
            content = nip04_encrypt(self.uri.secret, self.uri.wallet_pubkey, plaintext)
        return sign_event(self.uri.secret, REQUEST_KIND, content, tags)

    async def _await_response(self, subscription: Subscription, request_id: str, method: str, timeout: float) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            event = await subscription.next(remaining) if remaining > 0 else None
            if event is None:
                raise WalletTimeout(f"the wallet did not answer {method} within {timeout:g} s")
            if event["pubkey"] != self.uri.wallet_pubkey or tag_value(event, "e") != request_id:
                continue
            message = self._open(event)
            if message is None or message.get("result_type") != method:
                continue
            error = message.get("error")
            if isinstance(error, dict) and (error.get("code") or error.get("message")):
                raise WalletRequestError(str(error.get("code") or "OTHER"), str(error.get("message") or ""))
            result = message.get("result")
            if not isinstance(result, dict):
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
        except ValueError:
            log.info("ignored an unreadable event from the wallet's relay")
            return None
        return message if isinstance(message, dict) else None
