"""A NIP-47 wallet service that sends everything a wallet can send wrong.

It is the simulator (same relay, same keys, real signed invoices, a real
balance) with a script of faults: ``fault(method, name, ...)`` queues faults
for that method, and each request of it takes the next one (none left: it
behaves). Faults either change what the wallet *does* (pay and then claim an
error, refuse with INTERNAL without paying, drop the request) or what it
*says* (a preimage that proves nothing, no fees, NaN, 10**30, negative
numbers, escape codes, a lone surrogate, JSON nested past Python's recursion
limit, the wrong result_type, an answer for another request id, content that
does not decrypt). Every fault sent is appended to ``injected``, so the
tests can say how many were tried.
"""

from __future__ import annotations

import contextvars
import json
import os
from typing import Any

from sovtui.nostr.events import sign_event
from tests.wallet.simulator import WalletSimulator, _Refusal

_FAULT: contextvars.ContextVar[str | None] = contextvars.ContextVar("fault", default=None)

ESCAPES = "\x1b[2J\x1b[H\x1b]52;c;bG5iYzFwd24=\x07\x9b31m\u202e\r"
DEEP = "[" * 5000 + "]" * 5000

#: Faults that keep the wallet from paying at all (it answers, or not, without moving money).
NOT_PAYING = {"internal_unpaid", "ignore", "failed_with_escapes"}

#: Each pay_invoice fault, and what the client must conclude: (right after paying, after a
#: later reconcile against an honest lookup). A pay answer whose preimage proves nothing is
#: "unproved" until a lookup gives the real preimage; an unclear error or a lost answer is
#: "pending" until a lookup says how it ended; a refused payment never becomes anything else.
PAY_FAULTS = {
    "wrong_preimage": ("unproved", "settled"),
    "no_preimage": ("unproved", "settled"),
    "preimage_not_hex": ("unproved", "settled"),
    "preimage_surrogate": ("unproved", "settled"),
    "no_fees": ("settled", "settled"),
    "negative_fees": ("settled", "settled"),
    "nan_fees": ("settled", "settled"),
    "inf_fees": ("settled", "settled"),
    "huge_fees": ("settled", "settled"),
    "string_fees": ("settled", "settled"),
    "internal_after_paying": ("settled", "settled"),  # INTERNAL, then the lookup that follows finds it paid
    "other_after_paying": ("settled", "settled"),
    "error_as_string": ("settled", "settled"),
    "error_without_code": ("settled", "settled"),
    "garbage_then_answer": ("settled", "settled"),
    "only_garbage": ("settled", "settled"),
    "wrong_result_type": ("settled", "settled"),
    "other_request_id": ("settled", "settled"),
    "duplicate_answers": ("settled", "settled"),
    "result_is_a_list": ("settled", "settled"),
    "internal_unpaid": ("pending", "pending"),  # not paid, but INTERNAL does not say so: kept until expiry
    "ignore": ("pending", "pending"),
    "failed_with_escapes": ("failed", "failed"),
}

#: lookup_invoice faults, sent while a payment of ours is being reconciled.
LOOKUP_FAULTS = (
    "lookup_other_hash", "lookup_failed", "lookup_wrong_preimage", "lookup_escapes",
    "lookup_huge", "lookup_negative", "lookup_garbage", "lookup_bad_types",
)


class HostileWallet(WalletSimulator):
    def __init__(self, relay_url: str, **kwargs: Any) -> None:
        super().__init__(relay_url, **kwargs)
        self.faults: dict[str, list[str]] = {}
        self.injected: list[str] = []
        self.paid_hashes: list[str] = []  # every payment this wallet actually made, in order

    def fault(self, method: str, *names: str) -> HostileWallet:
        self.faults.setdefault(method, []).extend(names)
        return self

    # --- hooks into the simulator -----------------------------------------------------

    async def _handle(self, event: dict[str, Any]) -> None:
        method = self._peek(event)
        fault = self.faults[method].pop(0) if method and self.faults.get(method) else None
        _FAULT.set(fault)
        if fault == "ignore" and event["id"] not in self._seen:
            self._seen.add(event["id"])
            self.requests.append(method)  # it arrived; the wallet just does nothing with it
            self.injected.append(fault)
            return
        await super()._handle(event)

    def _peek(self, event: dict[str, Any]) -> str:
        from sovtui.nostr.events import tag_value

        if event["id"] in self._seen or event["pubkey"] != self.client_pubkey:
            return ""
        try:
            return str(json.loads(self._decrypt(event["content"], tag_value(event, "encryption") or "nip04")).get("method", ""))
        except (ValueError, AttributeError):
            return ""

    async def _do_pay_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        fault = _FAULT.get()
        if fault == "internal_unpaid":
            raise _Refusal("INTERNAL", "the node is restarting")
        if fault == "failed_with_escapes":
            raise _Refusal("PAYMENT_FAILED", f"no route{ESCAPES}to the payee")
        result = await super()._do_pay_invoice(params)
        from sovtui.wallet.bolt11 import decode

        self.paid_hashes.append(decode(params["invoice"]).payment_hash)
        return result

    async def _respond(self, request: dict[str, Any], scheme: str, method: str, *, result: Any = None,
                       error: tuple[str, str] | None = None) -> None:
        fault = _FAULT.get()
        if fault is None or fault in ("internal_unpaid", "failed_with_escapes"):
            if fault:
                self.injected.append(fault)
            await super()._respond(request, scheme, method, result=result, error=error)
            return
        self.injected.append(fault)
        tags = [["p", self.client_pubkey], ["e", request["id"]]]
        body: dict[str, Any] = {"result_type": method, "error": None, "result": result}
        if error:
            body = {"result_type": method, "error": {"code": error[0], "message": error[1]}, "result": None}
        handler = getattr(self, f"_fault_{fault}", None)
        if handler is not None:
            await handler(body, scheme, tags, request)
            return
        changed = self._change(fault, body, request)
        await self._send(json.dumps(changed), scheme, tags)

    # --- faults -------------------------------------------------------------------------

    def _change(self, fault: str, body: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        result = dict(body.get("result") or {})
        tx = self.transactions.get(result.get("payment_hash", ""), {})
        simple = {
            "wrong_preimage": lambda: result.update(preimage=os.urandom(32).hex()),
            "no_preimage": lambda: result.pop("preimage", None),
            "preimage_not_hex": lambda: result.update(preimage=ESCAPES + "zz" * 28),
            "preimage_surrogate": lambda: result.update(preimage="\ud800" * 64),
            "no_fees": lambda: result.pop("fees_paid", None),
            "negative_fees": lambda: result.update(fees_paid=-5_000_000),
            "nan_fees": lambda: result.update(fees_paid=float("nan")),
            "inf_fees": lambda: result.update(fees_paid=float("inf")),
            "huge_fees": lambda: result.update(fees_paid=10**30),
            "string_fees": lambda: result.update(fees_paid="1000"),
            "lookup_failed": lambda: result.update(state="failed"),
            "lookup_wrong_preimage": lambda: result.update(preimage=os.urandom(32).hex(), state="settled"),
            "lookup_escapes": lambda: result.update(description=ESCAPES + "\ud800 coffee", type=ESCAPES, state=ESCAPES),
            "lookup_huge": lambda: result.update(amount=10**30, created_at=10**20, settled_at=float("inf"), fees_paid=10**40),
            "lookup_negative": lambda: result.update(amount=-5_000, fees_paid=-1, created_at=-10),
            "lookup_bad_types": lambda: result.update(amount="lots", payment_hash=["x"], state=None, created_at="today"),
            "balance_negative": lambda: result.update(balance=-1_000),
            "balance_huge": lambda: result.update(balance=10**30),
            "balance_string": lambda: result.update(balance="100000"),
            "balance_nan": lambda: result.update(balance=float("nan")),
            "info_junk": lambda: result.update(methods=[1, None, {"x": 1}, ESCAPES + "pay_invoice", "get_balance", "list_transactions"],
                                               notifications="payment_received", alias=ESCAPES + "\ud800wallet",
                                               network=["regtest"], block_height="tall"),
            "list_junk": lambda: result.update(transactions=[*result.get("transactions", []), 5, "x", None, [],
                                                             {"amount": -1, "payment_hash": "cd" * 32, "type": "outgoing"},
                                                             {"amount": 10**30, "payment_hash": "ef" * 32, "type": ESCAPES,
                                                              "description": ESCAPES + "\ud800", "state": ESCAPES,
                                                              "created_at": 10**20, "fees_paid": float("nan")}]),
        }
        if fault in simple:
            simple[fault]()
            return {**body, "result": result}
        if fault == "lookup_other_hash":
            other = next((h for h in self.transactions if h != result.get("payment_hash")), "ab" * 32)
            return {**body, "result": {**result, "payment_hash": other, "state": "failed"}}
        if fault in ("internal_after_paying", "other_after_paying"):
            code = "INTERNAL" if fault.startswith("internal") else "OTHER"
            return {"result_type": body["result_type"], "error": {"code": code, "message": f"timeout talking to the node{ESCAPES}"}, "result": None}
        if fault == "error_as_string":
            return {"result_type": body["result_type"], "error": "something broke", "result": None}
        if fault == "error_without_code":
            return {"result_type": body["result_type"], "error": {"message": "   "}, "result": None}
        if fault == "result_is_a_list":
            return {**body, "result": [result]}
        raise AssertionError(f"unknown fault {fault}")

    async def _send(self, plaintext: str, scheme: str, tags: list[list[str]], *, raw: bool = False) -> None:
        assert self._pool is not None
        content = plaintext if raw else self._encrypt(plaintext, scheme)
        await self._pool.publish(sign_event(self.service_secret, 23195, content, tags))

    def _garbage(self, method: str) -> list[tuple[str, bool]]:
        """(content, raw): each is ignored by a careful client."""
        nested_result = '{"result_type": "%s", "error": null, "result": %s}' % (method, '{"a":' * 3000 + "1" + "}" * 3000)
        return [
            ("{not json", False),
            ("[]", False),
            ('"a string"', False),
            ("42", False),
            ("null", False),
            (DEEP, False),
            (nested_result, False),
            (json.dumps({"result_type": method, "result": None, "error": None}), False),
            (json.dumps({"result_type": 7, "result": {"preimage": "00" * 32}, "error": None}), False),
            (json.dumps({"result_type": method, "error": {"code": None, "message": None}, "result": None}), False),
            ("not encrypted at all?iv=AAAA", True),
            ("AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", True),
        ]

    async def _fault_garbage_then_answer(self, body: dict[str, Any], scheme: str, tags: list[list[str]], request: Any) -> None:
        for content, raw in self._garbage(body["result_type"]):
            await self._send(content, scheme, tags, raw=raw)
        await self._send(json.dumps(body), scheme, tags)

    async def _fault_only_garbage(self, body: dict[str, Any], scheme: str, tags: list[list[str]], request: Any) -> None:
        for content, raw in self._garbage(body["result_type"]):
            await self._send(content, scheme, tags, raw=raw)

    async def _fault_lookup_garbage(self, body: dict[str, Any], scheme: str, tags: list[list[str]], request: Any) -> None:
        await self._fault_only_garbage(body, scheme, tags, request)

    async def _fault_wrong_result_type(self, body: dict[str, Any], scheme: str, tags: list[list[str]], request: Any) -> None:
        await self._send(json.dumps({**body, "result_type": "get_balance"}), scheme, tags)
        await self._send(json.dumps({**body, "result_type": "make_invoice"}), scheme, tags)

    async def _fault_other_request_id(self, body: dict[str, Any], scheme: str, tags: list[list[str]], request: Any) -> None:
        await self._send(json.dumps(body), scheme, [["p", self.client_pubkey], ["e", "ab" * 32]])
        await self._send(json.dumps(body), scheme, [["p", self.client_pubkey]])  # no e tag at all

    async def _fault_duplicate_answers(self, body: dict[str, Any], scheme: str, tags: list[list[str]], request: Any) -> None:
        await self._send(json.dumps(body), scheme, tags)
        await self._send(json.dumps({"result_type": body["result_type"], "error": {"code": "PAYMENT_FAILED", "message": "no"}, "result": None}), scheme, tags)
        await self._send(json.dumps({**body, "result": {"preimage": os.urandom(32).hex(), "fees_paid": 0}}), scheme, tags)
