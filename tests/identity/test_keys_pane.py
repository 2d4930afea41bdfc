"""The Keys pane driven by keys: create the vault, unlock, details, delete, idle lock."""

from __future__ import annotations

import json
import time

import pytest

from sovtui.identity.vault import Vault
from sovtui.paths import Paths
from sovtui.ui.panes.keys import KeysPane
from sovtui.ui.screens.dialogs import ConfirmDialog, TextDialog
from sovtui.ui.screens.key_details import KeyDetailsScreen
from tests.pilot_helpers import settle, wait_until

NSEC_HEX = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"
NPUB = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"


def seeded_vault(xdg: Paths, passphrase: str | None = "pw") -> None:
    vault = Vault(xdg.config_dir / "vault.json", log_n=4)
    vault.create(passphrase)
    vault.put_key("me", NSEC_HEX, role="owner", pubkey="7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e")
    data = json.loads(vault.path.read_text())
    data["keys"]["me"]["created"] = "2026-03-14T09:26:53+00:00"
    vault.path.write_text(json.dumps(data))


async def wait_for_screen(app, pilot, kind) -> None:  # type: ignore[no-untyped-def]
    """Wait for a dialog that a worker opens (the worker waits on it, so
    waiting for the workers would never return)."""
    for _ in range(100):
        if isinstance(app.screen, kind):
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{kind.__name__} never opened; the screen is {app.screen}")


async def type_into_dialog(app, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await wait_for_screen(app, pilot, TextDialog)
    await pilot.press(*text, "enter")
    await pilot.pause()


async def test_first_key_creates_a_protected_vault(make_app, xdg: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "n")
        await pilot.pause()
        await type_into_dialog(app, pilot, "secret words")
        await type_into_dialog(app, pilot, "secret words")
        from sovtui.ui.screens.dialogs import ChoiceDialog

        # The first key's label is filled in: enter takes "me" (a placeholder looked the same and made nothing).
        await wait_for_screen(app, pilot, TextDialog)
        assert app.screen.query_one("#text").value == "me"
        await pilot.press("enter")
        await wait_for_screen(app, pilot, ChoiceDialog)
        await pilot.press("enter")  # owner
        await settle(app, pilot)
        pane = app.query_one(KeysPane)
        assert [k.label for k in pane.rows] == ["me"]
    text = (xdg.config_dir / "vault.json").read_text()
    assert '"protected": true' in text and "ncryptsec1" in text and "secret words" not in text


async def test_a_blank_label_is_refused_aloud_and_the_new_vault_is_shown(make_app, xdg: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "n")
        await type_into_dialog(app, pilot, "secret words")
        await type_into_dialog(app, pilot, "secret words")
        await type_into_dialog(app, pilot, "  ")
        await wait_until(pilot, lambda: any("use letters" in str(n.message) for n in app._notifications), what="the refusal")
        pane = app.query_one(KeysPane)
        await wait_until(pilot, lambda: "vault unlocked" in str(pane.query_one("#vault-state").render()), what="the new vault shown")
        assert pane.rows == []
        await pilot.press("n")  # asked again, "me" filled in again: still no key
        await wait_for_screen(app, pilot, TextDialog)
        assert app.screen.query_one("#text").value == "me"
        await pilot.press("escape")
        await settle(app, pilot)
        assert "vault unlocked" in str(pane.query_one("#vault-state").render())


async def test_unlock_details_copy_and_lock(make_app, xdg: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded_vault(xdg)
    app = make_app()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "u")
        await pilot.pause()
        await type_into_dialog(app, pilot, "wrong")
        await settle(app, pilot)
        assert any("wrong passphrase" in str(n.message) for n in app._notifications)
        assert app.query_one(KeysPane).rows == []
        await pilot.press("u")
        await pilot.pause()
        await type_into_dialog(app, pilot, "pw")
        await settle(app, pilot)
        assert [k.npub for k in app.query_one(KeysPane).rows] == [NPUB]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, KeyDetailsScreen)
        await pilot.press("c", "escape")
        assert copied == [NPUB]
        await pilot.press("l")
        await pilot.pause()
        assert not app.ctx.vault.is_unlocked and app.query_one(KeysPane).rows == []


async def test_delete_needs_the_label_typed(make_app, xdg: Paths) -> None:
    seeded_vault(xdg, passphrase=None)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "u")
        await settle(app, pilot)
        await pilot.press("d")
        await wait_for_screen(app, pilot, ConfirmDialog)  # the delete worker opens it: one frame may be too soon
        await pilot.pause()  # and its input takes the focus on mount, before "m" is typed
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press(*"m", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # "m" is not "me"
        await pilot.press("e", "enter")
        await settle(app, pilot)
        assert app.query_one(KeysPane).rows == []
    assert Vault(xdg.config_dir / "vault.json").roles() == []


async def test_the_vault_locks_itself_when_idle(make_app, xdg: Paths) -> None:
    seeded_vault(xdg, passphrase=None)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "u")
        await settle(app, pilot)
        assert app.ctx.vault.is_unlocked
        app.last_activity = time.monotonic() - 16 * 60
        app.query_one(KeysPane)._idle_lock()
        assert not app.ctx.vault.is_unlocked


def test_keys_pane_snapshot(snap_compare, make_app, xdg: Paths) -> None:
    seeded_vault(xdg)

    async def unlock(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("f3", "u")
        # The unlock worker opens the passphrase dialog: "pw" typed a frame too soon would reach the pane.
        await type_into_dialog(pilot.app, pilot, "pw")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=unlock)


def test_key_details_snapshot(snap_compare, make_app, xdg: Paths) -> None:
    seeded_vault(xdg, passphrase=None)

    async def details(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("f3", "u")
        await settle(pilot.app, pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=details)


AGENT_HEX = "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683"


def seeded_owner_and_agent(xdg: Paths) -> None:
    """The owner key "me" and the agent key "bot", both with fixed keys and dates: a snapshot shows them as they are."""
    from sovtui.identity.keys import public_key_of

    seeded_vault(xdg)
    vault = Vault(xdg.config_dir / "vault.json", log_n=4)
    vault.unlock("pw")
    vault.put_key("bot", AGENT_HEX, role="agent", pubkey=public_key_of(AGENT_HEX))
    data = json.loads(vault.path.read_text())
    data["keys"]["bot"]["created"] = "2026-03-15T10:00:00+00:00"
    vault.path.write_text(json.dumps(data))


def test_keys_pane_with_an_owner_and_an_agent_snapshot(snap_compare, make_app, xdg: Paths) -> None:
    seeded_owner_and_agent(xdg)

    async def unlock(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("f3", "u")
        await type_into_dialog(pilot.app, pilot, "pw")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=unlock)
