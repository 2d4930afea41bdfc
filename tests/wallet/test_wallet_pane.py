"""The Wallet pane driven by keys, against the simulator over a real relay."""

from __future__ import annotations

import pytest
from textual.app import App

from sovtui.context import Context
from sovtui.ui.panes.wallet import WalletPane
from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog
from sovtui.ui.screens.invoice import InvoiceScreen
from sovtui.wallet.bolt11 import decode
from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri
from tests.pilot_helpers import answer_text, wait_for_screen, wait_until
from tests.wallet.simulator import WalletSimulator, merchant_invoice


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)


def connected(ctx: Context, sim: WalletSimulator, budget: int = 10_000) -> None:
    ctx.vault.create("pw")
    WalletService(ctx).save("main", parse_nwc_uri(sim.uri), budget_sats=budget, network="regtest")


def text_of(app: App[object], selector: str) -> str:
    return str(app.query_one(selector).render())


async def open_wallet_pane(app, pilot) -> WalletPane:  # type: ignore[no-untyped-def]
    """F4, then wait until the pane shows its wallet and holds the focus.

    The pane learns its wallet when first shown, and the focus follows the
    tab: a key pressed sooner finds no wallet, or goes to the chat prompt.
    F4 is pressed at once, as an impatient person would: the pane's focus is
    given at once too (``Pane.focus_default``), so nothing that lands later
    (the screen's first auto-focus) can pull the tab back to the Chat pane.
    """
    await pilot.press("f4")

    def ready() -> bool:
        panes = app.query(WalletPane)
        return bool(panes) and panes.first().wallet is not None and app.focused is not None and panes.first() in app.focused.ancestors_with_self

    try:
        await wait_until(pilot, ready, what="the wallet pane, shown and focused")
    except AssertionError as exc:
        panes = app.query(WalletPane)
        raise AssertionError(f"{exc}: the pane {app.active_pane!r} is on screen, {app.focused!r} has the focus, "
                             f"the wallet pane shows {panes.first().wallet if panes else 'nothing (not built)'!r}") from None
    return app.query_one(WalletPane)


async def test_connect_by_pasting_the_uri(make_app, ctx, wallet_sim) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        # F4 waits for the pane lock while the idle builder holds it: the pane may come a frame later.
        await wait_until(pilot, lambda: bool(app.query("#wallet-title")) and "No wallet connected" in text_of(app, "#wallet-title"), what="the empty wallet pane")
        assert "No wallet connected" in text_of(app, "#wallet-title")
        await pilot.press("c")
        await answer_text(app, pilot, wallet_sim.uri)
        await answer_text(app, pilot, "main")
        await answer_text(app, pilot, "5000")
        await wait_for_screen(app, pilot, ChoiceDialog)
        await pilot.press("enter")  # per day
        await wait_for_screen(app, pilot, ConfirmDialog)
        assert "simwallet on regtest, balance 100,000 sats" in str(app.screen.body)
        await pilot.press("y")
        await answer_text(app, pilot, "vault words")  # a new vault: choose a passphrase
        await answer_text(app, pilot, "vault words")
        await wait_until(pilot, lambda: app.query_one(WalletPane).balance_msat is not None, what="the balance")
        assert text_of(app, "#wallet-balance") == "Balance: 100,000 sats"
        assert text_of(app, "#wallet-budget") == "Budget: 0 of 5,000 sats spent this day, 5,000 left"
        assert "simwallet on regtest · nip44_v2" in text_of(app, "#wallet-title")
    assert ctx.reload().wallets["main"].budget_sats == 5000
    assert wallet_sim.client_secret not in ctx.paths.config_file.read_text()


async def test_send_shows_the_decoded_invoice_and_pays_once(make_app, ctx, wallet_sim) -> None:
    connected(ctx, wallet_sim)
    invoice, _ = merchant_invoice(1_200, "two coffees")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wallet_pane(app, pilot)
        await wait_until(pilot, lambda: app.query_one(WalletPane).balance_msat is not None, what="the balance")
        await pilot.press("s")
        await answer_text(app, pilot, invoice)
        await wait_for_screen(app, pilot, ConfirmDialog)
        body = str(app.screen.body)
        assert "amount: 1,200 sats" in body and "description: two coffees" in body and "network: regtest" in body
        await pilot.press("y")
        await wait_until(pilot, lambda: wallet_sim.count("pay_invoice") == 1, what="the payment")
        await wait_until(pilot, lambda: app.query_one(WalletPane).balance_msat == 100_000_000 - 1_201_000, what="the new balance")
        assert any("paid 1,200 sats" in str(n.message) for n in app._notifications)
        await pilot.press("s")
        await answer_text(app, pilot, invoice)
        await wait_until(pilot, lambda: any("already paid" in str(n.message) for n in app._notifications), what="the refusal")
        assert wallet_sim.count("pay_invoice") == 1
        pane = app.query_one(WalletPane)
        assert [(t.type, t.amount_sat) for t in pane.transactions] == [("outgoing", 1_200)]


async def test_declining_the_confirmation_pays_nothing(make_app, ctx, wallet_sim) -> None:
    connected(ctx, wallet_sim)
    invoice, _ = merchant_invoice(300)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wallet_pane(app, pilot)
        await pilot.press("s")
        await answer_text(app, pilot, invoice)
        await wait_for_screen(app, pilot, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause(0.3)
    assert wallet_sim.count("pay_invoice") == 0
    assert WalletService(ctx).ledger("main").find(decode(invoice).payment_hash) is None


async def test_over_budget_is_refused_in_the_pane(make_app, ctx, wallet_sim) -> None:
    connected(ctx, wallet_sim, budget=1_000)
    invoice, _ = merchant_invoice(2_000)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wallet_pane(app, pilot)
        await pilot.press("s")
        await answer_text(app, pilot, invoice)
        await wait_until(pilot, lambda: any("would pass your budget" in str(n.message) for n in app._notifications), what="the refusal")
    assert wallet_sim.count("pay_invoice") == 0


async def test_receive_shows_the_qr_and_turns_paid(make_app, ctx, wallet_sim) -> None:
    connected(ctx, wallet_sim)
    app = make_app()
    async with app.run_test(size=(100, 60)) as pilot:
        await open_wallet_pane(app, pilot)
        await pilot.press("r")
        await answer_text(app, pilot, "2100")
        await answer_text(app, pilot, "thanks")
        await wait_for_screen(app, pilot, InvoiceScreen)
        screen = app.screen
        assert decode(screen.tx.invoice).amount_msat == 2_100_000
        assert "█" in str(screen.query_one("#qr").render())
        await pilot.pause(0.3)
        import asyncio

        await asyncio.to_thread(wallet_sim.pay_from_outside, screen.tx.invoice)
        await wait_until(pilot, lambda: screen.paid, what="the invoice to turn paid")
        assert "PAID" in str(screen.query_one("#invoice-state").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.query_one(WalletPane).balance_msat == 102_100_000, what="the new balance")


@pytest.mark.usefixtures("short_connect_timeout")
async def test_an_unreachable_relay_is_a_message_not_a_crash(make_app, ctx, wallet_sim, relay) -> None:
    connected(ctx, wallet_sim)
    wallet_sim.stop()
    relay.stop()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await wait_until(pilot, lambda: bool(app.query("#wallet-status")) and "could not reach any relay" in text_of(app, "#wallet-status"),
                         timeout=15, what="the message")  # the pane itself may come a frame after F4
        assert "g tries again" in text_of(app, "#wallet-status")


async def test_the_balance_can_be_hidden(make_app, ctx, wallet_sim) -> None:
    connected(ctx, wallet_sim)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wallet_pane(app, pilot)
        await wait_until(pilot, lambda: app.query_one(WalletPane).balance_msat is not None, what="the balance")
        await pilot.press("h")
        assert text_of(app, "#wallet-balance") == "Balance: ••••• sats (h shows)"


async def test_an_invoice_without_an_amount_asks_for_one(make_app, ctx, wallet_sim) -> None:
    connected(ctx, wallet_sim)
    invoice, _ = merchant_invoice(None, "pay what you like")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wallet_pane(app, pilot)
        await pilot.press("s")
        await answer_text(app, pilot, invoice)
        await answer_text(app, pilot, "321")  # "The invoice has no amount: how many sats?"
        await wait_for_screen(app, pilot, ConfirmDialog)
        assert "amount: 321 sats" in str(app.screen.body)
        await pilot.press("y")
        await wait_until(pilot, lambda: wallet_sim.count("pay_invoice") == 1, what="the payment")
    paid = WalletService(ctx).ledger("main").find(decode(invoice).payment_hash)
    assert paid is not None and paid.amount_msat == 321_000


async def test_a_settled_payment_shows_its_invoice_description(make_app, ctx, wallet_sim) -> None:
    """The wallet lists the payment without a description; the history shows the invoice's, at 80x24."""
    connected(ctx, wallet_sim)
    wallet_sim.describes = False
    invoice, _ = merchant_invoice(1_200, "two coffees")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wallet_pane(app, pilot)
        await wait_until(pilot, lambda: app.query_one(WalletPane).balance_msat is not None, what="the balance")
        await pilot.press("s")
        await answer_text(app, pilot, invoice)
        await wait_for_screen(app, pilot, ConfirmDialog)
        await pilot.press("y")
        pane = app.query_one(WalletPane)
        await wait_until(pilot, lambda: pane.transactions and pane.transactions[0].state == "settled", what="the payment in the history")
        table = app.query_one("#wallet-history")
        assert [str(cell) for cell in table.get_row_at(0)][1:] == ["out", "−1,200", "settled", "two coffees"]
        table.focus()
        await pilot.press("enter")
        await wait_for_screen(app, pilot, ConfirmDialog)
        assert "description: two coffees" in str(app.screen.body)
