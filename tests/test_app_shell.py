"""The TUI shell driven by keys, as a user would drive it."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Static

from sovtui.config import load_config
from sovtui.paths import Paths
from sovtui.ui.screens.config_error import ConfigErrorScreen
from tests.pilot_helpers import wait_for_palette, wait_for_workers, wait_until

# Showing the Models pane asks its host: point it at a port where nothing listens.
pytestmark = pytest.mark.usefixtures("no_ollama")


async def test_opens_on_chat(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)):
        assert app.active_pane == "chat"


@pytest.mark.parametrize(("key", "pane"), [("f1", "chat"), ("f2", "models"), ("f3", "keys"), ("f4", "wallet"), ("f5", "agents")])
async def test_f_keys_open_each_pane(make_app, key: str, pane: str) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4" if pane == "chat" else "f1", key)
        assert app.active_pane == pane


async def test_ctrl_t_cycles_through_every_pane_and_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        seen = []
        for _ in range(5):
            await pilot.press("ctrl+t")
            seen.append(app.active_pane)
        assert seen == ["models", "keys", "wallet", "agents", "chat"]


async def test_tab_bar_arrows_switch_panes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#panes Tabs").focus()
        await pilot.press("right", "right")
        assert app.active_pane == "keys"
        await pilot.press("left")
        assert app.active_pane == "models"


async def test_command_palette_reaches_every_pane(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for title, pane in (("Agents", "agents"), ("Wallet", "wallet"), ("Keys", "keys"), ("Models", "models"), ("Chat", "chat")):
            await pilot.press("ctrl+p")
            await pilot.press(*f"go to {title}".lower())
            await wait_for_palette(app, pilot, f"go to {title}".lower())
            await pilot.press("enter")
            # The palette runs the command after it closes, and the pane may still have to be built.
            await wait_until(pilot, lambda pane=pane: app.active_pane == pane, what=f"the {title} pane")
            assert app.active_pane == pane


def test_only_the_chat_pane_is_imported_before_the_app_starts() -> None:
    """The other panes' modules load after the first paint (docs/performance.md)."""
    import subprocess
    import sys

    code = "import sys, sovtui.ui.app; print(sorted(m for m in sys.modules if m.startswith('sovtui.ui.panes.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for pane in ("wallet", "keys", "models", "agents"):
        assert f"sovtui.ui.panes.{pane}" not in loaded


async def test_the_other_panes_are_built_once_the_app_is_idle(make_app) -> None:
    from sovtui.ui.panes.factory import PaneSlot
    from tests.pilot_helpers import wait_until

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: not app.query(PaneSlot), what="every pane built")
        assert [len(app.query(f"#{pane}-pane")) for pane in ("chat", "models", "keys", "wallet", "agents")] == [1, 1, 1, 1, 1]
        assert app.active_pane == "chat" and app.focused is not None and app.focused.id == "prompt"


async def test_a_palette_action_reaches_a_pane_not_yet_built(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even before the idle build, the palette builds the pane and runs its action."""
    from sovtui.ui.panes.factory import PaneSlot
    from sovtui.ui.screens.credentials import CredentialsScreen
    from tests.pilot_helpers import wait_for_screen

    async def not_yet(self) -> None:  # type: ignore[no-untyped-def]
        return None

    monkeypatch.setattr("sovtui.ui.app.SovtuiApp._build_remaining_panes", not_yet)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert len(app.query(PaneSlot)) == 4
        await pilot.press("ctrl+p", *"agent credentials")
        await wait_for_palette(app, pilot, "agent credentials")
        await pilot.press("enter")
        await wait_for_screen(app, pilot, CredentialsScreen)
        assert app.active_pane == "keys" and len(app.query(PaneSlot)) == 3


async def test_a_key_typed_right_after_a_pane_key_reaches_the_new_pane(make_app) -> None:
    """F3 then x, read together (typed fast, or while the app starts): x is the Keys pane's, not the prompt's.

    Seen in tmux: F3 and n sent at once during the start put an "n" in the
    chat prompt. Two causes, both pinned here: a pane key was a plain
    binding, so F3 first travelled up from the focused prompt while x was
    already handed to it; and the new pane was focused with
    ``Widget.focus``, applied only at the loop's next turn. The pane lock is
    held as the background build holds it at start, so F3 also waits for it.
    """
    from textual import events

    from sovtui.ui.panes.keys import KeysPane
    from sovtui.ui.widgets.chat_input import ChatInput

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app._first_screen, what="the first screen")
        await wait_for_workers(app)
        async with app._pane_lock:  # as when the other panes are being built
            app.post_message(events.Key("f3", None))  # as the driver posts keys it reads
            app.post_message(events.Key("x", "x"))  # "x" does nothing in the Keys pane with no key selected
            await asyncio.sleep(0.2)
        await wait_until(pilot, lambda: app.active_pane == "keys", what="the Keys pane")
        await pilot.pause()
        assert app.query_one(ChatInput).text == ""  # nothing typed into the chat
        assert app.focused is not None and app.query_one(KeysPane) in app.focused.ancestors_with_self


async def test_ctrl_q_quits_with_exit_code_0(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_top_bar_shows_host_and_locality(make_app, xdg: Paths) -> None:
    xdg.config_dir.mkdir(parents=True, exist_ok=True)
    xdg.config_file.write_text(
        '[inference]\nhost = "gpu-box"\n[hosts.gpu-box]\nurl = "http://192.168.1.20:11434"\n'
    )
    app = make_app()
    async with app.run_test(size=(80, 24)):
        text = str(app.query_one("#topbar-host", Static).render())
        assert "gpu-box" in text and "private network" in text


async def test_broken_config_shows_error_screen_and_is_not_touched(make_app, xdg: Paths) -> None:
    xdg.config_dir.mkdir(parents=True, exist_ok=True)
    original = b"[ui]\ntheme = 3\n"
    xdg.config_file.write_bytes(original)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, ConfigErrorScreen)
        message = str(app.screen.query_one("#config-error-message", Static).render())
        assert "key 'ui.theme': expected a string" in message
        await pilot.press("ctrl+t")  # navigation does nothing under the error
        assert isinstance(app.screen, ConfigErrorScreen)
        # The user fixes the file elsewhere and reads it again.
        xdg.config_file.write_text('[ui]\ntheme = "sovtui-light"\n')
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, ConfigErrorScreen)
        assert app.theme == "sovtui-light"


async def test_broken_config_stays_byte_for_byte(make_app, xdg: Paths) -> None:
    xdg.config_dir.mkdir(parents=True, exist_ok=True)
    original = b"[ui\n"
    xdg.config_file.write_bytes(original)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r", "q")
    assert xdg.config_file.read_bytes() == original


async def test_chosen_theme_is_saved(make_app, xdg: Paths) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "sovtui-dark"
        app.theme = "sovtui-light"
        await pilot.pause()
        await wait_for_workers(app)
    assert load_config(xdg.config_file).ui.theme == "sovtui-light"


async def test_unknown_theme_falls_back_with_a_warning(make_app, xdg: Paths) -> None:
    xdg.config_dir.mkdir(parents=True, exist_ok=True)
    xdg.config_file.write_text('[ui]\ntheme = "neon"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)):
        assert app.theme == "sovtui-dark"
        assert any("neon" in str(n.message) for n in app._notifications)
    assert 'theme = "neon"' in xdg.config_file.read_text()


async def test_no_color_is_honoured(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    assert app.no_color


async def test_an_error_quoting_outside_text_is_shown_as_plain_text(make_app) -> None:
    """A wallet's or relay's reason with markup or escapes neither crashes the app nor reaches the terminal."""
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        app.query_one("#chat-pane").notify("wallet said: [/] [link='x']pay me[/link] \x1b]52;c;bG5i\x07\x1b[2J", severity="error")
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert shown == ["wallet said: [/] [link='x']pay me[/link] ]52;c;bG5i[2J"]
        assert all(not n.markup for n in app._notifications)
