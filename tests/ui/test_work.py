"""One way to run work from a screen: a value back, or the error shown and None."""

from __future__ import annotations

import threading

from textual.app import App, ComposeResult
from textual.widgets import Static

from sovtui.errors import SovtuiError
from sovtui.ui.work import attempt, succeeds


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(id="spot")


async def test_a_blocking_call_runs_off_the_event_loop_and_returns_its_value() -> None:
    app = Host()
    async with app.run_test():
        spot = app.query_one("#spot")
        main = threading.get_ident()
        assert await attempt(spot, lambda: threading.get_ident() != main) is True


async def test_a_coroutine_is_awaited_and_returns_its_value() -> None:
    async def answer() -> int:
        return 42

    app = Host()
    async with app.run_test():
        assert await attempt(app.query_one("#spot"), answer()) == 42


async def test_an_expected_failure_is_shown_once_and_gives_none() -> None:
    def refuse() -> None:
        raise SovtuiError("over the budget: 400 of 1,000 sats left")

    app = Host()
    async with app.run_test() as pilot:
        spot = app.query_one("#spot")
        assert await attempt(spot, refuse) is None
        assert await succeeds(spot, refuse) is False
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["over the budget: 400 of 1,000 sats left"] * 2


async def test_an_error_can_be_shown_inline_instead() -> None:
    shown: list[str] = []

    def refuse() -> None:
        raise SovtuiError("wrong passphrase")

    app = Host()
    async with app.run_test():
        assert not await succeeds(app.query_one("#spot"), refuse, on_error=lambda exc: shown.append(str(exc)))
        assert shown == ["wrong passphrase"] and not app._notifications


async def test_a_bug_is_not_swallowed() -> None:
    def bug() -> None:
        raise KeyError("a bug")

    app = Host()
    async with app.run_test():
        try:
            await attempt(app.query_one("#spot"), bug)
        except KeyError:
            pass
        else:
            raise AssertionError("a bug must reach the worker")
