"""A long streaming paragraph is cut into pieces that look exactly like one.

The pieces exist only for speed (see ``paragraph_cut``): what is on screen
while the reply streams, and after it ends, must be what a single Markdown
document of the same text shows.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from sovtui.ui.widgets.message import PIECE_CHARS, MessageWidget

WIDTH, HEIGHT = 80, 200

#: One paragraph with emphasis, code spans and strikethrough spread through it,
#: some of them crossing where wrapped lines start.
WORDS = [
    "**bold words here**" if n % 37 == 0 else "`code_span()`" if n % 23 == 0 else "~~gone~~" if n % 41 == 0 else f"word{n}"
    for n in range(700)
]
PARAGRAPH = " ".join(WORDS)


class Log(App[None]):
    def __init__(self, message: MessageWidget) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.message


def screen_lines(app: App) -> list[str]:  # type: ignore[type-arg]
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


async def reference_lines(text: str) -> list[str]:
    app = Log(MessageWidget(index=1, role="assistant", label="bench", content=text))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        return screen_lines(app)


async def stream(text: str, *, step: int = 97, head: str = "") -> tuple[list[list[str]], list[str], int]:
    """Stream ``text`` in ``step``-character chunks; the screens at each frame, at the end, and the piece count."""
    widget = MessageWidget(index=1, role="assistant", label="bench")
    app = Log(widget)
    frames: list[list[str]] = []
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        if head:
            await widget.append(content=head)
            await pilot.pause()
        for start in range(0, len(text), step):
            await widget.append(content=text[start : start + step])
            await pilot.pause()
            frames.append(screen_lines(app))
        pieces = len(widget.query(Markdown))
        await widget.finish(content=head + text, thinking="", stats="", interrupted=False)
        await pilot.pause()
        await pilot.pause()
        assert len(widget.query(Markdown)) == 1, "the pieces are joined once the reply ends"
        assert widget.query_one("#content", Markdown).source == head + text
        return frames, screen_lines(app), pieces


async def test_a_long_paragraph_streams_in_pieces_that_look_like_one() -> None:
    frames, final, pieces = await stream(PARAGRAPH)
    assert pieces > 3, "a paragraph several times PIECE_CHARS long is cut"
    expected = await reference_lines(PARAGRAPH)
    assert frames[-1] == expected, "while streaming, the pieces show what one paragraph would"
    assert final == expected


async def test_every_frame_matches_the_text_received_so_far() -> None:
    text = PARAGRAPH[: PIECE_CHARS * 3]
    frames, _, pieces = await stream(text, step=211)
    assert pieces > 1
    for n, frame in enumerate(frames):
        received = text[: (n + 1) * 211]
        if received.count("**") % 2 or received.count("`") % 2 or received.count("~~") % 2:
            continue  # an emphasis still open renders literally until it closes, pieces or not
        assert frame == await reference_lines(received), f"frame {n}"


async def test_blocks_before_the_paragraph_keep_their_look() -> None:
    head = "# A heading\n\n- one\n- two\n\nSome text first.\n\n"
    frames, final, pieces = await stream(PARAGRAPH, head=head)
    assert pieces > 3
    expected = await reference_lines(head + PARAGRAPH)
    assert frames[-1] == expected
    assert final == expected


async def test_a_paragraph_it_cannot_cut_safely_is_shown_whole() -> None:
    text = "An [early link](https://example.com/x) " + " ".join(f"word{n}" for n in range(400))
    frames, final, pieces = await stream(text)
    assert pieces == 1
    assert frames[-1] == final == await reference_lines(text)
