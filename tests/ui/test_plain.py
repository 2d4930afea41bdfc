"""Outside text in tables and options is shown as it is: markup in it is not parsed."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, OptionList

from sovtui.ui.plain import plain


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()
        yield OptionList()


async def test_a_description_with_markup_neither_crashes_a_table_nor_becomes_a_link() -> None:
    app = Host()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        table.add_columns("description")
        table.add_row(plain("pay [/] me [link='https://evil']here[/link]\x1b[2J"))
        app.query_one(OptionList).add_option(plain("[b]x[/b] \x9b31m"))
        await pilot.pause()
        cell = table.get_cell_at((0, 0))
        assert cell.plain == "pay [/] me [link='https://evil']here[/link][2J"
        assert not cell.spans
