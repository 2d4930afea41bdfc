"""One chat message: who said it, the thinking (folded), the text, the stats.

A reply that is still arriving is streamed into its Markdown widget with
Textual's ``MarkdownStream``, which appends fragments (batching them when
they come faster than the screen can paint) instead of re-rendering the whole
message per chunk. When the stream ends the final text is set once, so a
closing code fence the stream may have dropped is not lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

if TYPE_CHECKING:  # Markdown is imported when the first reply is shown, not at start-up
    from textual.widgets._markdown import MarkdownStream


class MessageWidget(Vertical, can_focus=True):
    DEFAULT_CSS = """
    MessageWidget {
        height: auto;
        padding: 0 1;
        margin: 0 0 1 0;
    }
    MessageWidget.-user {
        background: $boost;
        border-left: outer $secondary;
    }
    MessageWidget.-assistant {
        border-left: outer $primary;
    }
    MessageWidget:focus {
        background: $primary 15%;
    }
    MessageWidget > .message--role {
        color: $text-muted;
        text-style: bold;
        height: 1;
    }
    MessageWidget > .message--stats {
        color: $text-muted;
        height: 1;
    }
    MessageWidget > .message--interrupted {
        color: $warning;
        height: 1;
    }
    MessageWidget > .message--prompt {
        height: auto;
    }
    MessageWidget Markdown {
        margin: 0;
        padding: 0;
    }
    /* MarkdownBlock, not "*": a rule on ":last-child" marks every widget its
       last part matches as order-dependent, and Textual restyles such a widget
       and all it holds whenever a sibling is mounted. With "*" that was every
       message in the log, each time an earlier batch was mounted. */
    MessageWidget Markdown > MarkdownBlock:last-child {
        margin-bottom: 0;
    }
    MessageWidget Collapsible {
        padding: 0;
        margin: 0;
        border: none;
        background: transparent;
    }
    MessageWidget Collapsible Markdown {
        color: $text-muted;
    }
    """

    def __init__(
        self,
        *,
        index: int,
        role: str,
        label: str,
        content: str = "",
        thinking: str = "",
        stats: str = "",
        interrupted: bool = False,
    ) -> None:
        super().__init__(classes=f"-{role}")
        self.index = index
        self.role = role
        self.label = label
        self.content = content
        self.thinking = thinking
        self.stats = stats
        self.interrupted = interrupted
        self._stream: MarkdownStream | None = None
        self._thinking_stream: MarkdownStream | None = None

    # A long conversation mounts many of these, and every widget costs style
    # and layout work: a message mounts only the parts it has. A prompt is
    # plain text (a Static); only replies are Markdown; the thinking fold,
    # the stats line and the interrupted mark appear when there is one.

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        yield Static(self.label, classes="message--role", markup=False)
        if self.thinking:
            yield self._thinking_fold(self.thinking)
        if self.role == "user":
            yield Static(self.content, id="content", classes="message--prompt", markup=False)
        else:
            yield Markdown(self.content, id="content")
        if self.stats:
            yield Static(self.stats, classes="message--stats", markup=False, id="stats")
        if self.interrupted:
            yield self._interrupted_mark()

    @staticmethod
    def _thinking_fold(text: str):  # type: ignore[no-untyped-def]
        from textual.widgets import Collapsible, Markdown

        return Collapsible(Markdown(text, id="thinking-text"), title="thinking", collapsed=True, id="thinking")

    @staticmethod
    def _interrupted_mark() -> Static:
        return Static("⚠ interrupted: the reply was cut off", classes="message--interrupted", id="interrupted")

    # --- streaming ------------------------------------------------------------

    async def append(self, content: str = "", thinking: str = "") -> None:
        """Append fragments of a reply as they arrive."""
        from textual.widgets import Markdown

        if thinking:
            if self._thinking_stream is None:
                if not self.query("#thinking"):
                    await self.mount(self._thinking_fold(""), after=self.query_one(".message--role"))
                self._thinking_stream = Markdown.get_stream(self.query_one("#thinking-text", Markdown))
            self.thinking += thinking
            await self._thinking_stream.write(thinking)
        if content:
            if self._stream is None:
                self._stream = Markdown.get_stream(self.query_one("#content", Markdown))
            self.content += content
            await self._stream.write(content)

    async def finish(self, *, content: str, thinking: str, stats: str, interrupted: bool) -> None:
        """End the stream and make sure the final text is what is shown.

        The text is set once more only if the streamed document differs from
        it (a fragment the stream dropped, such as a closing code fence): a
        long reply is not parsed and laid out again for nothing.
        """
        from textual.widgets import Markdown

        for stream in (self._stream, self._thinking_stream):
            if stream is not None:
                await stream.stop()
        self._stream = self._thinking_stream = None
        self.content, self.thinking = content, thinking
        body = self.query_one("#content", Markdown)
        if body.source != content:
            await body.update(content)
        if thinking:
            if not self.query("#thinking"):
                await self.mount(self._thinking_fold(thinking), after=self.query_one(".message--role"))
            thinking_text = self.query_one("#thinking-text", Markdown)
            if thinking_text.source != thinking:
                await thinking_text.update(thinking)
        await self.set_stats(stats)
        await self.set_interrupted(interrupted)

    async def set_stats(self, stats: str) -> None:
        self.stats = stats
        for old in self.query("#stats"):
            await old.remove()
        if stats:
            await self.mount(Static(stats, classes="message--stats", markup=False, id="stats"))

    async def set_interrupted(self, interrupted: bool) -> None:
        self.interrupted = interrupted
        for old in self.query("#interrupted"):
            await old.remove()
        if interrupted:
            await self.mount(self._interrupted_mark())

    def toggle_thinking(self) -> None:
        from textual.widgets import Collapsible

        for fold in self.query("#thinking").results(Collapsible):
            fold.collapsed = not fold.collapsed
