"""A NIP-47 wallet service for the tests: a balance, real invoices, real events.

It runs in its own thread with its own event loop, so a test can drive the
TUI or a CLI subprocess while the "wallet" answers over the real test relay.
Invoices are real BOLT11, signed by the simulator's node key and decodable by
any decoder. Its side of the protocol is cross-checked by an independent
client (nostr-sdk's NostrWalletConnect) in test_simulator.py, so a mistake
shared by our client and this simulator cannot hide.

Knobs for failure cases: ``encryptions`` (what the info event offers),
``methods``, ``pay_delay`` (settle at once, answer late: a client timeout),
``silent`` (methods that act but never answer), ``junk`` (answers preceded by
bad JSON, a wrong ``e`` tag and a forged author), ``fee_msat``,
``describes`` (False: transactions are listed and looked up without their
description, as many wallets list payments) and ``clock`` (the time the
wallet stamps on what it records).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from typing import Any, Self

from sovtui.nostr import nip44
from sovtui.nostr.events import nip04_decrypt, nip04_encrypt, public_key_of, sign_event, tag_value
from sovtui.nostr.relay import RelayPool
from sovtui.wallet.uri import NwcUri
from tests.wallet.bolt11_encode import encode as encode_invoice

ALL_METHODS = (
    "pay_invoice", "get_balance", "make_invoice", "lookup_invoice",
    "list_transactions", "get_info", "pay_keysend", "notifications",
)


def random_key() -> str:
    while True:
        key = os.urandom(32).hex()
        if 0 < int(key, 16) < 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141:
            return key


#: payment hash -> preimage of every merchant invoice made in this process: what a payee
#: reveals when paid, so the simulator, an honest wallet, returns the real proof of payment.
MERCHANT_PREIMAGES: dict[str, str] = {}


def merchant_invoice(amount_sat: int | None, description: str = "coffee", *, expiry: int = 3600,
                     timestamp: int | None = None, network: str = "regtest") -> tuple[str, str]:
    """An invoice from someone outside the wallet: (bolt11, preimage hex)."""
    preimage = os.urandom(32)
    MERCHANT_PREIMAGES[hashlib.sha256(preimage).hexdigest()] = preimage.hex()
    invoice = encode_invoice(
        amount_msat=None if amount_sat is None else amount_sat * 1000,
        payment_hash=hashlib.sha256(preimage).digest(),
        private_key=bytes.fromhex(random_key()),
        description=description, network=network, timestamp=timestamp, expiry=expiry,
        payment_secret=os.urandom(32),
    )
    return invoice, preimage.hex()


class WalletSimulator:
    def __init__(self, relay_url: str, *, balance_sat: int = 100_000, encryptions: tuple[str, ...] = ("nip44_v2", "nip04"),
                 methods: tuple[str, ...] = ALL_METHODS, network: str = "regtest", alias: str = "simwallet") -> None:
        self.relay_url = relay_url
        self.balance_msat = balance_sat * 1000
        self.encryptions = encryptions
        self.methods = methods
        self.network = network
        self.alias = alias
        self.service_secret = random_key()
        self.service_pubkey = public_key_of(self.service_secret)
        self.client_secret = random_key()
        self.client_pubkey = public_key_of(self.client_secret)
        self.node_secret = bytes.fromhex(random_key())
        self.fee_msat = 1_000
        self.pay_delay = 0.0
        self.silent: set[str] = set()
        self.junk = False
        self.describes = True
        self.clock = time.time
        self.transactions: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []  # methods, in the order received
        self.schemes: list[str] = []  # the encryption of each request
        self.preimages: dict[str, str] = {}  # payment hash -> preimage, for merchant invoices
        self._seen: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pool: RelayPool | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    # --- for tests ------------------------------------------------------------

    @property
    def uri(self) -> str:
        return NwcUri(self.service_pubkey, (self.relay_url,), self.client_secret, "sim@example.com").to_uri()

    @property
    def balance_sat(self) -> int:
        return self.balance_msat // 1000

    def start(self) -> Self:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="nwc simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the wallet simulator did not start")
        return self

    def stop(self) -> None:
        """Stop answering (idempotent)."""
        if self._loop is not None and self._stop is not None:
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:  # its loop already ended
                pass
        if self._thread is not None:
            self._thread.join(10)

    def count(self, method: str) -> int:
        return self.requests.count(method)

    def pay_from_outside(self, invoice: str) -> None:
        """Someone pays one of our invoices: settle it and notify the client."""
        payment_hash = next(h for h, t in self.transactions.items() if t["invoice"] == invoice)
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._settle_incoming(payment_hash), self._loop).result(10)

    # --- the service ----------------------------------------------------------

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._pool = RelayPool([self.relay_url], backoff=0.05)
        await self._pool.connect()
        info = sign_event(self.service_secret, 13194, " ".join(self.methods), [
            ["encryption", " ".join(self.encryptions)],
            ["notifications", "payment_received payment_sent"],
        ])
        await self._pool.publish(info)
        subscription = await self._pool.subscribe([{"kinds": [23194], "#p": [self.service_pubkey]}])
        await subscription.wait_stored(2)
        self._ready.set()
        tasks: set[asyncio.Task[None]] = set()
        stop_wait = asyncio.create_task(self._stop.wait())
        while not self._stop.is_set():
            get = asyncio.create_task(subscription.events.get())
            done, _ = await asyncio.wait({get, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if get not in done:
                get.cancel()
                break
            task = asyncio.create_task(self._handle(get.result()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        for task in tasks:
            task.cancel()
        await self._pool.close()

    async def _handle(self, event: dict[str, Any]) -> None:
        if event["id"] in self._seen or event["pubkey"] != self.client_pubkey:
            return
        self._seen.add(event["id"])
        expiration = tag_value(event, "expiration")
        if expiration and int(expiration) < time.time():
            return
        scheme = tag_value(event, "encryption") or "nip04"
        try:
            request = json.loads(self._decrypt(event["content"], scheme))
        except ValueError:
            return
        method = request.get("method", "")
        self.requests.append(method)
        self.schemes.append(scheme)
        if scheme not in self.encryptions:
            await self._respond(event, scheme, method, error=("UNSUPPORTED_ENCRYPTION", f"{scheme} is not supported"))
            return
        if method not in self.methods:
            await self._respond(event, scheme, method, error=("NOT_IMPLEMENTED", f"{method} is not supported"))
            return
        try:
            result = await getattr(self, f"_do_{method}")(request.get("params") or {})
            error = None
        except _Refusal as refusal:
            result, error = None, (refusal.code, refusal.message)
        if method in self.silent:
            return
        if method == "pay_invoice" and self.pay_delay:
            await asyncio.sleep(self.pay_delay)
        await self._respond(event, scheme, method, result=result, error=error)

    async def _respond(self, request: dict[str, Any], scheme: str, method: str, *, result: Any = None,
                       error: tuple[str, str] | None = None) -> None:
        body = {"result_type": method, "error": {"code": error[0], "message": error[1]} if error else None,
                "result": result}
        tags = [["p", self.client_pubkey], ["e", request["id"]]]
        assert self._pool is not None
        if self.junk:
            await self._pool.publish(sign_event(self.service_secret, 23195, self._encrypt("{not json", scheme), tags))
            wrong_e = [["p", self.client_pubkey], ["e", "00" * 32]]
            fake = {**body, "result": {"balance": 999_999_999_000, "preimage": "00" * 32}, "error": None}
            await self._pool.publish(sign_event(self.service_secret, 23195, self._encrypt(json.dumps(fake), scheme), wrong_e))
            forger = random_key()
            await self._pool.publish(sign_event(forger, 23195, self._encrypt(json.dumps(fake), scheme), tags))
        await self._pool.publish(sign_event(self.service_secret, 23195, self._encrypt(json.dumps(body), scheme), tags))

    def _encrypt(self, plaintext: str, scheme: str) -> str:
        if scheme == "nip44_v2":
            return nip44.encrypt(plaintext, nip44.get_conversation_key(self.service_secret, self.client_pubkey))
        return nip04_encrypt(self.service_secret, self.client_pubkey, plaintext)

    def _decrypt(self, payload: str, scheme: str) -> str:
        if scheme == "nip44_v2":
            return nip44.decrypt(payload, nip44.get_conversation_key(self.service_secret, self.client_pubkey))
        return nip04_decrypt(self.service_secret, self.client_pubkey, payload)

    async def _notify(self, kind: str, tx: dict[str, Any]) -> None:
        assert self._pool is not None
        body = json.dumps({"notification_type": kind, "notification": tx})
        if "nip44_v2" in self.encryptions:
            await self._pool.publish(sign_event(self.service_secret, 23197, self._encrypt(body, "nip44_v2"), [["p", self.client_pubkey]]))
        if "nip04" in self.encryptions:
            await self._pool.publish(sign_event(self.service_secret, 23196, self._encrypt(body, "nip04"), [["p", self.client_pubkey]]))

    # --- methods ----------------------------------------------------------------

    async def _do_get_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"alias": self.alias, "color": "#f7931a", "pubkey": public_key_of(self.node_secret.hex()),
                "network": self.network, "block_height": 840_000, "block_hash": "00" * 32,
                "methods": [m for m in self.methods if m != "notifications"],
                "notifications": ["payment_received", "payment_sent"]}

    async def _do_get_balance(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"balance": self.balance_msat}

    async def _do_make_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = params.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            raise _Refusal("OTHER", "amount is required")
        preimage = os.urandom(32)
        payment_hash = hashlib.sha256(preimage).hexdigest()
        now, expiry = int(self.clock()), int(params.get("expiry") or 3600)
        invoice = encode_invoice(amount_msat=amount, payment_hash=bytes.fromhex(payment_hash), private_key=self.node_secret,
                                 description=params.get("description", ""), network=self.network, timestamp=now,
                                 expiry=expiry, payment_secret=os.urandom(32))
        tx = {"type": "incoming", "state": "pending", "invoice": invoice, "description": params.get("description", ""),
              "payment_hash": payment_hash, "amount": amount, "fees_paid": 0, "created_at": now,
              "expires_at": now + expiry, "preimage": preimage.hex()}
        self.transactions[payment_hash] = tx
        return self._public(tx)

    async def _do_pay_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        from sovtui.wallet.bolt11 import InvoiceError, decode

        try:
            invoice = decode(params.get("invoice", ""))
        except InvoiceError as exc:
            raise _Refusal("OTHER", f"invalid invoice: {exc}") from None
        if invoice.is_expired():
            raise _Refusal("PAYMENT_FAILED", "invoice expired")
        existing = self.transactions.get(invoice.payment_hash)
        if existing is not None and existing["type"] == "outgoing" and existing["state"] == "settled":
            raise _Refusal("PAYMENT_FAILED", "invoice already paid")
        amount = invoice.amount_msat or params.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            raise _Refusal("OTHER", "the invoice has no amount and none was given")
        if self.balance_msat < amount + self.fee_msat:
            raise _Refusal("INSUFFICIENT_BALANCE", "not enough balance")
        # An honest wallet settles only with the payee's preimage, the proof of payment.
        preimage = (self.preimages.get(invoice.payment_hash) or MERCHANT_PREIMAGES.get(invoice.payment_hash)
                    or (existing or {}).get("preimage"))
        if not preimage:
            raise _Refusal("PAYMENT_FAILED", "no route to the payee")
        self.balance_msat -= amount + self.fee_msat
        now = int(self.clock())
        tx = {"type": "outgoing", "state": "settled", "invoice": invoice.raw, "description": invoice.description or "",
              "payment_hash": invoice.payment_hash, "amount": amount, "fees_paid": self.fee_msat,
              "created_at": now, "settled_at": now, "preimage": preimage}
        self.transactions[invoice.payment_hash] = tx
        asyncio.get_running_loop().create_task(self._notify("payment_sent", self._public(tx)))
        return {"preimage": preimage, "fees_paid": self.fee_msat}

    async def _do_pay_keysend(self, params: dict[str, Any]) -> dict[str, Any]:
        raise _Refusal("NOT_IMPLEMENTED", "keysend is not enabled")

    async def _do_lookup_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        key = params.get("payment_hash")
        if not key and params.get("invoice"):
            key = next((h for h, t in self.transactions.items() if t["invoice"] == params["invoice"]), None)
        tx = self.transactions.get(key or "")
        if tx is None:
            raise _Refusal("NOT_FOUND", "no such invoice")
        return self._public(tx)

    async def _do_list_transactions(self, params: dict[str, Any]) -> dict[str, Any]:
        items = [self._public(t) for t in self.transactions.values()
                 if t["type"] == "outgoing" or t["state"] == "settled" or params.get("unpaid")]
        items.sort(key=lambda t: t["created_at"], reverse=True)
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 50)
        return {"transactions": items[offset:offset + limit]}

    async def _settle_incoming(self, payment_hash: str) -> None:
        tx = self.transactions[payment_hash]
        tx["state"], tx["settled_at"] = "settled", int(self.clock())
        self.balance_msat += tx["amount"]
        await self._notify("payment_received", self._public(tx))

    def _public(self, tx: dict[str, Any]) -> dict[str, Any]:
        shown = dict(tx)
        if not self.describes:
            shown.pop("description", None)
        if tx["type"] == "incoming" and tx["state"] != "settled":
            shown.pop("preimage", None)
            if tx.get("expires_at", 0) < time.time():
                shown["state"] = "expired"
        return shown


class _Refusal(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
