"""Painting a streaming reply at screen speed, not network speed.

A model can send thousands of fragments a second; laying the message out for
each would fall far behind. The worker that reads the stream only hands
fragments to a ``ReplyPainter``; the painter's own task gives them to the
message widget in one batch per frame.

It is a task, not a Textual timer, for three reasons: stopping a timer
cancels its callback wherever it is, so a batch could be cut off halfway
through layout; a tick fires on the clock even when nothing arrived; and
when the stream ends the last batch should be painted at once, not at the
next tick. (It paces painting, it runs no work: the reply is read by the
pane's worker, through ``paint_reply``.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sovtui.chat.models import Message
    from sovtui.chat.session import ReplyEvent
    from sovtui.ui.widgets.message import MessageWidget


async def paint_reply(
    widget: MessageWidget,
    stream: AsyncIterator[ReplyEvent],
    rate: float,
    *,
    add: Callable[[MessageWidget], Awaitable[MessageWidget]] | None = None,
    index_of: Callable[[Message], int] | None = None,
) -> Message | None:
    """Show a streaming reply in ``widget`` at most ``rate`` times a second; the reply as kept.

    Stopped (cancelled) or failed (a ``SovtuiError`` from the session), the
    widget shows what arrived, marked interrupted, and the exception goes on.

    An agent's reply is several messages: its words, the tool calls it makes
    (lines under those words), each call's outcome (a message of its own),
    then its words again. ``add`` mounts the widget of each message after the
    first (``MessageLog.add``), ``index_of`` says where a message is in the
    conversation.
    """
    from sovtui.ui.widgets.message import MessageWidget

    message: Message | None = None  # the message ``widget`` shows
    finished = False  # ``widget`` shows its message's end already (its calls began)
    painter = ReplyPainter(widget, rate)
    try:
        async for event in stream:
            if event.kind == "done":
                continue
            if event.kind == "tool_result":
                if add is not None and index_of is not None:
                    await add(MessageWidget.of(index_of(event.message), event.message))
                continue
            if message is not None and event.message is not message and add is not None and index_of is not None:
                # The agent speaks again after its tool calls: a new message, a new widget.
                await painter.close()
                if not finished:
                    await widget.finish_with(message, interrupted=False)
                label = event.message.model or "…"
                widget = await add(MessageWidget(index=index_of(event.message), role="assistant", label=label))
                painter, finished = ReplyPainter(widget, rate), False
            message = event.message
            if widget.label == "…" and message.model:
                widget.set_label(message.model)
            if event.kind in ("content", "thinking"):
                painter.add(event.kind, event.text)
            elif event.kind == "finished":
                await painter.close()  # the end on screen now; the save to disk follows
            elif event.kind == "tool_call" and event.call is not None:
                from sovtui.agent.tools import describe_call

                if not finished:
                    await painter.close()
                    await widget.finish_with(message, interrupted=False)
                    finished = True
                await widget.add_call(describe_call(event.call.name, event.call.arguments))
        await painter.close()
    except BaseException:
        await painter.close()
        if not finished:
            await widget.finish_with(message, interrupted=True)
        raise
    if not finished:
        await widget.finish_with(message, interrupted=False)
    return message


class ReplyPainter:
    def __init__(self, widget: Any, rate: float) -> None:
        self.widget = widget
        self.interval = 1 / rate
        self._pending: dict[str, list[str]] = {"content": [], "thinking": []}
        self._arrived = asyncio.Event()
        self._closing = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def add(self, kind: str, text: str) -> None:
        """Queue a fragment ("content" or "thinking"); it is painted within a frame."""
        self._pending[kind].append(text)
        self._arrived.set()

    async def close(self) -> None:
        """Paint what is left, now, and stop. Safe to await from a worker being cancelled."""
        self._closing.set()
        self._arrived.set()
        await asyncio.shield(self._task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        painted = -self.interval
        while True:
            await self._arrived.wait()
            wait = painted + self.interval - loop.time()
            if wait > 0 and not self._closing.is_set():
                try:  # the rest of this frame, or until the stream ends
                    await asyncio.wait_for(self._closing.wait(), wait)
                except asyncio.TimeoutError:
                    pass
            self._arrived.clear()
            content = "".join(self._pending["content"])
            thinking = "".join(self._pending["thinking"])
            self._pending["content"].clear()
            self._pending["thinking"].clear()
            painted = loop.time()
            if content or thinking:
                await self.widget.append(content=content, thinking=thinking)
            if self._closing.is_set() and not self._arrived.is_set():
                return
