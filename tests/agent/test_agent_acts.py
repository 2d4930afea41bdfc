"""The agent acts, end to end: the Ollama emulator calls tools, the real test relay carries NWC, the wallet simulator pays.

Each test drives ``AgentRunner.exchange`` in-process, as the TUI will; the
CLI's own tests start real processes.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from sovtui.agent.agents import list_agents, load_agent
from sovtui.agent.audit import AuditLog
from sovtui.agent.errors import ToolsUnsupported
from sovtui.agent.runner import AgentRunner
from sovtui.chat.models import Conversation
from sovtui.chat.store import ConversationStore
from sovtui.identity.credentials import D_PREFIX, KIND
from sovtui.wallet.bolt11 import decode
from sovtui.wallet.ledger import PENDING, SETTLED
from tests.wallet.simulator import merchant_invoice


async def run(ctx, prompt: str, **kwargs: Any) -> tuple[list[Any], Conversation]:  # type: ignore[no-untyped-def]
    conversation = Conversation()
    runner = AgentRunner(ctx, "bot", **kwargs)
    events = [event async for event in runner.exchange(conversation, prompt)]
    return events, conversation


def results(events: list[Any]) -> list[Any]:
    return [e.result for e in events if e.kind == "tool_result"]


def pay(invoice: str) -> str:
    return "call pay_invoice " + json.dumps({"invoice": invoice})


async def yes(request) -> bool:  # type: ignore[no-untyped-def]
    yes.asked.append(request)  # type: ignore[attr-defined]
    return True


async def test_pays_within_the_limits_and_answers_with_the_results(ctx, agent_setup):
    sim = agent_setup["sim"]
    invoice, _ = merchant_invoice(200, "coffee for the bot")
    events, conversation = await run(ctx, f"call get_balance\n{pay(invoice)}")
    balance, paid = results(events)
    assert balance.outcome == "ok" and balance.data["balance_in_sats"] == 100_000
    assert paid.outcome == "ok" and paid.data["state"] == "paid" and paid.sats == 200
    assert sim.count("pay_invoice") == 1
    entry = agent_setup["service"].ledger("main").find(decode(invoice).payment_hash)
    assert entry.state == SETTLED and entry.agent == load_agent(ctx, "bot").pubkey
    # the model got the results back as role "tool" messages, and answered with them
    roles = [m.role for m in conversation.messages]
    assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert conversation.messages[2].tool_name == "get_balance"
    assert events[-1].kind == "done" and "paid" in events[-1].message.content
    sent = agent_setup["ollama"].requests[-1][1]["messages"]
    assert sent[-2]["tool_calls"][0]["function"]["name"] == "pay_invoice"
    # Ollama takes a result by the tool's name; the OpenAI API by the id of the call it answers
    assert sent[-1]["role"] == "tool"
    assert sent[-1].get("tool_name", "pay_invoice") == "pay_invoice"
    assert sent[-1].get("tool_call_id", None) == sent[-2]["tool_calls"][0].get("id", None)
    # listed with what it spent
    (row,) = list_agents(ctx)
    assert (row.agent.state, row.owner, row.agent.wallet, row.limit_sats, row.spent_sats, row.left_sats) == (
        "live", "me", "main", 1_000, 201, 799)
    # every call is in the audit log
    log = AuditLog.for_agent(ctx.paths.state_dir, "bot").read()
    assert [(e.tool, e.outcome) for e in log.entries] == [("get_balance", "ok"), ("pay_invoice", "ok")]
    assert log.entries[1].sats == 200 and log.damaged == []


async def test_refused_over_the_credentials_limit_and_the_model_is_told_why(ctx, agent_setup):
    yes.asked = []  # type: ignore[attr-defined]
    first, _ = merchant_invoice(700, "big")
    second, _ = merchant_invoice(300, "one more")
    events, conversation = await run(ctx, f"{pay(first)}\n{pay(second)}", approve=yes)
    ok, refused = results(events)
    assert ok.outcome == "ok" and len(yes.asked) == 1  # type: ignore[attr-defined]
    assert yes.asked[0].credential_left_sats == 1_000  # type: ignore[attr-defined]
    assert refused.outcome == "refused" and refused.rule == "credential"
    assert "over the credential's limit: 299 of 1,000 sats left today" in refused.reason  # 700 + 1 sat fee paid
    assert agent_setup["sim"].count("pay_invoice") == 1
    assert conversation.messages[-2].refused and "over the credential" in conversation.messages[-1].content


async def test_refused_over_the_wallets_budget(ctx, agent_setup):
    agent_setup["service"].set_budget("main", 300, "day")
    invoice, _ = merchant_invoice(400, "too much for the budget")
    events, _ = await run(ctx, pay(invoice), approve_under=10_000)
    (refused,) = results(events)
    assert refused.outcome == "refused" and refused.rule == "budget" and "budget" in refused.reason
    assert agent_setup["sim"].count("pay_invoice") == 0


async def test_refused_without_approval_and_when_the_owner_says_no(ctx, agent_setup):
    invoice, _ = merchant_invoice(600, "above the threshold")
    events, _ = await run(ctx, pay(invoice))  # nobody to ask
    (refused,) = results(events)
    assert refused.rule == "approval" and "nobody" in refused.reason

    async def no(request) -> bool:  # type: ignore[no-untyped-def]
        return False

    events, _ = await run(ctx, pay(invoice), approve=no)
    (declined,) = results(events)
    assert declined.rule == "approval" and "declined" in declined.reason
    assert agent_setup["sim"].count("pay_invoice") == 0
    # below the threshold nobody is asked
    small, _ = merchant_invoice(100, "small")
    events, _ = await run(ctx, pay(small))
    assert results(events)[0].outcome == "ok"


async def test_a_revoked_credential_stops_the_agent_at_once(ctx, agent_setup, book, keys):
    from sovtui.identity.credentials import parse

    book.revoke(keys, parse(agent_setup["credential"]))
    invoice, _ = merchant_invoice(10, "after revocation")
    events, _ = await run(ctx, f"call get_balance\n{pay(invoice)}")
    balance, paid = results(events)
    assert balance.outcome == paid.outcome == "refused"
    assert "revoked" in paid.reason and agent_setup["sim"].count("pay_invoice") == 0
    assert list_agents(ctx)[0].agent.state == "revoked"


async def test_an_expired_credential_is_refused(ctx, agent_setup, book, keys):
    bot = keys.get("bot")
    past = int(time.time()) - 60
    event = keys.sign("me", "expired", kind=KIND, tags=[
        ["d", D_PREFIX + bot.pubkey], ["p", bot.pubkey], ["limit", "1000", "sat", "day"],
        ["expiration", str(past)], ["t", "sovtui-credential"]])
    for path in book.folder.glob("*.json"):
        path.unlink()
    book.keep(event)
    invoice, _ = merchant_invoice(10, "after expiry")
    events, _ = await run(ctx, pay(invoice))
    (paid,) = results(events)
    assert paid.outcome == "refused" and "expired" in paid.reason
    assert agent_setup["sim"].count("pay_invoice") == 0


async def test_a_model_without_tools_gets_the_plain_message(ctx, agent_setup):
    with pytest.raises(ToolsUnsupported, match="cannot use tools"):
        await run(ctx, "call get_balance", model="llama3.2:1b")


async def test_a_conversation_with_tool_messages_saves_and_reloads(ctx, agent_setup):
    store = ConversationStore(ctx.paths)
    invoice, _ = merchant_invoice(50, "saved")
    conversation = Conversation()
    runner = AgentRunner(ctx, "bot", save=store.save)
    _ = [e async for e in runner.exchange(conversation, f"call get_balance\n{pay(invoice)}")]
    loaded = store.load(conversation.id)
    assert [m.to_request() for m in loaded.messages] == [m.to_request() for m in conversation.messages]
    assert loaded.messages[1].tool_calls == [{"function": {"name": "get_balance", "arguments": {}}}]
    assert loaded.messages[2].role == "tool" and loaded.messages[2].tool_name == "get_balance"
    # it continues: the reloaded conversation goes back to the model as Ollama expects
    _ = [e async for e in AgentRunner(ctx, "bot").exchange(loaded, "call get_public_key")]
    sent = agent_setup["ollama"].requests[-1][1]["messages"]
    assert [m["role"] for m in sent[1:7]] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]


async def test_stopping_mid_payment_leaves_it_pending_never_sent_twice(ctx, agent_setup):
    sim = agent_setup["sim"]
    sim.pay_delay = 3.0
    invoice, _ = merchant_invoice(100, "stopped")
    ledger = agent_setup["service"].ledger("main")
    payment_hash = decode(invoice).payment_hash

    async def consume() -> None:
        await run(ctx, pay(invoice))

    task = asyncio.create_task(consume())
    for _ in range(200):
        await asyncio.sleep(0.05)
        if ledger.find(payment_hash) is not None and sim.count("pay_invoice"):
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ledger.find(payment_hash).state == PENDING
    log = AuditLog.for_agent(ctx.paths.state_dir, "bot").read()
    assert log.entries[-1].outcome == "interrupted"
    sim.pay_delay = 0.0
    events, _ = await run(ctx, pay(invoice))
    (again,) = results(events)
    # the next run looked the payment up first (the wallet had paid it): settled, and not paid again
    assert sim.count("lookup_invoice") >= 1 and ledger.find(payment_hash).state == SETTLED
    assert again.outcome == "refused" and "already paid" in again.reason
    assert sim.count("pay_invoice") == 1
