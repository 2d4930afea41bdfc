"""The painter batches a flood of fragments into frames and never loses one."""

from __future__ import annotations

import asyncio

from sovtui.ui.widgets.reply_painter import ReplyPainter


class SlowWidget:
    """Stands in for a MessageWidget whose layout takes a while."""

    def __init__(self, cost: float) -> None:
        self.cost = cost
        self.batches: list[tuple[str, str]] = []

    async def append(self, content: str = "", thinking: str = "") -> None:
        await asyncio.sleep(self.cost)
        self.batches.append((content, thinking))


async def test_a_flood_is_painted_in_a_few_batches_and_whole() -> None:
    widget = SlowWidget(cost=0.02)
    painter = ReplyPainter(widget, rate=30)
    words = [f"w{n} " for n in range(3000)]
    for n, word in enumerate(words):
        painter.add("content", word)
        if n % 100 == 0:
            await asyncio.sleep(0.005)  # the network hands over a few hundred at a time
    await painter.close()
    assert "".join(c for c, _ in widget.batches) == "".join(words)
    assert len(widget.batches) < 30, "one paint per frame, not per fragment"


async def test_closing_during_a_paint_finishes_it_and_paints_the_rest() -> None:
    widget = SlowWidget(cost=0.05)
    painter = ReplyPainter(widget, rate=30)
    painter.add("thinking", "hmm ")
    painter.add("content", "first ")
    await asyncio.sleep(0.01)  # the first paint is under way
    painter.add("content", "second")
    await painter.close()
    assert widget.batches == [("first ", "hmm "), ("second", "")]


async def test_the_last_batch_is_painted_at_once_not_at_the_next_tick() -> None:
    widget = SlowWidget(cost=0)
    painter = ReplyPainter(widget, rate=1)  # a tick a second
    painter.add("content", "a")
    await asyncio.sleep(0.01)
    painter.add("content", "b")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await painter.close()
    assert loop.time() - started < 0.5
    assert "".join(c for c, _ in widget.batches) == "ab"


async def test_a_cancelled_reader_still_gets_everything_painted() -> None:
    widget = SlowWidget(cost=0.03)

    async def reader() -> None:
        painter = ReplyPainter(widget, rate=30)
        try:
            for n in range(1000):
                painter.add("content", f"{n} ")
                await asyncio.sleep(0)
            await asyncio.sleep(10)  # the model goes quiet; the user presses escape
        except asyncio.CancelledError:
            await painter.close()
            raise

    task = asyncio.create_task(reader())
    await asyncio.sleep(0.1)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    assert "".join(c for c, _ in widget.batches) == "".join(f"{n} " for n in range(1000))
