"""What the vault refuses: planted plain text, a passphrase file others can read, secrets copied unasked.

And in the TUI: a vault whose passphrase another sovtui changed is asked for
again, never written under the old one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sovtui.identity import nip19
from sovtui.identity.vault import Vault, VaultError, WrongPassphrase
from sovtui.paths import Paths
from sovtui.ui.panes.keys import KeysPane
from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
from sovtui.ui.screens.text_view import TextViewScreen
from tests.identity.test_keys_pane import NSEC_HEX, seeded_vault
from tests.pilot_helpers import answer_text, settle, wait_for_screen, wait_until

PLANTED_HEX = "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683"
PLANTED_PUB = "672a31bfc59d3f04548ec9b7daeeba2f61814e8ccc40448045007f5479f693a3"
NWC = "nostr+walletconnect://b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4?relay=wss%3A%2F%2Frelay.example&secret=71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"
PASS = {"SOVTUI_PASSPHRASE": "pw"}


def plant(path: Path, *, key: bool = True) -> None:
    """What someone with write access to the file (not the passphrase) can add."""
    data = json.loads(path.read_text())
    if key:
        data["keys"]["evil"] = {"role": "owner", "pubkey": PLANTED_PUB, "created": "2026-01-01T00:00:00+00:00", "hex": PLANTED_HEX}
    else:
        data["secrets"]["nwc:alby"] = {"plain": NWC}
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("key", [True, False], ids=["key", "secret"])
def test_a_protected_vault_refuses_plain_text_entries(tmp_path: Path, key: bool) -> None:
    vault = Vault(tmp_path / "vault.json", log_n=4)
    vault.create("pw")
    vault.put_key("me", NSEC_HEX, role="owner", pubkey="7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e")
    plant(vault.path, key=key)
    before = vault.path.read_bytes()
    vault.lock()
    vault.unlock("pw")
    reads = [vault.keys, vault.list_secrets, lambda: vault.secret_key("evil" if key else "me"), lambda: vault.get_secret("nwc:alby")]
    for read in reads:
        with pytest.raises(VaultError, match="plain text") as caught:
            read()
        message = str(caught.value)
        assert str(vault.path) in message and "\n" not in message
        assert PLANTED_HEX not in message and NWC not in message
    with pytest.raises(VaultError, match="plain text"):
        vault.put_secret("nwc:other", NWC)
    assert vault.path.read_bytes() == before
    assert vault.roles().count("owner") == 1, "a planted owner key does not count"


def test_a_planted_key_is_refused_by_the_cli_and_can_be_removed(cli, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(xdg)
    plant(xdg.config_dir / "vault.json")
    listed = cli("keys", "list", env=PASS)
    assert listed.returncode != 0
    assert "plain text" in listed.stderr and len(listed.stderr.strip().splitlines()) == 1, listed.stderr
    exported = cli("keys", "export", "evil", "--nsec", env=PASS)
    assert exported.returncode != 0 and nip19.hex_to_nsec(PLANTED_HEX) not in exported.stdout
    removed = cli("keys", "rm", "evil", "--confirm", "evil", env=PASS)
    assert removed.returncode == 0, removed.stderr
    assert cli("keys", "list", env=PASS).returncode == 0


def test_a_passphrase_file_others_can_read_is_refused(cli, xdg: Paths, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(xdg)
    secret_file = tmp_path / "passphrase"
    secret_file.write_text("pw\n")
    for mode in (0o644, 0o640, 0o604):
        os.chmod(secret_file, mode)
        result = cli("keys", "list", "--passphrase-file", str(secret_file))
        assert result.returncode != 0, oct(mode)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(secret_file) in lines[0] and "chmod 600" in lines[0], result.stderr
    os.chmod(secret_file, 0o600)
    result = cli("keys", "list", "--passphrase-file", str(secret_file))
    assert result.returncode == 0, result.stderr
    assert "me" in result.stdout


async def test_an_nsec_export_is_shown_and_copied_only_when_asked(make_app, xdg: Paths, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(xdg)
    app = make_app()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    nsec = nip19.hex_to_nsec(NSEC_HEX)
    async with app.run_test(size=(80, 24)) as pilot:
        app.ctx.vault.unlock("pw")
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("x")
        await wait_for_screen(app, pilot, ChoiceDialog)
        await pilot.press("down", "down", "enter")  # nsec
        await wait_for_screen(app, pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_for_screen(app, pilot, TextViewScreen)
        assert app.screen.text == nsec
        assert copied == [], "the secret key went to the clipboard unasked"
        await pilot.press("c")
        assert copied == [nsec]
        await pilot.press("escape")


async def test_the_tui_asks_again_after_another_sovtui_changed_the_passphrase(make_app, xdg: Paths, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    seeded_vault(xdg)
    path = xdg.config_dir / "vault.json"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.ctx.vault.unlock("pw")
        await pilot.press("f3")
        await settle(app, pilot)
        pane = app.query_one(KeysPane)
        assert [k.label for k in pane.rows] == ["me"]

        Vault(path, log_n=4).change_passphrase("pw", "changed elsewhere")  # another SSH session

        await pilot.press("n")
        await wait_for_screen(app, pilot, TextDialog)
        assert "passphrase" in app.screen.title_text.lower()
        await answer_text(app, pilot, "pw")  # the old one no longer opens it
        await wait_until(pilot, lambda: any("wrong passphrase" in str(n.message) for n in app._notifications), what="the refusal")
        await pilot.press("n")
        await answer_text(app, pilot, "changed elsewhere")
        await answer_text(app, pilot, "second")
        await wait_for_screen(app, pilot, ChoiceDialog)
        await pilot.press("enter")
        await wait_until(pilot, lambda: [k.label for k in pane.rows] == ["me", "second"], what="the new key")
    with pytest.raises(WrongPassphrase):
        Vault(path).unlock("pw")
    fresh = Vault(path)
    fresh.unlock("changed elsewhere")
    assert sorted(fresh.keys()) == ["me", "second"]


async def test_the_keys_pane_shows_a_key_made_in_another_shell(make_app, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(xdg)
    path = xdg.config_dir / "vault.json"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.ctx.vault.unlock("pw")
        await pilot.press("f3")
        await settle(app, pilot)
        other = Vault(path, log_n=4)
        other.unlock("pw")
        other.put_key("elsewhere", PLANTED_HEX, role="agent", pubkey=PLANTED_PUB)
        pane = app.query_one(KeysPane)
        pane.refresh_view()
        assert [k.label for k in pane.rows] == ["elsewhere", "me"]
        other.change_passphrase("pw", "new words")
        pane.refresh_view()  # must not crash: the vault locks and says why
        await settle(app, pilot)
        assert pane.rows == [] and not app.ctx.vault.is_unlocked
        assert "another sovtui" in str(pane.query_one("#keys-hint").render()) or any("another sovtui" in str(n.message) for n in app._notifications)
