"""Adding a model host from the Models pane's host picker (``h``, then ``a``), as ``sovtui hosts add`` does."""

from __future__ import annotations

import pytest

from sovtui.inference.keys import api_key
from sovtui.paths import Paths
from sovtui.ui.screens.dialogs import TextDialog
from sovtui.ui.screens.model_dialogs import HostPicker
from tests.inference.test_models_pane import names, open_models
from tests.ollama_emulator import OllamaEmulator
from tests.openai_fixtures import start_openai_emulator
from tests.pilot_helpers import answer_text, wait_for_screen, wait_until


async def test_a_host_added_in_the_picker_is_probed_keyed_and_chosen(make_app, ctx, ollama: OllamaEmulator, xdg: Paths,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)
    ctx.vault.create("a pass phrase")
    server = start_openai_emulator(api_key="sk-local-test")  # an OpenAI-compatible server that wants a key
    try:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            pane = await open_models(app, pilot)
            await pilot.press("h")
            await wait_for_screen(app, pilot, HostPicker)
            await pilot.press("a")
            await wait_for_screen(app, pilot, TextDialog)
            await answer_text(app, pilot, "gpu-box")
            await wait_until(pilot, lambda: isinstance(app.screen, TextDialog) and "Where is" in app.screen.title_text,
                             what="the URL question")
            # Given as an Ollama-style address: sovtui asks the machine, which answers as OpenAI-compatible.
            await answer_text(app, pilot, f"http://127.0.0.1:{server.port}")
            await wait_until(pilot, lambda: isinstance(app.screen, TextDialog) and "API key" in app.screen.title_text,
                             what="the key question")
            await answer_text(app, pilot, "sk-local-test")
            await wait_until(pilot, lambda: app.host_name == "gpu-box", what="the new host chosen")
            await wait_until(pilot, lambda: names(pane) == ["llama3.2:1b", "qwen3:0.6b"], what="its models")
        host = ctx.store.load().hosts["gpu-box"]
        assert (host.api, host.url) == ("openai", f"http://127.0.0.1:{server.port}/v1")
        assert "sk-local-test" not in xdg.config_file.read_text()
        assert api_key(ctx.vault, "gpu-box") == "sk-local-test"
    finally:
        server.stop()


async def test_a_bad_name_is_one_line_and_nothing_is_added(make_app, ctx, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_models(app, pilot)
        await pilot.press("h")
        await wait_for_screen(app, pilot, HostPicker)
        await pilot.press("a")
        await wait_for_screen(app, pilot, TextDialog)
        await answer_text(app, pilot, "no spaces allowed")
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog) and "Where is" in app.screen.title_text,
                         what="the URL question")
        await answer_text(app, pilot, "http://127.0.0.1:9")
        await wait_until(pilot, lambda: any("cannot name a host" in str(n.message) for n in app._notifications),
                         what="the reason")
    assert "no spaces allowed" not in ctx.store.load().hosts
