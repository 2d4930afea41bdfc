"""A conversation given to an agent: in the chat service, in ``sovtui chat --agent``, and in the Chat pane.

The same agent as tests/agent/test_agent_acts.py (bot: 1,000 sats a day, asks
from 500 sats up), the emulator calling tools as the prompt says, the real
test relay and the wallet simulator.
"""

from __future__ import annotations

import json

import pytest

from sovtui.agent.errors import NoSuchAgent
from sovtui.chat.session import ChatSession
from sovtui.chat.store import ConversationStore
from sovtui.paths import Paths
from sovtui.ui.panes.chat import ChatPane
from sovtui.ui.screens.approval import ApprovalScreen
from sovtui.ui.screens.chat_options import ChatOptionsScreen
from sovtui.ui.widgets.chat_info import ChatInfo
from sovtui.ui.widgets.chat_input import ChatInput
from sovtui.ui.widgets.message import MessageWidget
from tests.agent.conftest import TOOLS_MODEL
from tests.pilot_helpers import settle, wait_for_screen, wait_until
from tests.wallet.simulator import merchant_invoice


def pay(invoice: str) -> str:
    return "call pay_invoice " + json.dumps({"invoice": invoice})


async def drain(stream) -> list:  # type: ignore[no-untyped-def]
    return [event async for event in stream]


# --- the service ----------------------------------------------------------------------


async def test_a_conversation_given_to_an_agent_calls_its_tools_and_keeps_them(ctx, agent_setup, xdg: Paths):
    session = ChatSession.new(ctx, agent="bot")
    invoice, _ = merchant_invoice(200, "coffee")
    events = await drain(session.send(f"call get_balance\n{pay(invoice)}"))
    kinds = [e.kind for e in events if e.kind not in ("content", "thinking")]
    assert kinds == ["tool_call", "tool_result", "tool_call", "tool_result", "finished", "done"]
    paid = [e.result for e in events if e.kind == "tool_result"][1]
    assert paid.outcome == "ok" and paid.sats == 200
    assert agent_setup["sim"].count("pay_invoice") == 1

    # kept on disk as Ollama wants it back, and continued from there after a reload
    saved = ConversationStore(xdg).load(session.conversation.id)
    assert saved.agent == "bot" and saved.model == TOOLS_MODEL
    assert [m.role for m in saved.messages] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert saved.messages[4].tool_name == "pay_invoice" and saved.messages[4].summary == "paid: 200 sats"
    again = ChatSession(ctx, saved)
    await drain(again.send("call get_balance"))
    sent = agent_setup["ollama"].requests[-1][1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant",
                                         "user", "assistant", "tool"]
    assert sent[5]["tool_name"] == "pay_invoice" and sent[4]["tool_calls"][0]["function"]["name"] == "pay_invoice"


async def test_taken_back_from_the_agent_the_tool_messages_still_go_to_the_model(ctx, agent_setup, xdg: Paths):
    session = ChatSession.new(ctx, agent="bot")
    await drain(session.send("call get_public_key"))
    settings = session.settings()
    settings.agent = ""
    session.configure(settings)
    request = session.request_messages()
    assert [m["role"] for m in request] == ["user", "assistant", "tool", "assistant"]
    assert request[1]["tool_calls"][0]["function"]["name"] == "get_public_key"
    assert request[2]["tool_name"] == "get_public_key"


async def test_a_payment_above_the_threshold_with_nobody_to_ask_is_refused(ctx, agent_setup):
    session = ChatSession.new(ctx, agent="bot")
    invoice, _ = merchant_invoice(600, "a bigger bill")
    events = await drain(session.send(pay(invoice)))
    (result,) = [e.result for e in events if e.kind == "tool_result"]
    assert result.outcome == "refused" and result.rule == "approval"
    assert agent_setup["sim"].count("pay_invoice") == 0
    assert session.conversation.messages[2].refused


def test_an_unknown_agent_is_refused_before_anything_changes(ctx, agent_setup):
    with pytest.raises(NoSuchAgent):
        ChatSession.new(ctx, agent="ghost")
    session = ChatSession.new(ctx)
    settings = session.settings()
    settings.agent = "ghost"
    with pytest.raises(NoSuchAgent):
        session.configure(settings)
    assert session.conversation.agent == ""


# --- sovtui chat --agent --------------------------------------------------------------


def test_cli_chat_with_an_agent_shows_each_call_and_continues(cli, agent_setup, xdg: Paths):
    invoice, _ = merchant_invoice(300, "a bill")
    result = cli("chat", "--agent", "bot", "--json", pay(invoice))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["agent"] == "bot" and data["model"] == TOOLS_MODEL
    assert [(c["tool"], c["outcome"], c["sats"]) for c in data["tool_calls"]] == [("pay_invoice", "ok", 300)]
    # continuing the saved conversation keeps the agent without naming it again
    more = cli("chat", "-c", data["conversation"], "call get_balance")
    assert more.returncode == 0, more.stderr
    assert "→ get_balance()" in more.stderr and "← get_balance: 99,699 sats" in more.stderr
    assert ConversationStore(xdg).load(data["conversation"]).agent == "bot"


def test_cli_chat_approve_under_pays_this_run_without_asking(cli, agent_setup):
    invoice, _ = merchant_invoice(600, "a bigger bill")
    refused = cli("chat", "--agent", "bot", pay(invoice))
    assert refused.returncode == 0 and "← pay_invoice: refused:" in refused.stderr
    paid = cli("chat", "--agent", "bot", "--approve-under", "700", pay(invoice))
    assert "← pay_invoice: paid: 600 sats" in paid.stderr, paid.stderr
    assert cli("chat", "--agent", "ghost", "hi").returncode != 0


# --- the Chat pane --------------------------------------------------------------------


def blocks(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(w.role, w.content) for w in app.query(MessageWidget)]


async def test_the_chat_pane_gives_a_conversation_to_an_agent_asks_and_shows_each_call(make_app, ctx, agent_setup, xdg: Paths):
    invoice, _ = merchant_invoice(600, "a bigger bill")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+o")
        await wait_for_screen(app, pilot, ChatOptionsScreen)
        # A new conversation: every field blank (this dialog once failed to open with a blank model).
        await pilot.press("enter", "down", "enter")  # the agent list is first: open it, choose bot
        await pilot.press("tab", "tab", "tab", "enter")  # to the temperature field; enter saves
        await settle(app, pilot)
        assert not isinstance(app.screen, ChatOptionsScreen)
        pane = app.query_one(ChatPane)
        assert pane.session.conversation.agent == "bot"
        assert str(app.query_one(ChatInfo).render()).startswith("agent bot · ")

        prompt = app.query_one(ChatInput)
        prompt.load_text(pay(invoice))
        prompt.focus()
        await pilot.press("enter")
        await wait_for_screen(app, pilot, ApprovalScreen)  # 600 sats: from 500 up, the owner is asked
        await pilot.press("y")
        await wait_until(pilot, lambda: pane.reply_worker is None and len(blocks(app)) == 4, what="the exchange")
        await settle(app, pilot)
        roles = [role for role, _ in blocks(app)]
        assert roles == ["user", "assistant", "tool", "assistant"]
        call, outcome = app.query(MessageWidget)[1], app.query(MessageWidget)[2]
        assert call.calls and call.calls[0].startswith("pay_invoice(invoice=lnbcrt6u")
        assert outcome.content == "paid: 600 sats" and not outcome.has_class("-refused")
        assert agent_setup["sim"].count("pay_invoice") == 1
        conversation_id = pane.session.conversation.id

        # opened again, the conversation shows the same blocks
        await pane.action_new()
        pane.open_conversation(conversation_id)
        await wait_until(pilot, lambda: len(blocks(app)) == 4, what="the conversation reopened")
        assert [role for role, _ in blocks(app)] == roles
        assert app.query(MessageWidget)[1].calls == call.calls
    assert ConversationStore(xdg).load(conversation_id).messages[2].summary == "paid: 600 sats"


def test_the_prompts_words_may_come_before_and_after_the_options(cli, agent_setup):
    """argparse alone rejected ``agent ask bot -m MODEL words`` ("unrecognized arguments")."""
    asked = cli("agent", "ask", "bot", "-m", TOOLS_MODEL, "call", "get_public_key")
    assert asked.returncode == 0, asked.stderr
    assert "→ get_public_key()" in asked.stderr
    chatted = cli("chat", "call", "--agent", "bot", "get_public_key")
    assert chatted.returncode == 0 and "→ get_public_key()" in chatted.stderr, chatted.stderr
    assert cli("models", "list", "surplus").returncode == 2  # still an error where no prompt is taken


def test_chats_list_names_the_agent_and_marks_nostr_conversations(cli, ctx, agent_setup, xdg: Paths):
    from sovtui.chat.models import Conversation, Message

    store = ConversationStore(xdg)
    store.save(Conversation(title="over nostr", agent="bot", nostr_peer="ab" * 32, messages=[Message("user", "hi")]))
    store.save(Conversation(title="typed here", messages=[Message("user", "hello")]))
    listed = {row["title"]: row for row in json.loads(cli("chats", "list", "--json").stdout)}
    assert (listed["over nostr"]["agent"], listed["over nostr"]["nostr_peer"]) == ("bot", "ab" * 32)
    assert (listed["typed here"]["agent"], listed["typed here"]["nostr_peer"]) == (None, None)
    table = cli("chats", "list").stdout
    assert "bot · nostr" in table


async def test_the_chat_pane_marks_a_conversation_held_over_nostr(make_app, xdg: Paths):
    from sovtui.chat.models import Conversation, Message
    from sovtui.ui.widgets.conversation_list import ConversationList

    store = ConversationStore(xdg)
    store.save(Conversation(title="over nostr", agent="bot", nostr_peer="ab" * 32, messages=[Message("user", "hi")]))
    store.save(Conversation(title="typed here", messages=[Message("user", "hello")]))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = app.query_one(ConversationList)
        await wait_until(pilot, lambda: len(listing.items) == 2, what="the list")
        assert {item.title: item.nostr_peer for item in listing.items} == {"over nostr": "ab" * 32, "typed here": ""}


async def test_the_settings_dialog_says_why_no_agent_can_be_chosen(make_app, ctx, ollama, monkeypatch, xdg: Paths):
    """No vault, or a locked one: the agent field says so and the rest of the dialog works."""
    from textual.widgets import Select

    from sovtui.identity.keys import KeyStore

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        await wait_for_screen(app, pilot, ChatOptionsScreen)
        field = app.screen.query_one("#agent", Select)
        assert field.disabled and app.screen.agents_note.startswith("no agent keys yet")
        await pilot.press("escape")
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    ctx.vault.create("a pass phrase")
    KeyStore(ctx.vault).generate("bot", "agent")
    ctx.vault.lock()
    async with make_app().run_test(size=(80, 24)) as pilot:
        app = pilot.app
        await pilot.press("ctrl+o")
        await wait_for_screen(app, pilot, ChatOptionsScreen)
        assert app.screen.agents_note.startswith("unlock your keys")
