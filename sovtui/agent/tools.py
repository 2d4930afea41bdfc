"""The agent's tools: Alby's MCP wallet tools by name and arguments, plus its own key.

``TOOLS`` are Ollama ``tools`` schemas (also what an MCP server lists):
``get_info``, ``get_balance``, ``make_invoice {amount_in_sats, description?,
expiry?}``, ``pay_invoice {invoice, amount_in_sats?}``, ``lookup_invoice
{payment_hash? | invoice?}``, ``list_transactions {limit?, offset?, type?}``
(as Alby's MCP server names them, so prompts and habits carry over), and
``get_public_key``, ``sign_note {content, publish?}`` for the agent's key.
Amounts are in sats.

``Toolbox.call(name, arguments)`` runs one call through the same services
the CLI and the panes use (``WalletService``, ``KeyStore``, ``RelayPool``);
payments go through ``Guard`` (credential, budget, approval). It never
raises for what the model asked: a refusal or an error is the tool's result,
with the reason in words, so the model can explain it. Every call is written
to the agent's audit log, a cancelled one too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sovtui.agent.audit import AuditLog
from sovtui.agent.errors import Refused
from sovtui.agent.guard import Approver, Guard, check_credential
from sovtui.errors import SovtuiError
from sovtui.text import safe_line

if TYPE_CHECKING:
    from sovtui.agent.agents import Agent
    from sovtui.context import Context
    from sovtui.wallet.nwc import NwcClient, Transaction


def _tool(name: str, description: str, properties: dict[str, Any] | None = None, required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties or {}, "required": list(required)}}}


_SATS = {"type": "integer", "description": "an amount in sats (whole, at least 1)"}

#: Ollama's ``tools`` (OpenAI function schemas): what the model is offered.
TOOLS: list[dict[str, Any]] = [
    _tool("get_info", "Get information about the connected Lightning wallet (alias, network, methods)."),
    _tool("get_balance", "Get the balance of the connected Lightning wallet, in sats."),
    _tool("make_invoice", "Create a Lightning invoice to receive a payment.", {
        "amount_in_sats": {**_SATS, "description": "the amount to receive, in sats"},
        "description": {"type": "string", "description": "what the payer sees"},
        "expiry": {"type": "integer", "description": "seconds until the invoice expires (default 3600)"},
    }, ("amount_in_sats",)),
    _tool("pay_invoice", "Pay a Lightning invoice (BOLT11), within the limits the owner signed.", {
        "invoice": {"type": "string", "description": "the BOLT11 invoice to pay"},
        "amount_in_sats": {**_SATS, "description": "only for an invoice without an amount"},
    }, ("invoice",)),
    _tool("lookup_invoice", "Look up an invoice or payment by its payment hash or its BOLT11 invoice.", {
        "payment_hash": {"type": "string", "description": "64 hex characters"},
        "invoice": {"type": "string", "description": "the BOLT11 invoice"},
    }),
    _tool("list_transactions", "List the wallet's payments and invoices, newest first.", {
        "limit": {"type": "integer", "description": "how many (default 10)"},
        "offset": {"type": "integer", "description": "skip this many newest ones"},
        "type": {"type": "string", "enum": ["incoming", "outgoing"], "description": "only these"},
    }),
    _tool("get_public_key", "Get this agent's own Nostr public key (npub and hex)."),
    _tool("sign_note", "Sign a Nostr text note (kind 1) with this agent's key; publish it to the owner's relays only if asked.", {
        "content": {"type": "string", "description": "the note's text"},
        "publish": {"type": "boolean", "description": "publish to the configured relays (default false)"},
    }, ("content",)),
]
TOOL_NAMES = tuple(t["function"]["name"] for t in TOOLS)
#: Tools that need the wallet connection.
WALLET_TOOLS = frozenset(TOOL_NAMES[:6])


@dataclass(frozen=True)
class ToolResult:
    """What a tool call came to. ``content`` is what goes back to the model (JSON text)."""

    name: str
    arguments: dict[str, Any]
    outcome: str  # ok, refused, error, pending
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why refused, or the error
    rule: str = ""  # for a refusal: credential, budget, approval, invoice, wallet
    sats: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def content(self) -> str:
        if self.outcome == "refused":
            return json.dumps({"refused": True, "reason": self.reason})
        if self.outcome == "error":
            return json.dumps({"error": self.reason})
        return json.dumps(self.data)

    def summary(self) -> str:
        """One line a person reads (safe to show)."""
        if self.outcome == "refused":
            return safe_line(f"refused: {self.reason}")
        if self.outcome == "error":
            return safe_line(f"error: {self.reason}")
        if self.name == "pay_invoice":
            state = self.data.get("state", "")
            return safe_line(f"{state}: {self.sats:,} sats" + (f" ({self.data.get('message')})" if self.outcome == "pending" else ""))
        if self.name == "get_balance":
            return f"{self.data.get('balance_in_sats', 0):,} sats"
        if self.name == "make_invoice":
            return f"invoice for {self.sats:,} sats"
        if self.name == "sign_note":
            published = self.data.get("published_to") or []
            return safe_line(f"signed note {str(self.data.get('event', {}).get('id', ''))[:12]}…" + (f", published to {len(published)} relay(s)" if published else ""))
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.name, "arguments": self.arguments, "outcome": self.outcome, "reason": self.reason,
                "rule": self.rule, "sats": self.sats, "result": self.data}


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 24 else f"{text[:14]}…{text[-6:]}"


def describe_call(name: str, arguments: dict[str, Any]) -> str:
    """A tool call in one line a person reads: ``pay_invoice(invoice=lnbc10u1p3x…k2q9fz)`` (safe to show).

    Long values (an invoice, a note) are shortened to their start and end:
    enough to recognise, short enough for an 80-column line.
    """
    shown = ", ".join(f"{key}={_short(value)}" for key, value in arguments.items())
    return safe_line(f"{name}({shown})")


class _BadArguments(Exception):
    pass


def _int(arguments: dict[str, Any], name: str, *, required: bool = False, minimum: int = 1, default: int | None = None) -> int | None:
    value = arguments.get(name)
    if value is None:
        if required:
            raise _BadArguments(f"{name} is required")
        return default
    if isinstance(value, str) and value.strip().isdigit():  # small models often quote numbers
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _BadArguments(f"{name} is a whole number, at least {minimum}")
    return value


def _str(arguments: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = arguments.get(name)
    if value is None or value == "":
        if required:
            raise _BadArguments(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise _BadArguments(f"{name} is text")
    return value


def _tx(tx: Transaction) -> dict[str, Any]:
    return {"type": tx.type, "state": tx.state, "amount_in_sats": tx.amount_sat, "fees_paid_in_sats": tx.fees_paid_sat,
            "description": tx.description, "payment_hash": tx.payment_hash, "invoice": tx.invoice,
            "created_at": tx.created_at, "settled_at": tx.settled_at, "expires_at": tx.expires_at}


class Toolbox:
    """The tools of one agent for one exchange (or one MCP session); ``aclose()`` when done.

    The wallet connection is opened on the first wallet tool and kept for
    the rest; the vault must be unlocked for wallet tools and signing.
    """

    def __init__(self, ctx: Context, agent: str, *, approve: Approver | None = None, approve_under: int | None = None,
                 audit: AuditLog | None = None) -> None:
        self.ctx = ctx
        self.guard = Guard(ctx, agent, approve=approve, approve_under=approve_under)
        self.audit = audit or AuditLog.for_agent(ctx.paths.state_dir, agent)
        self._client: NwcClient | None = None
        self._wallet = ""

    @property
    def agent_name(self) -> str:
        return self.guard.agent_name

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def __aenter__(self) -> Toolbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _wallet_client(self, agent: Agent | None = None) -> tuple[str, NwcClient]:
        agent = agent or self.guard.agent()
        if not agent.wallet:
            raise Refused(f"{agent.name} has no wallet: {agent.wallet_problem}", rule="wallet")
        if self._client is None or self._wallet != agent.wallet:
            await self.aclose()
            client = self.guard.service.client(agent.wallet)
            await client.connect()
            self._client, self._wallet = client, agent.wallet
            # A payment a stopped or killed run left pending is looked up first (never sent again): its outcome
            # counts against the credential and the budget, and paying the same invoice again is refused.
            await self.guard.service.reconcile(client, agent.wallet)
        return self._wallet, self._client

    async def call(self, name: str, arguments: Any) -> ToolResult:
        """Run one tool call; never raises for what the model asked (a cancellation passes through, logged)."""
        arguments = dict(arguments) if isinstance(arguments, dict) else {}
        try:
            result = await self._run(name, arguments)
        except Refused as exc:
            result = ToolResult(name, arguments, "refused", reason=exc.reason, rule=exc.rule)
        except _BadArguments as exc:
            result = ToolResult(name, arguments, "error", reason=f"{name}: {exc}")
        except SovtuiError as exc:
            result = ToolResult(name, arguments, "error", reason=str(exc))
        except BaseException:  # cancelled (escape, ctrl+c) or a crash: say so in the log, then let it go on
            self.audit.append(name, arguments, "interrupted",
                              "stopped before the tool finished; a payment already sent stays pending in the ledger and is looked up, never sent again")
            raise
        self.audit.append(name, arguments, result.outcome, result.reason or result.summary(), result.sats,
                          **({"rule": result.rule} if result.rule else {}),
                          **({"payment_hash": result.data["payment_hash"]} if "payment_hash" in result.data else {}))
        return result

    async def _run(self, name: str, a: dict[str, Any]) -> ToolResult:
        if name not in TOOL_NAMES:
            raise _BadArguments(f"there is no such tool (tools: {', '.join(TOOL_NAMES)})")
        agent = self.guard.agent()  # read afresh: a credential revoked or expired stops every tool at once
        if agent.state != "live":
            check_credential(agent.name, agent.pubkey, [], 0, self.ctx)
        if name == "get_public_key":
            return ToolResult(name, a, "ok", {"npub": agent.npub, "pubkey": agent.pubkey})
        if name == "sign_note":
            return await self._sign_note(a)
        service = self.guard.service
        if name == "pay_invoice":
            invoice = _str(a, "invoice", required=True)
            amount = _int(a, "amount_in_sats")
            _, client = await self._wallet_client(agent)
            outcome = await self.guard.pay(client, invoice, amount, agent=agent)
            p = outcome.payment
            data = {"state": {"settled": "paid"}.get(p.state, p.state), "amount_in_sats": -(-p.amount_msat // 1000),
                    "payment_hash": p.payment_hash, "preimage": p.preimage,
                    "fees_paid_in_sats": None if p.fees_paid_msat is None else -(-p.fees_paid_msat // 1000)}
            if p.state != "settled":
                data["message"] = outcome.describe(with_preimage=False)
            state = "ok" if p.state == "settled" else "pending" if p.state in ("pending", "unproved") else "error"
            sats = -(-p.amount_msat // 1000)
            if state == "error":
                return ToolResult(name, a, "error", data, reason=outcome.describe(with_preimage=False))
            return ToolResult(name, a, state, data, sats=sats)
        wallet, client = await self._wallet_client(agent)
        if name == "get_info":
            info = await service.wallet_info(client)
            return ToolResult(name, a, "ok", {**info.to_dict(), "wallet": wallet, "agent": agent.name, "agent_npub": agent.npub})
        if name == "get_balance":
            balance = await client.get_balance()
            return ToolResult(name, a, "ok", {"balance_in_sats": balance // 1000, "balance_in_msats": balance})
        if name == "make_invoice":
            amount = _int(a, "amount_in_sats", required=True)
            expiry = _int(a, "expiry", default=3600)
            assert amount is not None and expiry is not None
            tx = await service.receive(client, amount, _str(a, "description"), expiry=expiry)
            return ToolResult(name, a, "ok", _tx(tx), sats=amount)
        if name == "lookup_invoice":
            payment_hash, invoice = _str(a, "payment_hash"), _str(a, "invoice")
            if not payment_hash and not invoice:
                raise _BadArguments("give payment_hash or invoice")
            if not payment_hash:
                from sovtui.wallet.bolt11 import InvoiceError, decode

                try:
                    payment_hash = decode(invoice.strip()).payment_hash
                except InvoiceError as exc:
                    raise _BadArguments(f"not a valid invoice: {exc}") from None
            tx = await service.lookup(client, wallet, payment_hash)
            return ToolResult(name, a, "ok", _tx(tx))
        # list_transactions
        limit = _int(a, "limit", default=10)
        offset = _int(a, "offset", minimum=0, default=0)
        kind = _str(a, "type")
        if kind not in ("", "incoming", "outgoing"):
            raise _BadArguments("type is incoming or outgoing")
        assert limit is not None and offset is not None
        found = await service.history(client, wallet, limit=min(limit, 100), offset=offset)
        items = [_tx(tx) for tx in found if not kind or tx.type == kind]
        return ToolResult(name, a, "ok", {"transactions": items, "total_count": len(items)})

    async def _sign_note(self, a: dict[str, Any]) -> ToolResult:
        from sovtui.identity.keys import KeyStore

        content = _str(a, "content", required=True)
        publish = a.get("publish", False)
        if not isinstance(publish, bool):
            raise _BadArguments("publish is true or false")
        event = KeyStore(self.ctx.vault).sign(self.agent_name, content, kind=1)
        data: dict[str, Any] = {"event": event}
        if publish:
            from sovtui.nostr.relay import RelayError, RelayPool

            relays = self.ctx.store.load().nostr.relays
            if not relays:
                return ToolResult("sign_note", a, "error", data, reason="signed, but not published: no relays are configured ([nostr] relays)")
            try:
                async with RelayPool(relays) as pool:
                    data["published_to"] = await pool.publish(event)
            except RelayError as exc:
                return ToolResult("sign_note", a, "error", data, reason=f"signed, but not published: {exc}")
        return ToolResult("sign_note", a, "ok", data)
