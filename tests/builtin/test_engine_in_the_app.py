"""The top bar follows the built-in engine: its address once it starts, at open or on first use; "not running" when stopped.

A stopped engine has no port, so its address was shown as
``http://127.0.0.1:0/v1``; once sovtui started it (at the app's open with
``autostart``, or for a prompt after it was stopped), the top bar kept the
old line and the level stayed where it was. These start an engine of their
own (SmolLM2), in the test's folders, and stop it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from sovtui.context import Context
from sovtui.inference.gguf import add_model
from sovtui.inference.hosts import IDLE_URL, HostTarget
from sovtui.ui.widgets.chat_input import ChatInput
from tests.egress import allow_endpoint
from tests.pilot_helpers import wait_until

pytestmark = pytest.mark.real_model


def test_a_stopped_engine_reads_not_running() -> None:
    assert HostTarget("builtin", IDLE_URL, "openai").address == "not running"
    assert HostTarget("local", "http://127.0.0.1:11434").address == "http://127.0.0.1:11434"


def _host_line(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.query_one("#topbar-host", Static).render())


async def test_the_top_bar_follows_the_engine_it_starts(make_app, ctx: Context, smollm2_gguf: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    add_model(ctx.paths, smollm2_gguf, "smollm2")

    def builtin_default(config) -> None:  # type: ignore[no-untyped-def]
        config.inference.host, config.inference.model, config.backend.autostart = "builtin", "smollm2", True
        config.hosts.clear()  # nothing else to ask for the level

    ctx.update_config(builtin_default)
    # Each port the engine is started on is one this test lets sovtui reach (the egress guard).
    from sovtui.inference import builtin

    free_port = builtin._free_port

    def allowed_port() -> int:
        port = free_port()
        allow_endpoint("127.0.0.1", port)
        return port

    monkeypatch.setattr(builtin, "_free_port", allowed_port)
    app = make_app(show_level=True)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            # autostart at open: "not running" first, then the address, the level and a notice.
            await wait_until(pilot, lambda: "127.0.0.1:" in _host_line(app), timeout=60, what="the engine's address in the top bar")
            assert "not running" not in _host_line(app)
            await wait_until(pilot, lambda: "level 2" in str(app.query_one("#topbar-level", Static).render()),
                             what="local inference")
            assert any("The built-in engine is running at" in str(n.message) for n in app._notifications)

            # Stopped behind the app's back (another shell): the next prompt starts it again, on a new port,
            # and the top bar says so when the reply's first words come, not when it ends.
            await ctx.builtin_server().stop()
            app.refresh_host()
            assert "not running" in _host_line(app)
            app.query_one(ChatInput).text = "Say hi."
            await pilot.press("enter")
            await wait_until(pilot, lambda: "127.0.0.1:" in _host_line(app), timeout=60, what="the new address")
            assert "not running" not in _host_line(app)
    finally:
        await ctx.builtin_server().stop()
