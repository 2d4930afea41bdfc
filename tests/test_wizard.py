"""The setup wizard, driven by keys: a full run to level 4, skipping, going back, first run."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList

from sovtui.ui.widgets.topbar import TopBar
from sovtui.ui.wizard.screen import WizardScreen
from tests.pilot_helpers import settle, wait_for_screen, wait_until


@pytest.fixture(autouse=True)
def small_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine whose recommended model (smollm2:135m) is in the emulator's library, not installed."""
    from sovtui.inference import suggest

    monkeypatch.setattr(suggest, "total_ram", lambda: 2 * suggest.GB)
    monkeypatch.setattr(suggest, "has_gpu", lambda: False)
    monkeypatch.setattr("sovtui.inference.server.ManagedServer.binary", lambda self: None)
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)


def step_id(app) -> str:  # type: ignore[no-untyped-def]
    return app.screen.step.id


async def press_button(app, pilot, selector: str) -> None:  # type: ignore[no-untyped-def]
    app.screen.query_one(selector).focus()
    await pilot.press("enter")


async def test_a_full_run_from_level_0_to_level_4(make_app, ctx, ollama, wallet_sim) -> None:
    """An empty machine (a model server with no model, no keys, no wallet) to level 4 without leaving the app."""
    ollama.models.clear()
    app = make_app(setup=True, show_level=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(app, pilot, WizardScreen)
        wizard = app.screen
        await wait_until(pilot, lambda: wizard.level_at_start is not None, what="the first assessment")
        assert wizard.level_at_start == 0
        wizard.query_one(OptionList).highlighted = 2  # level 4
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: step_id(app) == "inference", what="the inference step")

        step = wizard.step
        await wait_until(pilot, lambda: step.finding is not None, what="the probe")
        assert step.finding.answering and "smollm2:135m" not in step.finding.models
        await press_button(app, pilot, "#inf-pull")
        await wait_until(pilot, lambda: "pulled smollm2:135m" in wizard.changes, what="the pull")
        await wait_until(pilot, lambda: "smollm2:135m" in (step.finding.models if step.finding else []), what="the new model")
        ollama.set_reply("smollm2:135m", "Owning your AI means it runs on your hardware.")
        await press_button(app, pilot, "#inf-test")
        await wait_until(pilot, lambda: step.tested, what="the test reply")
        assert "runs on your hardware" in str(step.query_one("#inf-reply").render())
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: step_id(app) == "identity", what="the identity step")

        identity = wizard.step
        identity.query_one("#id-pass", Input).value = "a good passphrase"
        identity.query_one("#id-pass2", Input).value = "a good passphrase"
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: identity.made is not None, what="the owner key")
        assert identity.made.npub in str(identity.query_one("#id-state").render())
        assert "█" in str(identity.query_one("#id-qr").render())
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: step_id(app) == "wallet", what="the wallet step")

        wallet = wizard.step
        wallet.query_one("#wal-uri", Input).value = wallet_sim.uri
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: wallet.tested is not None, what="the wallet test")
        assert "balance 100,000 sats" in str(wallet.query_one("#wal-state").render())
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: step_id(app) == "agent", what="the agent step")

        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: step_id(app) == "done", what="the last step")
        done = wizard.step
        await wait_until(pilot, lambda: done.level is not None, what="the new level")
        assert done.level == 4
        changes = str(done.query_one("#done-changes").render())
        for expected in ("pulled smollm2:135m", "the default model is smollm2:135m", "created your owner key me",
                         "connected the wallet main with a budget of 10,000 sats a day", "created the agent key agent"):
            assert expected in changes
        assert "from level 0 to level 4" in str(done.query_one("#done-next").render())
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen), what="the wizard to close")
        await wait_until(pilot, lambda: "level 4" in str(app.query_one("#topbar-level").render()), what="the top bar level")
    config = ctx.reload()
    assert config.inference.model == "smollm2:135m" and config.wallets["main"].budget_sats == 10_000
    assert sorted(ctx.vault.roles()) == ["agent", "owner"]


async def test_skipping_writes_nothing_and_the_step_can_be_resumed(make_app, ctx, ollama, wallet_sim) -> None:
    app = make_app(setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(app, pilot, WizardScreen)
        wizard = app.screen
        await pilot.press("ctrl+g")  # the suggested target, level 3
        await wait_until(pilot, lambda: step_id(app) == "inference", what="the inference step")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: step_id(app) == "identity", what="the identity step")
        wizard.step.query_one("#id-pass", Input).value = "typed but not confirmed"
        await pilot.press("ctrl+n", "ctrl+n")
        await wait_until(pilot, lambda: step_id(app) == "done", what="the last step")
        assert wizard.skipped == ["Local inference", "Your identity", "Your wallet"]
        assert "Skipped: Local inference, Your identity, Your wallet" in str(wizard.step.query_one("#done-changes").render())
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen), what="the wizard to close")
        assert not ctx.vault.exists and ctx.reload().wallets == {}
        assert ctx.paths.config_file.exists()  # seen: it will not open by itself again

        app.action_setup()  # again, as from the palette
        await wait_for_screen(app, pilot, WizardScreen)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: step_id(app) == "inference", what="the inference step")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: step_id(app) == "identity", what="the identity step again")
        assert app.screen.step.query_one("#id-label", Input).display


async def test_back_returns_to_the_previous_step_and_close_leaves(make_app, ollama) -> None:
    app = make_app(setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(app, pilot, WizardScreen)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: step_id(app) == "inference", what="the inference step")
        await pilot.press("escape")
        await wait_until(pilot, lambda: step_id(app) == "welcome", what="the welcome step")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen), what="the wizard to close")


async def test_a_bad_wallet_uri_is_one_line_and_nothing_is_kept(make_app, ctx, ollama) -> None:
    app = make_app(setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(app, pilot, WizardScreen)
        wizard = app.screen
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: step_id(app) == "inference", what="the inference step")
        await pilot.press("ctrl+n", "ctrl+n")
        await wait_until(pilot, lambda: step_id(app) == "wallet", what="the wallet step")
        wizard.step.query_one("#wal-uri", Input).value = "https://not-a-wallet"
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: "must start with nostr+walletconnect://" in str(wizard.step.query_one("#wal-error").render()), what="the error")
        assert step_id(app) == "wallet"
    assert ctx.reload().wallets == {}


def test_the_wizard_opens_by_itself_only_on_a_first_run(ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    from sovtui.ui import app as app_module

    seen: list[bool] = []

    class Recorder:
        return_code = 0

        def __init__(self, context, *, setup: bool = False, **_: object) -> None:  # type: ignore[no-untyped-def]
            seen.append(setup)

        def run(self) -> int:
            return 0

    monkeypatch.setattr(app_module, "SovtuiApp", Recorder)
    app_module.run(ctx)
    ctx.paths.ensure()
    ctx.paths.config_file.write_text("")
    app_module.run(ctx)
    app_module.run(ctx, setup=True)
    assert seen == [True, False, True]


async def test_the_top_bar_shows_the_level(make_app, ollama) -> None:
    app = make_app(show_level=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "level 2" in str(app.query_one("#topbar-level").render()), what="the level")
        assert "●●○○" in str(app.query_one(TopBar).query_one("#topbar-level").render())


async def test_the_top_bar_level_follows_what_the_panes_change(make_app, ollama) -> None:
    """Deleting the last model in the Models pane drops the level shown at once."""
    from sovtui.ui.panes.models import ModelsPane

    app = make_app(show_level=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "level 2" in str(app.query_one("#topbar-level").render()), what="level 2")
        # settle, not one lot of workers: each deletion's worker starts the list's refresh as it ends,
        # and a "d" pressed before that refresh lands would pick the model just deleted.
        await settle(app, pilot, press=["f2"])
        pane = app.query_one(ModelsPane)
        for _ in range(len(ollama.models)):
            await settle(app, pilot, press=["d", "tab", "enter"])
        assert not ollama.models and pane is not None
        await wait_until(pilot, lambda: "level 0" in str(app.query_one("#topbar-level").render()), what="level 0")
