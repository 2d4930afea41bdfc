"""The user's keymap: [keys] in config.toml rebinds actions by their ids."""

from __future__ import annotations

import pytest

from sovtui.paths import Paths
from sovtui.ui.keymap import all_bindings, unknown_ids

pytestmark = pytest.mark.usefixtures("no_ollama")


def test_every_binding_has_an_id_and_a_description() -> None:
    bindings = all_bindings()
    assert len(bindings) > 30
    assert all(b.description for b in bindings.values() if b.show), [i for i, b in bindings.items() if b.show and not b.description]


def test_ids_no_binding_has_are_unknown() -> None:
    assert unknown_ids({"chat.new": "ctrl+b", "chat.nwe": "ctrl+e"}) == ["chat.nwe"]


async def test_a_key_from_config_runs_the_action_and_the_old_key_does_not(make_app, xdg: Paths) -> None:
    with xdg.config_file.open("a") as config:
        config.write('\n[keys.app]\nnext_pane = "ctrl+b"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+t")
        assert app.active_pane == "chat"
        await pilot.press("ctrl+b")
        assert app.active_pane == "models"


async def test_an_unknown_id_in_config_is_said_once(make_app, xdg: Paths) -> None:
    with xdg.config_file.open("a") as config:
        config.write('\n[keys]\n"chat.nwe" = "ctrl+b"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if app._notifications:
                break
        messages = [n.message for n in app._notifications]
        assert any("chat.nwe" in m for m in messages), messages
