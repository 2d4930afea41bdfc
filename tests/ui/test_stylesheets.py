"""Stylesheets live beside what they style, are found from the module that names them, and ship in the wheel."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def wheel_files() -> set[str]:
    """What the wheel would hold, as hatchling lists it (no build: the same file selection, in a fraction of a second)."""
    from hatchling.builders.wheel import WheelBuilder

    return {f.distribution_path for f in WheelBuilder(str(ROOT)).recurse_included_files()}


def test_every_stylesheet_beside_a_module_ships_in_the_wheel() -> None:
    beside = {path.relative_to(ROOT).as_posix() for path in (ROOT / "sovtui").rglob("*.tcss")}
    assert "sovtui/ui/panes/keys.tcss" in beside
    assert beside - wheel_files() == set()


def _screens_and_panes() -> list[type]:
    from sovtui.ui.panes.keys import KeysPane
    from sovtui.ui.screens.credentials import CredentialsScreen
    from sovtui.ui.screens.key_details import KeyDetailsScreen
    from sovtui.ui.wizard.screen import WizardScreen

    return [KeysPane, CredentialsScreen, KeyDetailsScreen, WizardScreen]


@pytest.mark.parametrize("cls", _screens_and_panes(), ids=lambda cls: cls.__name__)
def test_css_path_is_a_file_beside_the_module(cls: Any) -> None:
    """Textual resolves a relative CSS_PATH against the file that defines the class (``_make_path_object_relative``)."""
    module = Path(inspect.getfile(cls))
    path = (module.parent / cls.CSS_PATH).resolve()
    assert path.is_file() and path.parent == module.parent
    assert cls.__dict__.get("DEFAULT_CSS") is None, "a screen's or pane's own rules live in its .tcss"
    assert cls.__name__ in path.read_text(), "every rule names what it styles: a .tcss is not scoped"


async def test_a_pane_reads_its_stylesheet_once_it_is_built(make_app) -> None:  # type: ignore[no-untyped-def]
    from sovtui.ui.panes.keys import KeysPane

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        pane = app.query_one(KeysPane)
        (path,) = KeysPane.css_paths()
        assert app.stylesheet.has_source(str(path))
        assert (pane.styles.padding.left, pane.styles.padding.right) == (1, 1)


async def test_a_pane_mounted_late_is_styled_by_its_stylesheet_at_once(tmp_path: Path) -> None:
    """The first styling of a pane built after start-up sees its .tcss.

    Textual styles a widget just after ``_post_register``, from the app's map of
    selectors to rules; ``Stylesheet.read`` left the map of the last parse in
    place, so a pane built lazily (the Models pane) was first styled without
    its own rules: no padding until something restyled it.
    """
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    from sovtui.ui.pane import Pane

    sheet = tmp_path / "probe.tcss"
    sheet.write_text("ProbePane { padding: 0 3; }\n")
    seen: list[bool] = []

    class ProbePane(Pane):
        CSS_PATH = str(sheet)

        def _post_register(self, app: App[None]) -> None:  # type: ignore[override]
            super()._post_register(app)
            seen.append("ProbePane" in app.stylesheet.rules_map)

    class FirstPane(Pane):
        """Built at start-up, as the Chat pane is: the base class's own rules are known by then."""

    class ProbeApp(App[None]):
        def compose(self) -> ComposeResult:
            yield FirstPane(Static("already styled"))

    app = ProbeApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "ProbePane" not in app.stylesheet.rules_map  # the map as the app last styled from it
        pane = ProbePane()
        await app.mount(pane)
        assert seen == [True], "the pane's rules are in the map it is first styled from"
        assert pane.styles.padding.left == 3
