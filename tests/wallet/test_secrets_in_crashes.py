"""Finding 5 of issue 14: the NWC secret never reaches a crash report.

A wallet pubkey that is 64 hex but no point on the curve used to pass URI
parsing; the first request then raised a raw ValueError in the NIP-44 code,
which escaped the Wallet pane, and Textual's crash report printed every
frame's locals, the connection secret among them. Now the URI parser checks
the point and the scalar, every crypto error on the NWC path is a
WalletError, and the app's crash report never prints locals.
"""

from __future__ import annotations

import asyncio

import pytest

from sovtui.config import Config
from sovtui.context import Context
from sovtui.wallet.errors import NwcUriError, WalletError
from sovtui.wallet.nwc import NwcClient
from sovtui.wallet.service import SECRET_PREFIX, WalletService
from sovtui.wallet.uri import NwcUri, parse_nwc_uri
from tests.pilot_helpers import wait_until
from tests.wallet.simulator import random_key

#: x = 5 is not the x coordinate of any point on secp256k1.
OFF_CURVE = "00" * 31 + "05"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)


def test_a_pubkey_off_the_curve_is_refused_when_parsing():
    secret = random_key()
    with pytest.raises(NwcUriError, match="not a valid public key") as caught:
        parse_nwc_uri(f"nostr+walletconnect://{OFF_CURVE}?relay=wss://r.example&secret={secret}")
    assert secret not in str(caught.value)


@pytest.mark.parametrize("secret", ["00" * 32, "ff" * 32, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"])
def test_a_secret_that_is_no_private_key_is_refused(secret):
    pub = "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4"
    with pytest.raises(NwcUriError, match="secret is not a valid"):
        parse_nwc_uri(f"nostr+walletconnect://{pub}?relay=wss://r.example&secret={secret}")


async def test_a_crypto_error_on_the_nwc_path_is_a_wallet_error(relay):
    # Built by hand, as an older sovtui may have stored it: the parser would refuse it now.
    uri = NwcUri(OFF_CURVE, (relay.url,), random_key())
    async with NwcClient(uri, timeout=1.0) as client:
        with pytest.raises(WalletError, match="connect it again") as caught:
            await client.get_balance()
    assert uri.secret not in str(caught.value)
    assert client._open({"content": "AgAAAA" * 30}) is None


def test_a_broken_secret_is_a_wallet_error_too():
    with pytest.raises(WalletError):
        NwcClient(NwcUri("b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4", ("ws://127.0.0.1:1",), "zz" * 32))


def store_off_curve_wallet(ctx: Context, relay_url: str) -> str:
    """What a vault written before the fix holds: the URI with the bad key, and its config."""
    from sovtui.config import WalletConfig

    secret = random_key()
    ctx.vault.create("pw")
    ctx.vault.put_secret(SECRET_PREFIX + "main", f"nostr+walletconnect://{OFF_CURVE}?relay={relay_url}&secret={secret}")

    def change(config: Config) -> None:
        config.wallets["main"] = WalletConfig(wallet_pubkey=OFF_CURVE, relays=[relay_url], budget_sats=1000)

    ctx.update_config(change)
    return secret


async def test_the_wallet_pane_shows_a_bad_stored_uri_as_a_message(make_app, ctx, relay) -> None:
    from sovtui.ui.panes.wallet import WalletPane

    secret = store_off_curve_wallet(ctx, relay.url)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await wait_until(pilot, lambda: app.query_one(WalletPane).error is not None, timeout=15, what="the message")
        status = str(app.query_one("#wallet-status").render())
        assert "connect it again" in status and secret not in status
    assert app.return_code in (0, None)


async def test_a_bug_in_a_wallet_worker_ends_the_worker_not_the_app(make_app, ctx, wallet_sim, capsys, monkeypatch) -> None:
    """The pane's workers run with exit_on_error=False: an unforeseen error stops that piece of work, quietly."""
    from sovtui.ui.panes.wallet import WalletPane

    ctx.vault.create("pw")
    WalletService(ctx).save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=1000, network="regtest")
    crashed = []

    async def crash(self: NwcClient) -> int:
        secret = self.uri.secret  # a frame holding the secret, as the NIP-44 code's did
        crashed.append(True)
        raise RuntimeError(f"an unforeseen failure ({len(secret)})")

    monkeypatch.setattr(NwcClient, "get_balance", crash)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await wait_until(pilot, lambda: bool(crashed), what="the bug")
        await pilot.pause(0.5)
        assert app.is_running and app.query_one(WalletPane).is_attached  # the app goes on
        await pilot.press("h")  # and its keys still work
        assert "h shows" in str(app.query_one("#wallet-balance").render())
    printed = "".join(capsys.readouterr())
    assert wallet_sim.client_secret[:12] not in printed


async def test_the_crash_report_never_prints_locals(make_app, ctx, wallet_sim, capsys, monkeypatch) -> None:
    """Whatever escapes to the app, the report shows where, never the values of the frames (the secret among them)."""
    from sovtui.ui.panes.wallet import WalletPane

    ctx.vault.create("pw")
    WalletService(ctx).save("main", parse_nwc_uri(wallet_sim.uri), budget_sats=1000, network="regtest")

    def crash(self: WalletPane) -> None:
        secret = self.service().uri_of("main").secret  # a frame holding the secret
        raise RuntimeError(f"an unforeseen failure ({len(secret)})")

    monkeypatch.setattr(WalletPane, "render_view", crash)
    app = make_app()
    with pytest.raises(Exception, match="unforeseen"):
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("f4")
            for _ in range(100):  # up to 5 s: the crash ends the app, with code 1
                if app.return_code is not None:
                    break
                await asyncio.sleep(0.05)
    report = capsys.readouterr()
    printed = report.out + report.err
    assert "unforeseen failure" in printed  # the crash was reported ...
    # ... without the secret: not even the start of it (a report box may cut a long value)
    assert wallet_sim.client_secret[:12] not in printed
    assert "locals" not in printed.lower()
