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


async def test_a_worker_that_stops_on_a_bug_is_said_and_logged_without_its_message(make_app, xdg) -> None:  # type: ignore[no-untyped-def]
    """exit_on_error=False keeps the app; the bug is not silent, and its message (maybe a secret) is not logged."""
    from textual import work

    from sovtui.ui.pane import Pane

    class Buggy(Pane):
        @work(group="test", description="Paying the invoice", exit_on_error=False)
        async def fail(self) -> None:
            raise ValueError("nostr+walletconnect://secret=abc")

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = Buggy()
        await app.screen.mount(pane)
        pane.fail()
        from tests.pilot_helpers import wait_until

        # Reported from the worker's state change: poll up to wait_until's 10 s, not 2 s, on a loaded machine.
        await wait_until(pilot, lambda: bool(app._notifications), what="the bug's notification")
        assert app.is_running
        [note] = [n.message for n in app._notifications]
        assert note.startswith("Paying the invoice stopped on a bug (ValueError); sovtui goes on.")
        log = (xdg.log_dir / "bugs.log").read_text()
        assert "ValueError" in log and "test_work.py" in log and "secret" not in log
