"""The Chat and Models panes and their dialogs are styled from .tcss files beside them; the top bar by itself alone."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from sovtui.resources import themes_dir


def _classes() -> list[type]:
    from sovtui.ui.panes.chat import ChatPane
    from sovtui.ui.panes.models import ModelsPane
    from sovtui.ui.screens.chat_options import ChatOptionsScreen
    from sovtui.ui.screens.model_dialogs import HostPicker, ModelDetailsScreen, PullDialog
    from sovtui.ui.screens.text_view import TextViewScreen

    return [ChatPane, ModelsPane, ChatOptionsScreen, PullDialog, ModelDetailsScreen, HostPicker, TextViewScreen]


@pytest.mark.parametrize("cls", _classes(), ids=lambda cls: cls.__name__)
def test_a_stylesheet_beside_the_module_names_what_it_styles(cls: type) -> None:
    module = Path(inspect.getfile(cls))
    path = (module.parent / cls.CSS_PATH).resolve()
    assert path.is_file() and path.parent == module.parent
    assert cls.__dict__.get("DEFAULT_CSS") is None
    assert cls.__name__ in path.read_text()


def test_the_app_stylesheet_leaves_the_top_bar_to_itself() -> None:
    """A rule for TopBar there won over the widget's own whatever its specificity (the status's width)."""
    assert "TopBar" not in (themes_dir() / "sovtui.tcss").read_text()


async def test_the_panes_are_laid_out_as_before(make_app, ollama) -> None:  # type: ignore[no-untyped-def]
    from sovtui.ui.panes.chat import ChatPane
    from sovtui.ui.panes.models import ModelsPane

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        chat, models = app.query_one(ChatPane), app.query_one(ModelsPane)
        assert chat.styles.layout is not None and chat.styles.layout.name == "horizontal"
        assert (models.styles.padding.left, models.styles.padding.right) == (1, 1)
        assert str(app.query_one("#topbar-status").styles.width) == "auto"
        assert str(app.query_one("#topbar-host").styles.width) == "1fr"
