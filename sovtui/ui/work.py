"""One way to run work from a screen: off the event loop, errors shown, values returned.

A pane, a dialog or a wizard step asks a service for something in one of two
shapes: a coroutine (the service is async: a relay, a model server) or a
blocking call (scrypt, a file write under a lock). ``attempt`` takes either,
awaits the coroutine here or runs the call in a thread, and gives back its
value. An expected failure, a ``SovtuiError``, is shown where the caller
says (a notification by default, or an inline line) and becomes ``None``;
anything else is a bug and propagates to the worker, which the caller
declares with ``exit_on_error=False`` so that a bug ends the worker, not the app.

Workers themselves stay Textual's: ``@work(group=..., description=...,
exit_on_error=False)`` on the handler that calls ``attempt``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

from textual.widget import Widget

from sovtui.errors import SovtuiError

T = TypeVar("T")

#: Where an error is shown: None (a notification), or a callable that shows it inline.
ErrorSink = Callable[[SovtuiError], None] | None


@overload
async def attempt(node: Widget, work: Awaitable[T], *, on_error: ErrorSink = None) -> T | None: ...
@overload
async def attempt(node: Widget, work: Callable[[], T], *, on_error: ErrorSink = None) -> T | None: ...
async def attempt(node: Widget, work: Awaitable[T] | Callable[[], T], *, on_error: ErrorSink = None) -> T | None:
    """The value of ``work``, or None once its ``SovtuiError`` has been shown.

    ``work`` is a coroutine (awaited here) or a blocking callable (run in a
    thread, so the screen keeps drawing while it runs).
    """
    try:
        if inspect.isawaitable(work):
            return await work
        return await asyncio.to_thread(work)
    except SovtuiError as exc:
        if on_error is None:
            node.notify(str(exc), severity="error")
        else:
            on_error(exc)
        return None


async def succeeds(node: Widget, work: Awaitable[object] | Callable[[], object], *, on_error: ErrorSink = None) -> bool:
    """True when ``work`` finished without a ``SovtuiError`` (for calls that return nothing)."""
    failed = False

    def note(exc: SovtuiError) -> None:
        nonlocal failed
        failed = True
        if on_error is None:
            node.notify(str(exc), severity="error")
        else:
            on_error(exc)

    await attempt(node, work, on_error=note)
    return not failed
