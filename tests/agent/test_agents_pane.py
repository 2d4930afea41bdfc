"""The Agents pane and the approval dialog, driven by keys: agents with what they spent and left, their actions, the lock."""

from __future__ import annotations

import json
import time

import pytest
from textual.widgets import DataTable, Static

from sovtui.agent.agents import load_agent
from sovtui.agent.audit import AuditLog
from sovtui.agent.guard import ApprovalRequest
from sovtui.config import WalletConfig
from sovtui.identity.keys import KeyStore
from sovtui.identity.vault import Vault
from sovtui.paths import Paths
from sovtui.ui.panes.agents import AgentsPane
from sovtui.ui.screens.approval import ApprovalScreen, ask_approval
from sovtui.ui.screens.text_view import TextViewScreen
from sovtui.wallet.bolt11 import Invoice
from sovtui.wallet.ledger import FAILED, SETTLED, Payment
from sovtui.wallet.service import Budget, PaymentPlan, WalletService
from tests.agent.conftest import PASSPHRASE
from tests.pilot_helpers import answer_text, settle, wait_for_screen, wait_until

T0 = 1_773_570_000  # 2026-03-15 10:20 UTC


def connect_main(ctx) -> None:  # type: ignore[no-untyped-def]
    """The wallet "main" in config.toml (nothing is sent to it here)."""

    def change(config) -> None:  # type: ignore[no-untyped-def]
        config.wallets["main"] = WalletConfig(wallet_pubkey="a" * 64, relays=["ws://127.0.0.1:1"], budget_sats=5_000, budget_period="day")

    ctx.update_config(change)


def paid(ctx, agent: str, sats: int, n: int, state: str = SETTLED) -> None:  # type: ignore[no-untyped-def]
    WalletService(ctx).ledger("main").begin(Payment(payment_hash=f"{n:064x}", invoice="", amount_msat=sats * 1000,
                                                     fee_reserve_msat=0, state=state, created_at=int(time.time()), agent=agent))


def write_actions(ctx, name: str) -> None:  # type: ignore[no-untyped-def]
    """Two actions at fixed times: a payment made, one refused over the limit."""
    log = AuditLog.for_agent(ctx.paths.state_dir, name)
    log.path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        {"time": T0, "agent": name, "tool": "pay_invoice", "arguments": {"invoice": "lnbcrt2u1pnxyzabcdefghijx3jtcq"},
         "outcome": "ok", "detail": "paid: 200 sats", "sats": 200},
        {"time": T0 + 300, "agent": name, "tool": "pay_invoice", "arguments": {"invoice": "lnbcrt9u1pnqrstuvwxyz0123ab4cd"},
         "outcome": "refused", "detail": "over the credential's limit: 800 of 1,000 sats left today, and this payment "
         "needs 910 sats with its fee reserve", "sats": 0},
    ]
    log.path.write_text("".join(json.dumps(line) + "\n" for line in lines))


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def rows(app, table_id: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    table = app.query_one(f"#{table_id}", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_agents_are_listed_with_what_they_spent_and_left_and_their_actions(make_app, ctx, keys, book) -> None:
    connect_main(ctx)
    book.issue(keys, "me", "bot", 1_000, "day")
    bot = keys.get("bot").pubkey
    paid(ctx, bot, 200, 1)
    paid(ctx, bot, 400, 2, FAILED)  # a failed payment takes nothing
    paid(ctx, "", 3_000, 3)  # the owner's own payment is not the agent's
    log = AuditLog.for_agent(ctx.paths.state_dir, "bot")
    log.append("get_balance", {}, "ok", "100,000 sats")
    log.append("pay_invoice", {"invoice": "lnbcrt2u1p" + "q" * 40, "amount_in_sats": 200}, "ok", "paid: 200 sats", 200)
    log.append("pay_invoice", {"invoice": "lnbcrt9u1p" + "z" * 40}, "refused", "the owner declined the payment")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, press=["f5"])
        assert app.active_pane == "agents"
        assert rows(app, "agents-table") == [["bot", "live", "me", "main", "1,000/day", "200", "800"]]
        actions = rows(app, "actions-table")
        assert [a[1] for a in actions] == ["pay_invoice", "pay_invoice", "get_balance"]  # newest first
        assert actions[0][4] == "refused: the owner declined the payment"
        assert actions[1][2:] == ["200 sats · lnbcrt2u1p…qqqqqq", "200", "paid: 200 sats"]
        line = str(app.query_one("#agent-line", Static).render())
        assert "expires in 30 days" in line and "asks before every payment" in line

        app.query_one("#actions-table", DataTable).focus()
        await pilot.press("down", "enter")
        await wait_for_screen(app, pilot, TextViewScreen)
        assert json.loads(app.screen.text)["detail"] == "paid: 200 sats"
        await pilot.press("escape")
        await pilot.pause()

        # A revocation elsewhere (the Keys pane, the CLI) shows on g: the agent stops, nothing is left.
        book.revoke(keys, book.all()[0][0])
        await settle(app, pilot, press=["g"])
        assert rows(app, "agents-table")[0][1] == "revoked" and rows(app, "agents-table")[0][6] == "0"


async def test_a_sovereignty_change_reads_the_agents_again(make_app, ctx, keys, book) -> None:
    connect_main(ctx)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, press=["f5"])
        assert rows(app, "agents-table")[0][1] == "none"
        book.issue(keys, "me", "bot", 1_000, "week")
        from sovtui.ui.messages import SovereigntyChanged

        app.query_one("#keys-pane").post_message(SovereigntyChanged())
        await wait_until(pilot, lambda: rows(app, "agents-table")[0][1] == "live", what="the new credential shown")
        assert rows(app, "agents-table")[0][4] == "1,000/week"


async def test_the_selected_agents_line_wraps_to_say_all_of_it_at_80_columns(make_app, ctx, keys, book) -> None:
    """No wallet connected: the line says how to connect one, and was cut off mid-sentence at one row."""
    book.issue(keys, "me", "bot", 1_000, "day")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, press=["f5"])
        line = app.query_one("#agent-line", Static)
        await wait_until(pilot, lambda: "sovtui wallet connect NAME" in str(line.render()), what="the agent's line")
        text = str(line.render())
        assert "asks before every payment" in text
        # Laid out a frame after it is written: wait for the layout, which never comes with one row.
        await wait_until(pilot, lambda: line.size.height >= 2, timeout=3, what="the line wrapped")
        assert line.size.height * line.size.width >= len(text)


async def test_a_locked_vault_says_so_and_unlocks(make_app, ctx, keys, book) -> None:
    connect_main(ctx)
    book.issue(keys, "me", "bot", 1_000, "day")
    ctx.vault.lock()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, press=["f5"])
        assert "The vault is locked: press u" in str(app.query_one("#agents-state", Static).render())
        assert not app.query_one("#agents-table", DataTable).display
        await pilot.press("u")
        await answer_text(app, pilot, PASSPHRASE)
        await wait_until(pilot, lambda: app.query_one("#agents-table", DataTable).row_count == 1, what="the agent listed")
        assert rows(app, "agents-table")[0][:2] == ["bot", "live"]


async def test_no_vault_says_where_agents_come_from(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, press=["f5"])
        assert "No vault yet" in str(app.query_one("#agents-state", Static).render())


# --- the approval dialog -------------------------------------------------------------


def approval_request(ctx) -> ApprovalRequest:  # type: ignore[no-untyped-def]
    """600 sats to a fixed payee, at a fixed time, for the agent "bot" (its credential as issued)."""
    invoice = Invoice(raw="lnbcrt6u1p" + "x" * 200, network="regtest", amount_msat=600_000, timestamp=T0, expiry=3600,
                      payment_hash="5e" * 32, payee="02" + "7b" * 32, description="coffee for the [b]team[/b]")
    plan = PaymentPlan("main", invoice, 600_000, 10_000, Budget(5_000, "day", 300))
    return ApprovalRequest(load_agent(ctx, "bot"), plan, 799, plan.budget)


@pytest.mark.parametrize(("keys_pressed", "approved"), [(["y"], True), (["n"], False), (["escape"], False),
                                                        (["enter"], False), (["right", "enter"], True)])
async def test_the_approval_dialog(make_app, ctx, keys, book, keys_pressed: list[str], approved: bool) -> None:
    connect_main(ctx)
    book.issue(keys, "me", "bot", 1_000, "day")
    request = approval_request(ctx)
    app = make_app()
    answers: list[bool] = []
    async with app.run_test(size=(80, 24)) as pilot:
        async def ask() -> None:
            answers.append(await ask_approval(app, request))

        app.run_worker(ask(), group="test-approval")
        await wait_for_screen(app, pilot, ApprovalScreen)
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "decline"  # enter alone never pays
        shown = str(app.screen.query_one("#approval-rows", Static).render())
        assert "coffee for the [b]team[/b]" in shown and "799 of 1,000 sats left today" in shown
        assert "300 of 5,000 sats spent this day, 4,700 left" in shown
        await pilot.press(*keys_pressed)
        await wait_until(pilot, lambda: answers, what="an answer")
        assert answers == [approved]


# --- snapshots ----------------------------------------------------------------------------

AGENT_HEX = "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683"


def seeded_agent(xdg: Paths, ctx) -> None:  # type: ignore[no-untyped-def]
    """Fixed keys (the Keys pane's snapshot's), a credential, a wallet, 200 sats paid, two actions."""
    from tests.identity.test_keys_pane import seeded_owner_and_agent

    seeded_owner_and_agent(xdg)
    vault = Vault(xdg.config_dir / "vault.json", log_n=4)
    vault.unlock("pw")
    from sovtui.agent.agents import credential_book

    credential_book(ctx).issue(KeyStore(vault), "me", "bot", 1_000, "day")
    connect_main(ctx)
    paid(ctx, KeyStore(vault).get("bot").pubkey, 200, 1)
    write_actions(ctx, "bot")
    ctx.vault.unlock("pw")


def test_agents_pane_snapshot(snap_compare, make_app, xdg: Paths, ctx, utc) -> None:  # type: ignore[no-untyped-def]
    seeded_agent(xdg, ctx)

    async def show(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot.app, pilot, press=["f5"])
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=show)


def test_approval_dialog_snapshot(snap_compare, make_app, xdg: Paths, ctx, utc) -> None:  # type: ignore[no-untyped-def]
    seeded_agent(xdg, ctx)
    request = approval_request(ctx)

    async def ask(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app

        async def worker() -> None:
            await ask_approval(app, request)

        app.run_worker(worker(), group="test-approval")
        await wait_for_screen(app, pilot, ApprovalScreen)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=ask)
