"""Driving the app with Pilot when workers open dialogs.

A worker that waits on a dialog never completes until the dialog is
answered, so ``app.workers.wait_for_complete()`` would hang; these helpers
poll for the screen instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any


async def wait_for_workers(app: Any, *workers: Any) -> None:
    """Wait for ``workers`` (else every running worker) to finish.

    Unlike ``app.workers.wait_for_complete()``, a worker cancelled on the way
    is not a failure: an exclusive worker (the conversation list's loader) is
    cancelled whenever a newer one replaces it, and which of the two wins
    the race depends on the machine's load. Any other error is raised.
    """
    from textual.worker import WorkerCancelled

    waiting = list(workers or app.workers)
    outcomes = await asyncio.gather(*(worker.wait() for worker in waiting), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, (WorkerCancelled, asyncio.CancelledError)):
            raise outcome


async def settle(app: Any, pilot: Any = None, *, press: Sequence[str] = ()) -> None:
    """Let the app catch up: press ``press`` (else let the queue run), then wait until no worker runs a frame later.

    Inside ``run_test``: ``await settle(app, pilot)``. As snap_compare's
    ``run_before``, which hands over the pilot alone: ``run_before=settle``,
    or with keys first ``run_before=partial(settle, press=["f2"])``. Not while
    a worker waits on a dialog: use ``wait_for_screen`` then.
    """
    if pilot is None:
        app, pilot = app.app, app
    if press:
        await pilot.press(*press)
    else:
        await pilot.pause()
    # A worker may start another as it ends (a sent prompt starts the reply's stream; a
    # deletion, the list's refresh), and a loaded machine may still be in the first when
    # the workers are counted: wait until no worker runs after a frame, not for the first lot.
    for _ in range(50):
        await wait_for_workers(app)
        await pilot.pause()
        if not any(not worker.is_finished for worker in app.workers):
            return
    raise AssertionError(f"the workers never settled: {[worker for worker in app.workers if not worker.is_finished]}")


async def wait_for_screen(app: Any, pilot: Any, kind: type, *, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if isinstance(app.screen, kind):
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{kind.__name__} never opened; the screen is {app.screen}")


async def wait_until(pilot: Any, condition: Any, *, timeout: float = 10.0, what: str = "condition") -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def answer_text(app: Any, pilot: Any, text: str) -> None:
    """Fill the TextDialog that is (or is about to be) open and submit it."""
    from textual.widgets import Input

    from sovtui.ui.screens.dialogs import TextDialog

    await wait_for_screen(app, pilot, TextDialog)
    app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def wait_for_palette(app: Any, pilot: Any, search: str, *, timeout: float = 10.0) -> None:
    """Wait until the command palette has searched for ``search`` and highlights a result.

    The palette gathers its results in a worker: enter pressed before that
    finishes selects nothing, or a result of an earlier, shorter search.
    """
    from textual.command import CommandList, CommandPalette

    def found() -> bool:
        screen = app.screen
        if not isinstance(screen, CommandPalette) or screen.query_one("CommandInput").value != search:
            return False
        gathering = [w for w in app.workers if w.node is screen and w.group == CommandPalette._GATHER_COMMANDS_GROUP and not w.is_finished]
        return not gathering and screen.query_one(CommandList).highlighted is not None

    await wait_until(pilot, found, timeout=timeout, what=f"the palette's results for {search!r}")
