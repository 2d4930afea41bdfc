"""The Models pane on an OpenAI-compatible host: models listed; pull, delete and unload not offered, with the reason."""

from __future__ import annotations

from sovtui.ui.screens.dialogs import ConfirmDialog
from sovtui.ui.screens.model_dialogs import PullDialog
from tests.inference.test_models_pane import names, open_models
from tests.openai_emulator import OpenAIEmulator
from tests.openai_fixtures import openai_local  # noqa: F401 - the host of these tests
from tests.pilot_helpers import wait_until


async def test_an_openai_host_lists_its_models_and_says_why_it_cannot_pull_or_delete(make_app, openai_local: OpenAIEmulator) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        assert names(pane) == ["llama3.2:1b", "qwen3:0.6b"]
        # The OpenAI API does not say which models are in memory: no "Loaded: none", no unload hint.
        assert str(pane.query_one("#models-loaded").render()) == "sorted by name (s) · enter details"
        await pilot.press("p")
        await wait_until(pilot, lambda: any("cannot pull models" in str(n.message) for n in app._notifications), what="the reason")
        await pilot.press("d")
        await wait_until(pilot, lambda: any("cannot delete models" in str(n.message) for n in app._notifications), what="the reason")
        assert not isinstance(app.screen, (PullDialog, ConfirmDialog))
    assert [path for path, _ in openai_local.requests] == ["/v1/models"] * len(openai_local.requests)


async def test_an_openai_host_with_no_models_says_where_they_are_loaded(make_app, openai_local: OpenAIEmulator) -> None:  # noqa: F811
    """Not "press p to pull one": p is refused on such a host."""
    openai_local.models.clear()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        line = lambda: str(app.query_one("#models-loaded").render()) if app.query("#models-loaded") else ""  # noqa: E731
        await wait_until(pilot, lambda: "No models" in line(), what="the empty list's line")
        assert line() == "No models on this host: load one on the server itself, then press r."
