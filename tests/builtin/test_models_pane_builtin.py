"""The Models pane on the built-in engine: its models are files sovtui pulls and removes, so p and d work.

The engine speaks the OpenAI-compatible API, whose hosts cannot pull or
delete; the pane took it for one of them and refused both ("builtin cannot
pull models: ... load the model on the server itself"), while
``sovtui models pull hf:... --host builtin`` and ``models rm`` worked.
"""

from __future__ import annotations

from pathlib import Path

from sovtui.context import Context
from sovtui.inference.engine import unsupported
from sovtui.inference.hosts import HostTarget
from sovtui.ui.screens.dialogs import ConfirmDialog
from sovtui.ui.screens.model_dialogs import PullDialog
from tests.builtin.gguf_writer import tiny_model
from tests.inference.test_models_pane import names, open_models
from tests.pilot_helpers import wait_for_screen, wait_until


def test_what_the_engine_can_do_beyond_the_openai_api() -> None:
    engine = HostTarget("builtin", "http://127.0.0.1:0/v1", "openai", builtin=True)
    theirs = HostTarget("builtin", "http://127.0.0.1:8080/v1", "openai")  # a server of the user's under that name
    assert unsupported(engine, "pull") is None and unsupported(engine, "delete") is None
    assert unsupported(engine, "unload") and unsupported(engine, "copy")
    assert unsupported(theirs, "pull") and unsupported(theirs, "delete")


async def test_pull_and_delete_on_the_built_in_engine(make_app, ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "tiny.gguf").write_bytes(tiny_model())
    from sovtui.inference.gguf import add_model

    add_model(ctx.paths, tmp_path / "tiny.gguf", "tiny")
    ctx.update_config(lambda config: setattr(config.inference, "host", "builtin"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        assert names(pane) == ["tiny"]
        await pilot.press("p")
        await wait_for_screen(app, pilot, PullDialog)
        assert app.screen.suggestions and all(s.name.startswith("hf:") for s in app.screen.suggestions)
        await pilot.press("escape")
        await pilot.press("d")
        await wait_for_screen(app, pilot, ConfirmDialog)
        app.screen.dismiss(True)
        await wait_until(pilot, lambda: names(pane) == [], what="the model gone from the list")
        assert not any(str(n.message).startswith("builtin cannot") for n in app._notifications)
    assert not list((ctx.paths.data_dir / "models").glob("*.gguf"))
