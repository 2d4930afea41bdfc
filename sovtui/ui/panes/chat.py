"""The Chat pane: conversations beside the messages, the prompt box below.

It drives ``sovtui.chat.ChatSession`` (the same service as ``sovtui chat``):
a reply streams inside a worker into its message widget, appending fragments
rather than re-rendering the conversation; escape cancels the worker, which
closes the HTTP stream and keeps the partial reply (saved, marked
interrupted). The line above the prompt always says which model and which
host, and where that host is, will receive the prompt; it is drawn again
whenever that may have changed (another host, the setup wizard, a new
default model: ``action_refresh``).

The pane shows and routes; the rules are ``sovtui.chat``'s. What it asks
the person (a public host's yes, settings, rename, delete, export, personas)
is in ``chat_actions``; the conversation list beside the messages, kept up
to date from the index, in ``chat_history``. Outside text (replies,
thinking, model names, titles) is made safe where it is shown:
``MessageWidget``, ``ConversationList``, ``ChatInfo``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.worker import Worker

from sovtui.chat.models import Conversation, Message
from sovtui.chat.session import ChatSession
from sovtui.chat.store import ConversationStore
from sovtui.errors import SovtuiError
from sovtui.ui.messages import SovereigntyChanged
from sovtui.ui.panes.chat_actions import Reply, open_reply
from sovtui.ui.panes.chat_history import ChatHistory
from sovtui.ui.screens.approval import ask_approval
from sovtui.ui.widgets.chat_info import ChatInfo
from sovtui.ui.widgets.chat_input import ChatInput
from sovtui.ui.widgets.conversation_list import ConversationList
from sovtui.ui.widgets.message import MessageWidget
from sovtui.ui.widgets.message_log import MessageLog

#: How often a streaming reply is redrawn: smooth to the eye, cheap over SSH.
FRAME_RATE = 30
#: Conversations listed before the first look at the files: a screenful and more, whatever the history's length.
FIRST_ROWS = 100
#: The first frame waits this long (s) for the first screenful from the index; after it, the list follows on its own.
FIRST_WAIT = 0.15
#: Seconds between looks at the conversations folder's mtime (one stat) for saves by other processes.
LIST_CHECK = 2.0
STREAMING = "a reply is still streaming: esc stops it"


class ChatPane(ChatHistory):
    CSS_PATH = "chat.tcss"

    BINDINGS = [
        Binding("escape", "stop", "Stop", id="chat.stop", show=False),
        Binding("ctrl+n", "new", "New chat", id="chat.new"),
        Binding("ctrl+r", "regenerate", "Regenerate", id="chat.regenerate", show=False),
        Binding("ctrl+o", "options", "Options", id="chat.options"),
        Binding("ctrl+l", "toggle_list", "Chats", id="chat.toggle_list", show=False),
        Binding("ctrl+g", "edit_last", "Edit last", id="chat.edit_last", show=False),
    ]

    PALETTE = (
        ("Chat: new conversation", "Start a new conversation", "new"),
        ("Chat: conversation settings", "Model, persona, temperature, context, seed", "options"),
        ("Chat: regenerate the last reply", "Ask again", "regenerate"),
        ("Chat: edit your last prompt", "Change it and send again", "edit_last"),
        ("Chat: rename conversation", "Give this conversation a title", "rename"),
        ("Chat: delete conversation", "Delete this conversation (asks first)", "delete"),
        ("Chat: export conversation to Markdown", "Write it to a .md file", "export"),
        ("Chat: search conversations", "Find by title or content (/)", "search"),
        ("Chat: show or hide the conversation list", "More room for the messages", "toggle_list"),
        ("Personas: new persona", "A named system prompt", "new_persona"),
        ("Personas: edit persona", "Change a persona's prompt", "edit_persona"),
        ("Personas: delete persona", "Remove a persona", "delete_persona"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._session: ChatSession | None = None
        self._store: ConversationStore | None = None
        self.reply_worker: Worker[None] | None = None
        self.editing: int | None = None
        self._sending = False

    def compose(self) -> ComposeResult:
        yield ConversationList(id="conversations", cursor_blink=self.sovtui.cursor_blink)
        with Vertical(id="chat-main"):
            yield MessageLog(id="messages")
            yield ChatInfo("", id="chat-info")
            yield ChatInput(placeholder="Message · enter sends · ctrl+j new line", id="prompt")

    async def on_mount(self) -> None:
        self.query_one(ChatInput).cursor_blink = self.sovtui.cursor_blink
        self.update_info()
        # The first screenful straight from the index (a few ms of SQLite in a thread) goes out with the
        # first frame, which waits for it a little: shown in a later frame, behind the other panes' building
        # and the level's thread, a saved history put the list ~300 ms after an empty start (issue 19).
        self._first = asyncio.ensure_future(self._show_list(self._query, refresh=False, limit=FIRST_ROWS))
        await asyncio.wait({self._first}, timeout=FIRST_WAIT)
        self.sovtui.first_screen_shown()
        # After the first frame: a thread stat-ing 10,000 files holds the interpreter lock in turns with
        # the thread that paints. At start every file's mtime is looked at: one rewritten in place is seen too.
        self.call_after_refresh(self.load_list, full=True)
        self.set_interval(LIST_CHECK, self._check_folder)
        self.watch(self.app, "app_focus", self._app_focus_changed, init=False)

    def on_resize(self) -> None:
        self.set_class(self.size.width < 70, "-narrow")

    def focus_target(self) -> Widget:
        return self.query_one(ChatInput)

    @property
    def store(self) -> ConversationStore:
        if self._store is None:
            self._store = ConversationStore(self.ctx.paths)
        return self._store

    @property
    def session(self) -> ChatSession:
        """The conversation on screen: a new one until another is opened."""
        if self._session is None:
            self._session = self._new_session()
        return self._session

    def _new_session(self) -> ChatSession:
        host = self.sovtui.host_name
        try:
            session = ChatSession.new(self.ctx, host_name=host, store=self.store)
        except SovtuiError as exc:  # the default persona is gone from config.toml: said, and left out
            self.notify(str(exc), severity="error")
            session = ChatSession(self.ctx, Conversation(), host_name=host, store=self.store)
        return self._with_owner(session)

    def _with_owner(self, session: ChatSession) -> ChatSession:
        """An agent's payment above its threshold is asked here, in a dialog."""
        session.approve = partial(ask_approval, self.sovtui)
        return session

    def _streaming(self) -> bool:
        """True (and said) while a reply streams: the conversation cannot change under it."""
        if self.reply_worker is not None:
            self.notify(STREAMING, severity="warning")
        return self.reply_worker is not None

    # --- the info line ----------------------------------------------------------

    def update_info(self) -> None:
        info, session = self.query_one(ChatInfo), self.session
        try:
            target = session.target()
        except SovtuiError as exc:
            info.show_problem(str(exc))
            return
        conversation = session.conversation
        info.show_target(target, model=session.planned_model(), persona=conversation.persona,
                         editing=self.editing is not None, agent=conversation.agent)

    def action_refresh(self) -> None:
        """Where prompts go may have changed (the app's host, the wizard, the default model)."""
        if self.reply_worker is None:
            self.session.host_name = self.sovtui.host_name
        self.update_info()

    async def show_messages(self) -> None:
        messages = self.session.conversation.messages
        await self.query_one(MessageLog).show(len(messages), lambda i: MessageWidget.of(i, messages[i]))

    # --- sending ----------------------------------------------------------------

    def on_chat_input_submitted(self, event: ChatInput.Submitted) -> None:
        event.stop()
        if self._sending or self._streaming():
            return
        self._sending = True
        self._submit(event.text)

    @work(group="chat-send", exit_on_error=False, description="send a prompt")
    async def _submit(self, text: str) -> None:
        try:
            session, editing = self.session, self.editing
            if editing is None:
                stream = await open_reply(self, session, lambda: session.send(text))
            else:
                stream = await open_reply(self, session, lambda: session.edit(editing, text))
            if stream is None:
                return  # refused or not allowed: the prompt stays in the box
            log = self.query_one(MessageLog)
            if editing is not None:
                await log.truncate(editing)
            self.editing = None
            self.query_one(ChatInput).clear()
            index = len(session.conversation.messages) - 1
            await log.add(MessageWidget.of(index, session.conversation.messages[index]))
            self.update_info()
            await self._start_reply(stream)
        finally:
            self._sending = False

    async def _start_reply(self, stream: Reply) -> None:
        conversation = self.session.conversation
        widget = MessageWidget(index=len(conversation.messages), role="assistant", label=conversation.model or "…")
        await self.query_one(MessageLog).add(widget)
        self.reply_worker = self._stream_reply(stream, widget, self._address())

    def _address(self) -> str | None:
        """Where this conversation's prompts go now (a stopped built-in engine has no port yet)."""
        try:
            return self.session.target().url
        except SovtuiError:
            return None

    @work(group="chat-reply", exclusive=True, exit_on_error=False, description="stream a reply")
    async def _stream_reply(self, stream: Reply, widget: MessageWidget, address: str | None = None) -> None:
        """Read the reply as fast as it comes; it is painted at most ``FRAME_RATE`` times a second."""

        def failed(exc: SovtuiError) -> None:  # what arrived stays, marked interrupted
            if not widget.content:
                widget.remove()
            self.notify(str(exc), severity="error", timeout=10)

        log = self.query_one(MessageLog)
        messages = self.session.conversation.messages

        def index_of(message: Message) -> int:  # an agent's messages come as they are added: look from the end
            return next(i for i in range(len(messages) - 1, -1, -1) if messages[i] is message)

        def notice_a_start() -> None:  # the built-in engine started on first use: the top bar's address and level
            nonlocal address
            if address != (now := self._address()):
                address = now
                self.post_message(SovereigntyChanged())

        try:
            from sovtui.ui.widgets.reply_painter import paint_reply

            stream = _calling_at_first(stream, notice_a_start)
            await self.attempt(paint_reply(widget, stream, FRAME_RATE, add=log.add, index_of=index_of), on_error=failed)
        finally:
            self.reply_worker = None
            self.update_info()
            self.load_list()
            notice_a_start()  # also when it started but the reply failed before its first word

    # --- actions -------------------------------------------------------------------

    def action_stop(self) -> None:
        if self.editing is not None:
            self.editing = None
            self.query_one(ChatInput).clear()
            self.update_info()
        elif self.reply_worker is not None:
            self.reply_worker.cancel()

    async def action_new(self) -> None:
        if self._streaming():
            return
        self._session = self._new_session()
        self.editing = None
        await self.show_messages()
        self.update_info()
        self.focus_default()

    @work(group="chat-send", exit_on_error=False, description="ask for the last reply again")
    async def action_regenerate(self) -> None:
        session = self.session
        if self.reply_worker is not None or self._sending:
            return
        stream = await open_reply(self, session, session.regenerate)
        if stream is not None:
            await self.query_one(MessageLog).truncate(len(session.conversation.messages))
            await self._start_reply(stream)

    def action_edit_last(self) -> None:
        messages = self.session.conversation.messages
        last = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), None)
        if last is not None:
            self.begin_edit(last)

    def begin_edit(self, index: int) -> None:
        if self._streaming():
            return
        message = self.session.conversation.messages[index]
        if message.role != "user":
            self.notify("only your own prompts can be edited", severity="warning")
            return
        self.editing = index
        prompt = self.query_one(ChatInput)
        prompt.load_text(message.content)
        prompt.move_cursor(prompt.document.end)
        prompt.focus()
        self.update_info()

    def on_message_log_edit_requested(self, event: MessageLog.EditRequested) -> None:
        self.begin_edit(event.index)

    def action_toggle_list(self) -> None:
        self.toggle_class("-hide-list")

    def action_search(self) -> None:
        self.remove_class("-hide-list")
        self.query_one(ConversationList).action_search()


async def _calling_at_first(stream: Reply, then: Callable[[], None]) -> Reply:
    """``stream`` as it comes, calling ``then`` once its first event is in (the host answered)."""
    try:
        called = False
        async for event in stream:
            if not called:
                called = True
                then()
            yield event
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
