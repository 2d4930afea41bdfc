"""Snapshots of the shell: fixed sizes, no clock, no blinking cursor, no paths."""

from __future__ import annotations


def test_shell_80x24(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_shell_120x40(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40))


def test_shell_light_theme_on_wallet(snap_compare, make_app, xdg) -> None:
    xdg.config_dir.mkdir(parents=True)
    xdg.config_file.write_text('[ui]\ntheme = "sovtui-light"\n')
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["f4"])


def test_models_pane(snap_compare, make_app, ollama_fixed) -> None:
    async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("f2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle)


def test_models_pull_dialog(snap_compare, make_app, ollama_fixed, monkeypatch) -> None:
    from sovtui.inference import suggest

    monkeypatch.setattr(suggest, "total_ram", lambda: 6 * suggest.GB)
    monkeypatch.setattr(suggest, "has_gpu", lambda: False)

    async def open_dialog(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("f2")
        await pilot.app.workers.wait_for_complete()
        await pilot.press("p")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_dialog)


def test_models_unreachable_host(snap_compare, make_app, xdg) -> None:
    from tests.egress import allow_endpoint
    from tests.ollama_fixtures import SNAPSHOT_DEAD_PORT, point_local_host_at

    allow_endpoint("127.0.0.1", SNAPSHOT_DEAD_PORT)
    point_local_host_at(xdg, f"http://127.0.0.1:{SNAPSHOT_DEAD_PORT}")

    async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("f2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle)
