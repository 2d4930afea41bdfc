"""The Models pane driven by keys against the emulator."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from sovtui.config import load_config
from sovtui.paths import Paths
from sovtui.ui.panes.models import ModelsPane
from sovtui.ui.screens.dialogs import ConfirmDialog
from sovtui.ui.screens.model_dialogs import HostPicker, ModelDetailsScreen, PullDialog
from tests.ollama_emulator import OllamaEmulator
from tests.ollama_fixtures import SNAPSHOT_DEAD_PORT, point_local_host_at
from tests.pilot_helpers import wait_for_palette, wait_for_screen, wait_until, wait_for_workers


async def open_models(app, pilot) -> ModelsPane:  # type: ignore[no-untyped-def]
    """Show the Models pane and wait until it has its list, or says why it has none.

    The pane may be built by the idle builder or by the key, and its list
    arrives from a worker: on a loaded machine one pause is not enough.
    """
    await pilot.press("f2")

    def loaded() -> bool:
        panes = app.query(ModelsPane)
        if not panes:
            return False
        pane = panes.first()
        return pane.query_one(DataTable).row_count > 0 or pane.query_one("#models-problem", Static).display

    await wait_until(pilot, loaded, what="the Models pane's list")
    await wait_for_workers(app)
    await pilot.pause()
    return app.query_one(ModelsPane)


def names(pane: ModelsPane) -> list[str]:
    table = pane.query_one(DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def test_lists_installed_models_sorted_by_name(make_app, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        assert names(pane) == ["llama3.2:1b", "qwen3:0.6b"]
        await pilot.press("s")  # by size, largest first
        assert names(pane) == ["llama3.2:1b", "qwen3:0.6b"]
        await pilot.press("s", "s")  # by family
        assert names(pane) == ["llama3.2:1b", "qwen3:0.6b"]


async def test_pull_shows_progress_and_keeps_running_in_another_pane(make_app, ollama: OllamaEmulator) -> None:
    ollama.pull_delay = 0.1
    ollama.pull_steps = 10
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        await pilot.press("p")
        await wait_for_screen(app, pilot, PullDialog)
        await pilot.press(*"gemma3:1b", "enter")
        await wait_until(pilot, lambda: pane.pulling == "gemma3:1b", what="the pull started")  # by a worker
        assert pane.pulling == "gemma3:1b"
        await pilot.press("f1")  # go chat while it downloads
        assert app.active_pane == "chat"
        topbar = app.query_one("#topbar-status", Static)
        await wait_until(pilot, lambda: "gemma3:1b" in str(topbar.render()), what="the pull's progress in the top bar")
        assert "gemma3:1b" in str(topbar.render())
        await wait_for_workers(app)
        await pilot.pause()
        assert pane.pulling is None
        await pilot.press("f2")
        await wait_for_workers(app)
        # The list is read again by a worker the pull starts as it ends: wait for it, not for the workers seen now.
        await wait_until(pilot, lambda: "gemma3:1b" in names(pane), what="the pulled model listed")
        assert "gemma3:1b" in names(pane)


async def test_pull_can_be_cancelled(make_app, ollama: OllamaEmulator) -> None:
    ollama.pull_delay = 0.2
    ollama.pull_steps = 50
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        pane.start_pull("gemma3:1b")
        await wait_until(pilot, lambda: pane.pulling == "gemma3:1b", what="the pull started")
        await pilot.press("c")
        await pilot.pause(0.3)
        await wait_for_workers(app)
        assert pane.pulling is None
        assert "gemma3:1b" not in ollama.models


async def test_focus_never_goes_to_nobody(make_app, ollama: OllamaEmulator) -> None:
    """A focused widget that is hidden hands focus back to its pane, so the pane's keys keep working."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        table = pane.query_one(DataTable)
        assert app.focused is table
        table.display = False
        await wait_until(pilot, lambda: app.focused is pane, what="focus back in the pane")
        await pilot.press("d")
        await wait_for_screen(app, pilot, ConfirmDialog)


async def test_delete_asks_first(make_app, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        await pilot.press("d")
        await wait_for_screen(app, pilot, ConfirmDialog)
        await pilot.press("enter")  # Cancel has the focus
        await pilot.pause()
        assert "llama3.2:1b" in ollama.models
        await pilot.press("d", "tab", "enter")
        await wait_for_workers(app)
        # The delete worker starts the list's refresh as it ends: wait for the list, not for the workers seen now.
        await wait_until(pilot, lambda: "llama3.2:1b" not in ollama.models and names(pane) == ["qwen3:0.6b"], what="the model deleted and the list read again")
        assert "llama3.2:1b" not in ollama.models
        assert names(pane) == ["qwen3:0.6b"]


async def test_details_and_default(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_models(app, pilot)
        await pilot.press("down", "enter")
        await wait_for_screen(app, pilot, ModelDetailsScreen)
        assert app.screen.details.capabilities == ("completion", "thinking")
        await pilot.press("escape", "f")
        # Setting the default writes config.toml in a worker: wait for it, not for one frame.
        await wait_until(pilot, lambda: load_config(xdg.config_file).inference.model == "qwen3:0.6b", what="the default model saved")
    assert load_config(xdg.config_file).inference.model == "qwen3:0.6b"


async def test_unreachable_host_is_an_inline_message(make_app, xdg: Paths) -> None:
    from tests.egress import allow_endpoint

    allow_endpoint("127.0.0.1", SNAPSHOT_DEAD_PORT)
    point_local_host_at(xdg, f"http://127.0.0.1:{SNAPSHOT_DEAD_PORT}")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        problem = str(pane.query_one("#models-problem", Static).render())
        assert "cannot reach Ollama" in problem and "Press S to start Ollama here" in problem
        assert pane.has_focus  # so its keys work with the table hidden


async def test_start_server_from_the_pane(make_app, stand_in_ollama: str) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_models(app, pilot)
        assert pane.query_one("#models-problem", Static).display
        await pilot.press("S")
        await wait_for_workers(app)
        await pilot.pause()
        await wait_for_workers(app)
        assert not pane.query_one("#models-problem", Static).display
        assert names(pane) == ["qwen3:0.6b"]
        await pilot.press("T")
        await wait_for_workers(app)
        await pilot.pause()
        await wait_for_workers(app)
        assert pane.query_one("#models-problem", Static).display


async def test_switching_host_changes_where_prompts_go(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    with xdg.config_file.open("a") as handle:
        handle.write('\n[hosts.gpu-box]\nurl = "http://192.168.1.20:11434"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_models(app, pilot)
        app.host_name = None
        await pilot.press("h")
        await wait_for_screen(app, pilot, HostPicker)
        await pilot.press("up", "enter")  # gpu-box is listed above local
        await wait_until(pilot, lambda: app.host_name == "gpu-box", what="the host switch")
        assert "private network" in str(app.query_one("#topbar-host", Static).render())
        # the refresh to 192.168.1.20 is refused by the egress guard in tests; stop it
        for worker in list(app.workers):
            worker.cancel()
    from tests.egress import take_violations

    take_violations()


async def test_palette_reaches_pane_actions(make_app, ollama: OllamaEmulator) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", *"pull a model")
        await wait_for_palette(app, pilot, "pull a model")
        await pilot.press("enter")
        await wait_for_screen(app, pilot, PullDialog)
        assert app.active_pane == "models"
