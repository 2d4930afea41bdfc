"""The Chat pane at 80x24 after what a new user does first: the wizard, a default model, a reply.

The line above the prompt must say where the next prompt goes, also when
that was changed somewhere else (the wizard, the Models pane).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from sovtui.chat.models import Message
from sovtui.context import Context
from sovtui.inference.hosts import HostTarget
from sovtui.setup import apply_inference
from sovtui.ui.messages import HostChanged
from sovtui.ui.widgets.message import MessageWidget
from tests.ollama_emulator import OllamaEmulator
from tests.pilot_helpers import wait_for_screen, wait_until


def info(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.query_one("#chat-info", Static).render())


class Wizard(Screen[int | None]):
    """Stands in for the setup wizard (its steps are tested in tests/test_wizard.py)."""

    def compose(self) -> ComposeResult:
        yield Static("setup")


async def test_the_line_follows_the_wizard_when_it_finishes(make_app, ctx: Context, ollama: OllamaEmulator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sovtui.ui.wizard.screen.WizardScreen", Wizard)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert info(app).startswith("first installed model → local")
        app.action_setup()
        await wait_for_screen(app, pilot, Wizard)
        # What the wizard's inference step writes: a host of the user's and a model on it.
        apply_inference(ctx, HostTarget("homelab", ollama.url), "llama3.2:1b")
        app.screen.dismiss(2)
        await wait_until(pilot, lambda: info(app).startswith("llama3.2:1b → homelab"), what="the line to follow the wizard")
        assert "homelab" in str(app.query_one("#topbar-host", Static).render())


async def test_the_line_follows_a_host_change_posted_from_anywhere(make_app, ctx: Context, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        apply_inference(ctx, HostTarget("local", ollama.url), "qwen3:0.6b")
        app.post_message(HostChanged())
        await wait_until(pilot, lambda: info(app).startswith("qwen3:0.6b → local"), what="the line to follow")


async def test_the_line_follows_a_default_model_set_in_the_models_pane(make_app, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: app.query_one("#models-table").row_count == 2, what="the model list")
        await pilot.press("down", "f")  # qwen3:0.6b, below llama3.2:1b
        await wait_until(pilot, lambda: info(app).startswith("qwen3:0.6b → local"), what="the Chat pane's line")
        await pilot.press("f1")
        assert "★" in str(app.query_one("#models-table").get_row_at(1)[0])


async def test_one_token_under_a_reply_is_one_token(make_app, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        widget = MessageWidget.of(1, Message("assistant", "Hi.", model="qwen3:0.6b", eval_count=1, prompt_eval_count=1))
        await app.query_one("#messages").add(widget)
        await pilot.pause()
        assert str(widget.query_one("#stats", Static).render()) == "1 token · prompt 1 token"
