"""One chat message: who said it, the thinking (folded), the text, the stats.

A reply that is still arriving is appended to its Markdown widget (the chat
pane batches chunks into frames), which parses and lays out only its last
block again instead of the whole message. A long last paragraph would still
be wrapped whole on every frame, so once it passes ``PIECE_CHARS`` it is cut
at a wrapped line into a finished piece and a new live piece
(``paragraph_cut``); the pieces look like one paragraph. When the reply ends
and is on screen, the pieces are joined back into one Markdown document, so
it rewraps and selects like any other message, and the final text is set
once, so nothing a fragment missed is lost.

A model's words are shown, never obeyed: Textual's Markdown and Static pass
control characters to the terminal as they are, so every text enters this
widget through ``safe_text`` (a label through ``safe_line``): when it is made,
each batch of streamed fragments, and the final text. The widget's
``content`` is what is shown, and what ``c`` copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from sovtui.text import safe_line, safe_text
from sovtui.ui.widgets.paragraph_cut import find_cut

def call_lines(tool_calls: list[dict[str, object]]) -> list[str]:
    """An assistant message's tool calls (as Ollama sends them), one line each."""
    if not tool_calls:
        return []
    from sovtui.agent.tools import describe_call  # only for an agent's reply: the agent package is not light

    lines = []
    for call in tool_calls:
        function = call.get("function")
        if isinstance(function, dict):
            arguments = function.get("arguments")
            lines.append(describe_call(str(function.get("name", "")), arguments if isinstance(arguments, dict) else {}))
    return lines


if TYPE_CHECKING:  # Markdown is imported when the first reply is shown, not at start-up
    from textual.widgets import Collapsible, Markdown
    from textual.widgets.markdown import MarkdownStream

    from sovtui.chat.models import Message

#: A streaming paragraph is cut into pieces once its live part is longer than
#: this: about a dozen lines at 80 columns, a millisecond or two to lay out.
PIECE_CHARS = 1_000


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
    MessageWidget.-tool {
        border-left: outer $success;
        color: $text-muted;
    }
    MessageWidget.-tool.-refused {
        border-left: outer $warning;
        color: $warning;
    }
    MessageWidget > .message--call {
        color: $text-muted;
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
        calls: tuple[str, ...] = (),
        refused: bool = False,
    ) -> None:
        super().__init__(classes=f"-{role} -refused" if refused else f"-{role}")
        self.index = index
        self.role = role
        self.label = safe_line(label)
        self.content = safe_text(content)
        self.thinking = safe_text(thinking)
        self.stats = stats
        self.interrupted = interrupted
        #: An agent's tool calls in this reply, one line each (``describe_call``).
        self.calls = calls
        self._pieces: list[Markdown] = []  # while streaming: the reply's Markdown pieces, the last one live
        self._thinking_stream: MarkdownStream | None = None

    @classmethod
    def of(cls, index: int, message: Message) -> MessageWidget:
        """The widget for a saved message (the ``index``-th of its conversation)."""
        assistant = message.role == "assistant"
        if message.role == "tool":  # a tool's outcome: one compact line
            return cls(index=index, role="tool", label=message.tool_name, content=message.summary or message.content,
                       refused=message.refused)
        return cls(
            index=index,
            role=message.role,
            label="you" if message.role == "user" else (message.model or message.role),
            content=message.content,
            thinking=message.thinking,
            stats=message.stats if assistant else "",
            interrupted=message.interrupted,
            calls=tuple(call_lines(message.tool_calls)),
        )

    # A long conversation mounts many of these, and every widget costs style
    # and layout work: a message mounts only the parts it has. A prompt is
    # plain text (a Static); only replies are Markdown; the thinking fold,
    # the stats line and the interrupted mark appear when there is one.

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        if self.role == "tool":
            mark = "✗" if self.has_class("-refused") else "✓"
            yield Static(f"{mark} {self.label} · {self.content}", id="content", classes="message--prompt", markup=False)
            return
        yield Static(self.label, classes="message--role", markup=False)
        if self.thinking:
            yield self._thinking_fold(self.thinking)
        if self.role == "user":
            yield Static(self.content, id="content", classes="message--prompt", markup=False)
        elif self.content or not self.calls:
            yield Markdown(self.content, id="content")
        for line in self.calls:
            yield self._call_line(line)
        if self.stats:
            yield Static(self.stats, classes="message--stats", markup=False, id="stats")
        if self.interrupted:
            yield self._interrupted_mark()

    @staticmethod
    def _thinking_fold(text: str) -> Collapsible:
        from textual.widgets import Collapsible, Markdown

        return Collapsible(Markdown(text, id="thinking-text"), title="thinking", collapsed=True, id="thinking")

    @staticmethod
    def _call_line(line: str) -> Static:
        return Static(f"→ {line}", classes="message--call", markup=False)

    async def add_call(self, line: str) -> None:
        """Show a tool call this reply made (``describe_call``'s line), below its words."""
        self.calls = (*self.calls, line)
        call = self._call_line(line)
        after = self.query(".message--call").last() if self.query(".message--call") else self.query_one("#content")
        await self.mount(call, after=after)

    @staticmethod
    def _interrupted_mark() -> Static:
        return Static("⚠ interrupted: the reply was cut off", classes="message--interrupted", id="interrupted")

    # --- streaming ------------------------------------------------------------

    async def append(self, content: str = "", thinking: str = "") -> None:
        """Append fragments of a reply as they arrive (one batch per frame: one translate each)."""
        from textual.widgets import Markdown

        content, thinking = safe_text(content), safe_text(thinking)
        if thinking:
            if self._thinking_stream is None:
                if not self.query("#thinking"):
                    await self.mount(self._thinking_fold(""), after=self.query_one(".message--role"))
                self._thinking_stream = Markdown.get_stream(self.query_one("#thinking-text", Markdown))
            self.thinking += thinking
            await self._thinking_stream.write(thinking)
        if content:
            if not self._pieces:
                self._pieces.append(self.query_one("#content", Markdown))
            self.content += content
            live = self._pieces[-1]
            await live.append(content)
            await self._cut_long_paragraph(live)

    async def _cut_long_paragraph(self, live: Markdown) -> None:
        """Freeze all but the last lines of a long streaming paragraph (see the module docstring)."""
        from textual.content import Content
        from textual.widgets import Markdown
        from textual.widgets.markdown import MarkdownBlock

        blocks = live.children
        if not blocks:
            return
        paragraph = blocks[-1]
        if not isinstance(paragraph, MarkdownBlock) or paragraph.name != "paragraph_open":
            return
        content = paragraph.content
        if not isinstance(content, Content):
            return
        plain = content.plain
        if len(plain) <= PIECE_CHARS:
            return
        start = paragraph.source_range[0]
        source = "".join(live.source.splitlines(keepends=True)[start:])
        # Every piece wraps at this message's width (a piece mounted in this frame has no size of its own yet).
        cut = find_cut(plain, source, self.size.width)
        if cut is None:
            return
        at, source_at = cut
        piece = Markdown(source[source_at:], classes="message--piece")
        with self.app.batch_update():
            paragraph.set_content(content[:at].rstrip())
            await self.mount(piece, after=live)
        self._pieces.append(piece)

    async def finish_with(self, message: Message | None, *, interrupted: bool) -> None:
        """``finish`` with the reply as the session kept it (None: nothing arrived but what is shown)."""
        if message is None:
            await self.finish(content=self.content, thinking=self.thinking, stats="", interrupted=interrupted)
        else:
            await self.finish(content=message.content, thinking=message.thinking, stats=message.stats, interrupted=interrupted)

    async def finish(self, *, content: str, thinking: str, stats: str, interrupted: bool) -> None:
        """End the stream and make sure the final text is what is shown.

        The text is set once more only if the streamed document differs from
        it (a fragment the stream dropped, such as a closing code fence): a
        long reply is not parsed and laid out again for nothing.
        """
        from textual.widgets import Markdown

        if self._thinking_stream is not None:
            await self._thinking_stream.stop()
        self._thinking_stream = None
        content, thinking = safe_text(content), safe_text(thinking)
        self.content, self.thinking = content, thinking
        pieces, self._pieces = self._pieces[1:], []
        body = self.query_one("#content", Markdown)
        if pieces:
            # The last piece is on screen already; joining them is invisible work for after this frame.
            self.call_after_refresh(self._join_pieces, body, pieces)
        elif body.source != content:
            await body.update(content)
        if thinking:
            if not self.query("#thinking"):
                await self.mount(self._thinking_fold(thinking), after=self.query_one(".message--role"))
            thinking_text = self.query_one("#thinking-text", Markdown)
            if thinking_text.source != thinking:
                await thinking_text.update(thinking)
        await self.set_stats(stats)
        await self.set_interrupted(interrupted)

    async def _join_pieces(self, body: Markdown, pieces: list[Markdown]) -> None:
        if not self.is_attached:  # the message went (regenerated, another conversation opened) first
            return
        with self.app.batch_update():
            await body.update(self.content)
            await self.remove_children(pieces)

    def set_label(self, label: str) -> None:
        self.label = safe_line(label)
        self.query_one(".message--role", Static).update(self.label)

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
