"""The Keys pane's other actions: sign and verify, agent credentials, a new passphrase, a seed phrase."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, TextArea

from sovtui.identity.credentials import CredentialBook
from sovtui.identity.vault import Vault
from sovtui.paths import Paths
from sovtui.ui.panes.keys import KeysPane
from sovtui.ui.screens.credentials import CredentialsScreen
from sovtui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, PasteDialog
from sovtui.ui.screens.text_view import TextViewScreen
from tests.identity.test_keys_pane import NPUB, NSEC_HEX, seeded_vault
from tests.pilot_helpers import answer_text, settle, wait_for_screen, wait_until

AGENT_HEX = "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683"


def notes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


async def open_keys(app, pilot) -> KeysPane:  # type: ignore[no-untyped-def]
    app.ctx.vault.unlock("pw")
    await pilot.press("f3")
    await settle(app, pilot)
    return app.query_one(KeysPane)


async def paste(app, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await wait_for_screen(app, pilot, PasteDialog)
    app.screen.query_one(TextArea).text = text
    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_sign_shows_the_event_and_verify_names_the_signer(make_app, xdg: Paths, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(xdg)
    app = make_app()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(app, pilot)
        await pilot.press("s")
        await answer_text(app, pilot, "I wrote this")
        await wait_for_screen(app, pilot, TextViewScreen)
        await pilot.press("c", "escape")
        event = json.loads(copied[0])
        assert event["content"] == "I wrote this" and event["kind"] == 1 and len(event["sig"]) == 128
        assert all(NSEC_HEX not in n for n in notes(app)), "signing shows the event, never the secret key"

        await pilot.press("v")
        await paste(app, pilot, json.dumps(event, indent=2))  # several lines, as a user would paste it
        await wait_until(pilot, lambda: any(n.startswith("valid: signed by") for n in notes(app)), what="the verdict")
        assert f"valid: signed by {NPUB} (me, one of your keys)" in notes(app)

        event["content"] = "I did not write this"
        await pilot.press("v")
        await paste(app, pilot, json.dumps(event))
        await wait_until(pilot, lambda: any("changed after signing" in n for n in notes(app)), what="the refusal")


async def test_issue_and_revoke_a_credential(make_app, xdg: Paths) -> None:
    seeded_vault(xdg)
    vault = Vault(xdg.config_dir / "vault.json", log_n=4)
    vault.unlock("pw")
    from sovtui.identity.keys import public_key_of

    vault.put_key("bot", AGENT_HEX, role="agent", pubkey=public_key_of(AGENT_HEX))
    book = CredentialBook(xdg.data_dir / "credentials")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(app, pilot)
        await pilot.press("a")
        await wait_for_screen(app, pilot, CredentialsScreen)
        assert "No credential issued yet" in str(app.screen.query_one("#credentials-empty").render())
        await pilot.press("n")
        await answer_text(app, pilot, "5000")
        await wait_for_screen(app, pilot, ChoiceDialog)
        await pilot.press("down", "enter")  # week
        await answer_text(app, pilot, "7")
        await wait_for_screen(app, pilot, ConfirmDialog)
        assert "bot may spend up to 5,000 sats per week for 7 days, signed by me" in str(app.screen.query_one(".dialog--body").render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(book.live()) == 1, what="the credential")
        credential = book.live()[0]
        assert (credential.limit_sats, credential.period) == (5000, "week")
        await wait_for_screen(app, pilot, CredentialsScreen)
        await settle(app, pilot)
        table = app.screen.query_one(DataTable)
        assert [str(c) for c in table.get_row_at(0)[:3]] == ["live", "bot", "5,000 sats/week"]

        await pilot.press("r")
        await wait_for_screen(app, pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: book.live() == [], what="the revocation")
        await wait_for_screen(app, pilot, CredentialsScreen)
        await settle(app, pilot)
        assert str(app.screen.query_one(DataTable).get_row_at(0)[0]) == "revoked"


async def test_a_credential_needs_an_agent_key(make_app, xdg: Paths) -> None:
    seeded_vault(xdg)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(app, pilot)
        await pilot.press("a")
        await wait_for_screen(app, pilot, CredentialsScreen)
        await pilot.press("n")
        await wait_until(pilot, lambda: any("needs an owner key and an agent key" in n for n in notes(app)), what="the hint")
        assert not (xdg.data_dir / "credentials").exists()


@pytest.mark.usefixtures("cheap_scrypt")
async def test_change_the_passphrase(make_app, xdg: Paths) -> None:
    seeded_vault(xdg)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(app, pilot)
        before = (xdg.config_dir / "vault.json").read_text()

        async def change(current: str, new: str, again: str, outcome: str) -> None:
            await pilot.press("p")
            for answer in (current, new, again):
                await answer_text(app, pilot, answer)
            await wait_until(pilot, lambda: any(outcome in n for n in notes(app)), what=outcome, timeout=30)

        await change("not it", "fresh words", "fresh words", "wrong passphrase")
        assert (xdg.config_dir / "vault.json").read_text() == before
        await change("pw", "fresh words", "fresh worsd", "the two passphrases differ")
        assert (xdg.config_dir / "vault.json").read_text() == before
        await change("pw", "fresh words", "fresh words", "protected by the new passphrase")
    vault = Vault(xdg.config_dir / "vault.json")
    vault.unlock("fresh words")
    assert [label for label in vault.keys()] == ["me"]
    assert "fresh words" not in (xdg.config_dir / "vault.json").read_text()


@pytest.mark.usefixtures("cheap_scrypt")
async def test_import_a_seed_phrase_in_the_pane(make_app, xdg: Paths) -> None:
    seeded_vault(xdg)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_keys(app, pilot)
        await pilot.press("i")
        await answer_text(app, pilot, "leader monkey parrot ring guide accident before fence cannon height naive bean")
        await answer_text(app, pilot, "seed")
        await wait_for_screen(app, pilot, ChoiceDialog)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(k.label == "seed" for k in pane.rows), what="the imported key")
        assert next(k for k in pane.rows if k.label == "seed").npub == "npub1zutzeysacnf9rru6zqwmxd54mud0k44tst6l70ja5mhv8jjumytsd2x7nu"


@pytest.mark.usefixtures("cheap_scrypt")
async def test_a_blank_label_on_import_is_refused_before_the_passphrase_is_asked(make_app, xdg: Paths) -> None:
    """The pasted secret was asked for, then the passphrase, and only then was the label refused."""
    seeded_vault(xdg)  # locked: an import would ask for the passphrase
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("i")
        await answer_text(app, pilot, "leader monkey parrot ring guide accident before fence cannon height naive bean")
        await answer_text(app, pilot, "  ")
        await wait_until(pilot, lambda: any("use letters" in n for n in notes(app)), what="the refusal")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]  # no passphrase dialog followed
    vault = Vault(xdg.config_dir / "vault.json")
    vault.unlock("pw")
    assert list(vault.keys()) == ["me"]
