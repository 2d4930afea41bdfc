"""The credentials screen with hostile input: a malformed paste is a notice, never a crash; fields shown are safe."""

from __future__ import annotations

import json
import time

from textual.widgets import DataTable, TextArea

from sovtui.identity import credentials
from sovtui.identity.credentials import CredentialBook
from sovtui.identity.keys import public_key_of
from sovtui.nostr.events import sign_event
from sovtui.paths import Paths
from sovtui.text import is_safe
from sovtui.ui.screens.credentials import CredentialsScreen
from sovtui.ui.screens.text_view import TextViewScreen
from tests.identity.test_keys_pane import NSEC_HEX, seeded_vault
from tests.identity.test_keys_pane_actions import AGENT_HEX, notes, open_keys, paste
from tests.pilot_helpers import settle, wait_for_screen, wait_until

AGENT = public_key_of(AGENT_HEX)


def _credential(created_at: int, limit: int, content: str = "a credential") -> dict:
    tags = [
        ["d", credentials.D_PREFIX + AGENT],
        ["p", AGENT],
        ["limit", str(limit), "sat", "day"],
        ["expiration", str(created_at + 30 * 86400)],
        ["t", "sovtui-credential"],
    ]
    return sign_event(NSEC_HEX, credentials.KIND, content, tags, created_at=created_at)


def _keep_three(xdg: Paths) -> tuple[dict, dict]:
    """An old version (hostile content), its newer version, and a revocation of the newer one by id."""
    now = int(time.time())
    book = CredentialBook(xdg.data_dir / "credentials")
    old = _credential(now - 300, 50_000, content="old\x1b]52;c;bG5iYzE=\x07\x9b2J\u202eevil")
    new = _credential(now - 100, 1_000)
    for event in (old, new, sign_event(NSEC_HEX, 5, "revoked", [["e", new["id"]], ["k", "30078"]], created_at=now - 50)):
        book.keep(event)
    return old, new


async def open_credentials(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await open_keys(app, pilot)
    await pilot.press("a")
    await wait_for_screen(app, pilot, CredentialsScreen)
    await settle(app, pilot)


async def test_malformed_pastes_are_notices_never_a_crash(make_app, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(xdg)
    _, new = _keep_three(xdg)
    hostile = [
        "[" * 100_000,
        '{"content": "\\ud800"}',
        json.dumps(dict(new, id="")),  # the revoked one with its id blanked
        json.dumps(dict(new, sig=new["sig"].upper())),
        '{"created_at": 1' + "0" * 5000 + "}",
        "null",
    ]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_credentials(app, pilot)
        for count, text in enumerate(hostile, start=1):
            await pilot.press("v")
            await paste(app, pilot, text)
            await wait_until(pilot, lambda c=count: sum(n.startswith("not valid:") for n in notes(app)) == c, what=f"the refusal of paste {count}")
            await wait_for_screen(app, pilot, CredentialsScreen)
        refusals = [n for n in notes(app) if n.startswith("not valid:")]
        assert "id" in refusals[2] and "sig" in refusals[3], refusals
        assert all(is_safe(n, one_line=True) for n in notes(app))


async def test_states_and_the_event_are_shown_safely(make_app, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(xdg)
    old, _ = _keep_three(xdg)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_credentials(app, pilot)
        table = app.screen.query_one(DataTable)
        assert [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[2])) for i in range(2)] == [
            ("revoked", "1,000 sats/day"),
            ("replaced", "50,000 sats/day"),
        ]
        await pilot.press("v")
        await paste(app, pilot, json.dumps(old))
        await wait_until(pilot, lambda: any(n.startswith("REPLACED") for n in notes(app)), what="the verdict on the old version")
        await wait_for_screen(app, pilot, CredentialsScreen)

        await pilot.press("down", "enter")
        await wait_for_screen(app, pilot, TextViewScreen)
        shown = app.screen.query_one(TextArea).text
        assert is_safe(shown) and "\\u001b]52" in shown and "\\u202e" in shown
        assert json.loads(shown) == old, "what is shown (and copied) is still the signed event"
