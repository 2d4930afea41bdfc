"""The footer (KeyBar): the keys that work now, as Textual's Footer showed them, from one widget.

Its exact look is pinned by every snapshot (they were taken with Textual's
Footer and still match); these tests pin what a snapshot cannot: that it
follows the focus and the user's keymap, dims what cannot be done, keeps the
palette's key at the right edge, and that a click presses the key.
"""

from __future__ import annotations

import pytest

from sovtui.paths import Paths
from sovtui.ui.widgets.key_bar import KeyBar
from tests.pilot_helpers import wait_until

pytestmark = pytest.mark.usefixtures("no_ollama")


def shown(app) -> list[tuple[str, str, bool]]:  # type: ignore[no-untyped-def]
    return [(e.display, e.description, e.enabled) for e in app.query_one(KeyBar).entries()]


def line(app) -> str:  # type: ignore[no-untyped-def]
    return app.query_one(KeyBar).render().plain


async def test_it_shows_the_focused_widgets_keys_then_the_apps_and_the_palette_last(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: shown(app), what="the keys")
        entries = shown(app)
        descriptions = [description for _, description, _ in entries]
        assert descriptions[0] == "Send"  # the chat input has the focus
        assert descriptions.index("Quit") < descriptions.index("Next pane")
        assert entries[-1] == ("^p", "palette", True)
        assert len(descriptions) == len(set(descriptions))  # one entry per action
        text = line(app)
        assert len(text) == 80 and text.startswith(" ⏎ Send  ^j Newline")
        assert text.endswith("▏^p palette ")

        await pilot.press("f2")  # the Models pane: its keys replace the chat input's
        await wait_until(pilot, lambda: "Pull" in [d for _, d, _ in shown(app)], what="the Models pane's keys")
        assert "Send" not in [d for _, d, _ in shown(app)]
        assert "p Pull" in line(app)


async def test_a_key_the_user_rebinds_is_shown_as_rebound(make_app, xdg: Paths) -> None:
    with xdg.config_file.open("a") as config:
        config.write('\n[keys.app]\nnext_pane = "ctrl+b"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: shown(app), what="the keys")
        assert ("^b", "Next pane", True) in shown(app)
        assert "^t" not in [display for display, _, _ in shown(app)]


async def test_at_a_narrow_width_the_palettes_key_keeps_the_right_edge(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(40, 24)) as pilot:
        await wait_until(pilot, lambda: shown(app), what="the keys")
        text = line(app)
        assert len(text) == 40
        assert text.endswith("▏^p palette ")
        assert text.startswith(" ⏎ Send ")


async def test_clicking_an_entry_presses_its_key(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: shown(app), what="the keys")
        bar = app.query_one(KeyBar)
        column = line(app).index("Next pane")
        assert bar.entry_at(column).description == "Next pane"
        await pilot.click(KeyBar, offset=(column, 0))
        await wait_until(pilot, lambda: app.active_pane == "models", what="the next pane")
        assert bar.entry_at(80 - len("palette ")).description == "palette"
        assert bar.entry_at(80 - len("▏^p palette ")) is None  # the separator is no key


async def test_a_binding_the_pane_disables_is_shown_dimmed(make_app) -> None:
    from rich.style import Style

    from sovtui.ui.panes.models import ModelsPane

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: "Pull" in [d for _, d, _ in shown(app)], what="the Models pane's keys")
        pane = app.query_one(ModelsPane)
        pane.check_action = lambda action, parameters: None if action == "pull" else True  # type: ignore[method-assign]  # None: shown, disabled
        pane.refresh_bindings()
        await wait_until(pilot, lambda: ("p", "Pull", False) in shown(app), what="Pull disabled")
        rendered = app.query_one(KeyBar).render()
        start = rendered.plain.index(" p Pull")
        assert any(isinstance(span.style, Style) and span.style.dim for span in rendered.spans if span.start <= start + 1 < span.end)
        assert not any(isinstance(span.style, Style) and span.style.dim for span in rendered.spans if span.start <= rendered.plain.index("Quit") < span.end)  # the others are not
