"""The TUI and doctor show whether an agent is being served over Nostr, and its last activity;
the conversation list marks a conversation held over Nostr."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone

from textual.widgets import Static

from sovtui.agent.serve_status import status_path
from sovtui.ui.widgets.conversation_list import NOSTR_MARK, ConversationItem, ConversationList
from tests.agent.test_agents_pane import connect_main
from tests.pilot_helpers import settle


def write_status(ctx, *, running: bool) -> None:  # type: ignore[no-untyped-def]
    path = status_path(ctx.paths.state_dir, "bot")
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    path.write_text(json.dumps({"pid": os.getpid(), "since": now - 3600, "last_activity": now - 60,
                                "stopped": None if running else now, "relays": ["ws://127.0.0.1:1"]}))


async def test_the_agents_pane_says_the_agent_is_served_and_its_last_activity(make_app, ctx, keys, book) -> None:
    connect_main(ctx)
    book.issue(keys, "me", "bot", 1_000, "day")
    write_status(ctx, running=True)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, press=["f5"])
        line = str(app.query_one("#agent-line", Static).render())
        assert "served over Nostr since" in line and "last activity" in line
        assert "1 served over Nostr" in str(app.query_one("#agents-state", Static).render())
        write_status(ctx, running=False)
        await settle(app, pilot, press=["g"])
        assert "not served now" in str(app.query_one("#agent-line", Static).render())


def test_doctor_reports_the_service(cli, ctx, ollama) -> None:
    write_status(ctx, running=True)
    result = cli("doctor")
    assert "agent bot: served over Nostr since" in result.stdout
    data = json.loads(cli("doctor", "--json").stdout)
    assert data["agent_services"][0]["name"] == "bot" and data["agent_services"][0]["running"]


def test_a_conversation_over_nostr_is_marked() -> None:
    listing = ConversationList()
    moment = datetime(2026, 3, 15, 10, 20, tzinfo=timezone.utc)
    listing.now = moment
    over_nostr = listing.entry(ConversationItem("a", "hello agent", moment, "llama3.1:8b", nostr_peer="ab" * 32))
    typed_here = listing.entry(ConversationItem("b", "hello", moment, "llama3.1:8b"))
    assert over_nostr.plain.splitlines()[1] == f"{NOSTR_MARK} 10:20 llama3.1:8b"
    assert typed_here.plain.splitlines()[1] == "10:20 llama3.1:8b"
