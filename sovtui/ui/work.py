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
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar, overload

from textual.app import App
from textual.widget import Widget
from textual.worker import Worker

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


def record_bug(log_dir: Path, where: str, error: BaseException) -> Path:
    """Append a bug's type and frames to ``log_dir/bugs.log``; the path.

    Only the exception's type and where it was raised are written, never its
    message or any local variable: either could hold a secret (a wallet URI,
    a passphrase) that a log file must not.
    """
    import time
    import traceback

    from sovtui.files import locked
    from sovtui.paths import ensure_private_dir

    ensure_private_dir(log_dir)
    path = log_dir / "bugs.log"
    frames = "".join(f"  {frame.filename}:{frame.lineno} in {frame.name}\n" for frame in traceback.extract_tb(error.__traceback__))
    entry = f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {where}: {type(error).__name__}\n{frames}"
    with locked(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(entry)
    return path


def report_failed_worker(node: Widget | App[int], log_dir: Path, worker: Worker[object]) -> None:
    """A worker ended on a bug (workers are declared ``exit_on_error=False``): say so, keep the app.

    Without this, a bug in a worker would end it silently and leave its
    screen waiting ("reaching main…") for an answer that never comes.
    """
    error = worker.error
    if error is None:
        return
    what = worker.description or worker.name or "a background task"
    try:
        path: Path | str = record_bug(log_dir, what, error)
    except OSError:
        path = "no log could be written"
    node.notify(f"{what} stopped on a bug ({type(error).__name__}); sovtui goes on. Details: {path}", severity="error", timeout=15)
