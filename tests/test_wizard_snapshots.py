"""Every step of the setup wizard at 80x24, as a user on a small SSH terminal sees it."""

from __future__ import annotations

import pytest

from tests.pilot_helpers import wait_until


@pytest.fixture(autouse=True)
def fixed_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    from sovtui.inference import suggest

    monkeypatch.setattr(suggest, "total_ram", lambda: 2 * suggest.GB)
    monkeypatch.setattr(suggest, "has_gpu", lambda: False)
    monkeypatch.setattr("sovtui.inference.server.ManagedServer.binary", lambda self: None)


def to_step(target_step: str, *, aim: int = 2, skips: int = 0):  # type: ignore[no-untyped-def]
    """run_before for snap_compare: open the wizard at ``target_step`` with its probes done."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        from textual.widgets import OptionList

        app = pilot.app
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "WizardScreen", what="the wizard")
        wizard = app.screen
        await wait_until(pilot, lambda: wizard.level_at_start is not None, what="the assessment")
        if target_step != "welcome":
            wizard.query_one(OptionList).highlighted = aim
            await pilot.press("ctrl+g")
            for _ in range(skips):
                await wait_until(pilot, lambda: wizard.index > 0, what="a step")
                if wizard.step.id == "inference":  # its probe done first: a late answer must not land on the next step
                    await wait_until(pilot, lambda: wizard.step.finding is not None, what="the probe")
                await pilot.press("ctrl+n")
            await wait_until(pilot, lambda: wizard.step.id == target_step, what=target_step)
        if target_step == "inference":
            await wait_until(pilot, lambda: wizard.step.finding is not None, what="the probe")
        if target_step == "done":
            await wait_until(pilot, lambda: wizard.step.level is not None, what="the new level")
        await pilot.pause()

    return run_before


def test_wizard_welcome(snap_compare, make_app, ollama_fixed) -> None:
    assert snap_compare(make_app(setup=True), terminal_size=(80, 24), run_before=to_step("welcome"))


def test_wizard_inference(snap_compare, make_app, ollama_fixed) -> None:
    assert snap_compare(make_app(setup=True), terminal_size=(80, 24), run_before=to_step("inference"))


def test_wizard_identity(snap_compare, make_app, ollama_fixed) -> None:
    assert snap_compare(make_app(setup=True), terminal_size=(80, 24), run_before=to_step("identity", aim=1, skips=1))


def test_wizard_wallet(snap_compare, make_app, ollama_fixed) -> None:
    assert snap_compare(make_app(setup=True), terminal_size=(80, 24), run_before=to_step("wallet", aim=1, skips=2))


def test_wizard_agent(snap_compare, make_app, ollama_fixed) -> None:
    assert snap_compare(make_app(setup=True), terminal_size=(80, 24), run_before=to_step("agent", aim=2, skips=3))


def test_wizard_done(snap_compare, make_app, ollama_fixed) -> None:
    assert snap_compare(make_app(setup=True), terminal_size=(80, 24), run_before=to_step("done", aim=0, skips=1))
