"""The setup wizard as a new user met it at 80x24: focus where the next key goes, words that read, a QR code that fits."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from sovtui.ui.wizard.screen import WizardScreen
from sovtui.ui.wizard.steps.done import where_you_are
from tests.pilot_helpers import wait_for_screen, wait_until


@pytest.fixture(autouse=True)
def small_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    from sovtui.inference import suggest

    monkeypatch.setattr(suggest, "total_ram", lambda: 2 * suggest.GB)
    monkeypatch.setattr(suggest, "has_gpu", lambda: False)
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)


async def open_at(app, pilot, step: str, *, aim: int = 1, skips: int = 0) -> WizardScreen:  # type: ignore[no-untyped-def]
    from textual.widgets import OptionList

    await wait_for_screen(app, pilot, WizardScreen)
    wizard = app.screen
    await wait_until(pilot, lambda: wizard.level_at_start is not None, what="the first assessment")
    wizard.query_one(OptionList).highlighted = aim
    await pilot.press("ctrl+g")
    for _ in range(skips):
        await wait_until(pilot, lambda: wizard.index > 0, what="a step")
        await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: wizard.step.id == step, what=step)
    return wizard


async def test_with_no_ollama_here_the_lan_address_has_the_focus(make_app, no_ollama: str) -> None:
    """"Ollama is not installed on this machine": the next thing to type is a machine on the network."""
    app = make_app(setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_at(app, pilot, "inference")
        step = wizard.step
        await wait_until(pilot, lambda: step.finding is not None, what="the probe")
        await pilot.pause()
        state = step.query_one("#inf-state", Static)
        text = str(state.render())
        assert "Ollama is not installed on this machine" in text
        # Every line fits 80 columns ("below," stood alone): as many rows as lines, once laid out.
        await wait_until(pilot, lambda: state.size.height == len(text.splitlines()), timeout=3, what="no line wrapped")
        address = step.query_one("#inf-address", Input)
        assert app.focused is address
        await pilot.press(*"gpu-box")
        assert address.value == "gpu-box"


async def test_the_npub_and_its_qr_code_fit_at_80x24(make_app, ollama) -> None:  # type: ignore[no-untyped-def]
    app = make_app(setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await open_at(app, pilot, "identity", skips=1)
        identity = wizard.step
        identity.query_one("#id-pass", Input).value = "a good passphrase"
        identity.query_one("#id-pass2", Input).value = "a good passphrase"
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: identity.made is not None, what="the owner key")
        await pilot.pause()
        body = wizard.query_one("#wizard-body", VerticalScroll)
        qr = identity.query_one("#id-qr", Static)
        state = identity.query_one("#id-state", Static)
        assert qr.display and "█" in str(qr.render())
        assert identity.made.npub in str(state.render()).replace("\n", "")
        assert "Keys pane" in str(state.render()), "and where to see it again"
        for shown in (qr, state):
            assert body.region.contains_region(shown.region), f"{shown.id} is cut off at 80x24"
        assert body.max_scroll_y == 0, "nothing to scroll to: the whole code is on screen"


def test_the_last_step_says_where_you_went_in_one_sentence() -> None:
    assert where_you_are(0, 3) == "You went from level 0 to level 3."
    assert where_you_are(2, 2) == "You are at level 2."
    assert where_you_are(None, 1) == "You are at level 1."


async def test_the_last_step_reads_as_a_sentence(make_app, ollama) -> None:  # type: ignore[no-untyped-def]
    app = make_app(setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(app, pilot, WizardScreen)
        wizard = app.screen
        await wait_until(pilot, lambda: wizard.level_at_start is not None, what="the first assessment")
        wizard.level_at_start = 0  # as on an empty machine; this one has a model server with models: level 2
        wizard = await open_at(app, pilot, "done", aim=0, skips=1)
        done = wizard.step
        await wait_until(pilot, lambda: done.level is not None, what="the new level")
        text = str(done.query_one("#done-next", Static).render())
        assert text.startswith("You went from level 0 to level 2.")
        assert "You are at from" not in text
