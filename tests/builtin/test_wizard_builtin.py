"""The wizard on a machine with no Ollama: it offers the built-in engine, its install and a model."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button

from sovtui.inference import builtin
from sovtui.inference.gguf import add_model
from sovtui.paths import Paths
from sovtui.ui.wizard.screen import WizardScreen
from tests.builtin.gguf_writer import tiny_model
from tests.pilot_helpers import wait_for_screen, wait_until


async def _to_the_builtin_engine(app, pilot) -> object:  # type: ignore[no-untyped-def]
    await wait_for_screen(app, pilot, WizardScreen)
    wizard = app.screen
    await wait_until(pilot, lambda: wizard.level_at_start is not None, what="the first assessment")
    await pilot.press("ctrl+g")
    await wait_until(pilot, lambda: wizard.step.id == "inference", what="the inference step")
    step = wizard.step
    await wait_until(pilot, lambda: step.finding is not None, what="the probe")
    assert not step.finding.answering
    offer = step.query_one("#inf-builtin", Button)
    assert offer.display, "with no Ollama, the built-in engine is offered"
    assert "built-in engine" in str(step.query_one("#inf-state").render())
    offer.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: step.finding is not None and step.finding.target.name == "builtin", what="the built-in engine")
    return step


async def test_with_no_ollama_the_wizard_offers_to_install_the_engine(make_app, no_ollama: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtin, "engine_installed", lambda: False)
    app = make_app(setup=True, show_level=True)
    async with app.run_test(size=(80, 24)) as pilot:
        step = await _to_the_builtin_engine(app, pilot)
        await wait_until(pilot, lambda: step.query_one("#inf-install", Button).display, what="the install button")
        assert "pip install 'sovtui[local]'" in str(step.query_one("#inf-state").render())


async def test_choosing_the_engine_with_a_model_makes_it_where_chats_go(make_app, ctx, no_ollama: str, xdg: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtin, "engine_installed", lambda: True)
    (tmp_path / "smol.gguf").write_bytes(tiny_model())
    add_model(xdg, tmp_path / "smol.gguf")
    app = make_app(setup=True, show_level=True)
    async with app.run_test(size=(80, 24)) as pilot:
        step = await _to_the_builtin_engine(app, pilot)
        assert step.finding.answering and step.finding.models == ["smol"]
        await wait_until(pilot, lambda: step.query_one("#inf-test", Button).display, what="the test button")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: app.screen.step.id != "inference", what="the next step")
    config = ctx.reload()
    assert (config.inference.host, config.inference.model, config.backend.autostart) == ("builtin", "smol", True)
    assert "builtin" not in config.hosts  # always known, never written as a host
