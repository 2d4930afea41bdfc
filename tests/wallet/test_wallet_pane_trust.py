"""The Wallet pane under issue 14: a budget changed in another shell, and hostile text from an invoice or a wallet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.app import App

from sovtui.config import Config
from sovtui.context import Context
from sovtui.text import is_safe
from sovtui.ui.panes.wallet import WalletPane
from sovtui.ui.screens.dialogs import ConfirmDialog
from sovtui.wallet.service import WalletService
from sovtui.wallet.uri import parse_nwc_uri
from tests.pilot_helpers import answer_text, wait_for_screen, wait_until
from tests.wallet.hostile_wallet import ESCAPES, HostileWallet
from tests.relay_fixtures import RelayProcess
from tests.wallet.simulator import WalletSimulator, merchant_invoice
from tests.wallet.test_wallet_pane import open_wallet_pane


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)


@pytest.fixture
def hostile(relay: RelayProcess) -> Iterator[HostileWallet]:
    wallet = HostileWallet(relay.url).start()
    yield wallet
    wallet.stop()


def connected(ctx: Context, sim: WalletSimulator, budget: int = 10_000) -> None:
    ctx.vault.create("pw")
    WalletService(ctx).save("main", parse_nwc_uri(sim.uri), budget_sats=budget, network="regtest")


def text_of(app: App[object], selector: str) -> str:
    return str(app.query_one(selector).render())


async def test_a_budget_lowered_in_another_shell_holds_in_the_open_app(make_app, ctx, wallet_sim) -> None:
    connected(ctx, wallet_sim, budget=10_000)
    invoice, _ = merchant_invoice(600)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_wallet_pane(app, pilot)
        await wait_until(pilot, lambda: app.query_one(WalletPane).balance_msat is not None, what="the balance")
        assert "10,000" in text_of(app, "#wallet-budget")

        def lower(config: Config) -> None:
            config.wallets["main"].budget_sats = 500

        Context(ctx.paths).update_config(lower)  # `sovtui wallet budget main 500` from another SSH session
        await pilot.press("s")
        await answer_text(app, pilot, invoice)
        await wait_until(pilot, lambda: any("would pass your budget" in str(n.message) for n in app._notifications), what="the refusal")
        await wait_until(pilot, lambda: "of 500 sats" in text_of(app, "#wallet-budget"), what="the new budget shown")
    assert wallet_sim.count("pay_invoice") == 0


async def test_a_hostile_description_is_inert_in_the_confirmation(make_app, ctx, wallet_sim) -> None:
    connected(ctx, wallet_sim)
    invoice, _ = merchant_invoice(600, f"coffee{ESCAPES}amount: 1 sats")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_wallet_pane(app, pilot)
        await pilot.press("s")
        await answer_text(app, pilot, invoice)
        await wait_for_screen(app, pilot, ConfirmDialog)
        body = str(app.screen.body)
        assert is_safe(body) and "amount: 600 sats" in body
        await pilot.press("n")
    assert wallet_sim.count("pay_invoice") == 0


async def test_what_a_hostile_wallet_says_is_inert_in_the_pane(make_app, ctx, hostile) -> None:
    connected(ctx, hostile)
    bill, _ = merchant_invoice(100, f"tea{ESCAPES}")
    service = WalletService(ctx, timeout=3)
    async with service.client("main") as client:
        await service.pay(client, service.prepare_payment("main", bill))
    hostile.fault("get_info", "info_junk").fault("list_transactions", "list_junk")
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f4")
        pane = app.query_one(WalletPane)
        await wait_until(pilot, lambda: pane.balance_msat is not None, timeout=15, what="the balance")
        assert is_safe(text_of(app, "#wallet-title"), one_line=True)
        table = app.query_one("#wallet-history")
        cells = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
        assert cells and all(is_safe(cell, one_line=True) for cell in cells), cells
        assert any("tea" in cell for cell in cells)
        table.focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_for_screen(app, pilot, ConfirmDialog)
        assert is_safe(str(app.screen.body))


async def test_a_description_in_markup_is_shown_as_it_is(make_app, ctx, wallet_sim) -> None:
    """A DataTable parses a str cell as markup: "[/]" raised MarkupError and closed the app; [link] made a link."""
    connected(ctx, wallet_sim)
    described = "tea [/] [bold]x[/bold] [link=https://evil.example]y[/link]"
    service = WalletService(ctx, timeout=5)
    invoice, _ = merchant_invoice(100, described)
    async with service.client("main") as client:
        await service.pay(client, service.prepare_payment("main", invoice))
    app = make_app()
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.press("f4")
        pane = app.query_one(WalletPane)
        await wait_until(pilot, lambda: pane.transactions != [], what="the history")
        table = app.query_one("#wallet-history")
        assert str(table.get_row_at(0)[-1]) == described
        await pilot.pause()
        assert app.is_running
