"""The Chat pane: conversations beside the messages, the prompt box below.

It drives ``sovtui.chat.ChatSession`` (the same service as ``sovtui chat``):
a reply streams inside a worker into its message widget, appending fragments
rather than re-rendering the conversation; escape cancels the worker, which
closes the HTTP stream and keeps the partial reply (saved, marked
interrupted). The line above the prompt always says which model and which
host, and where that host is, will receive the prompt.

Outside text (replies, thinking, model names, titles) is made safe where it
is shown: in ``MessageWidget`` and ``ConversationList``, and here for the
info line and the rename box.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual.worker import Worker

from sovtui.chat.models import Conversation, Message
from sovtui.chat.session import ChatSession
from sovtui.chat.store import ConversationStore, Summary
from sovtui.errors import SovtuiError
from sovtui.text import safe_line
from sovtui.ui.widgets.chat_input import ChatInput
from sovtui.ui.widgets.conversation_list import ConversationItem, ConversationList
from sovtui.ui.widgets.message import MessageWidget
from sovtui.ui.widgets.message_log import MessageLog
from sovtui.ui.widgets.reply_painter import ReplyPainter


#: How often a streaming reply is redrawn: smooth to the eye, cheap over SSH.
FRAME_RATE = 30


class ChatPane(Horizontal):
    DEFAULT_CSS = """
    ChatPane { height: 1fr; }
    ChatPane #chat-main { width: 1fr; height: 1fr; }
    ChatPane #chat-info { height: 1; padding: 0 1; color: $text-muted; }
    ChatPane.-narrow ConversationList { display: none; }
    ChatPane.-hide-list ConversationList { display: none; }
    """

    BINDINGS = [
        Binding("escape", "stop", "Stop", id="chat.stop", show=False),
        Binding("ctrl+n", "new", "New chat", id="chat.new"),
        Binding("ctrl+r", "regenerate", "Regenerate", id="chat.regenerate", show=False),
        Binding("ctrl+o", "options", "Options", id="chat.options"),
        Binding("ctrl+l", "toggle_list", "Chats", id="chat.toggle_list", show=False),
        Binding("ctrl+g", "edit_last", "Edit last", id="chat.edit_last", show=False),
    ]

    PALETTE = (
        ("Chat: new conversation", "Start a new conversation (ctrl+n)", "new"),
        ("Chat: conversation settings", "Model, persona, temperature, context, seed (ctrl+o)", "options"),
        ("Chat: regenerate the last reply", "Ask again (ctrl+r)", "regenerate"),
        ("Chat: edit your last prompt", "Change it and send again (ctrl+g)", "edit_last"),
        ("Chat: rename conversation", "Give this conversation a title", "rename"),
        ("Chat: delete conversation", "Delete this conversation (asks first)", "delete"),
        ("Chat: export conversation to Markdown", "Write it to a .md file", "export"),
        ("Chat: search conversations", "Find by title or content (/)", "search"),
        ("Chat: show or hide the conversation list", "ctrl+l", "toggle_list"),
        ("Personas: new persona", "A named system prompt", "new_persona"),
        ("Personas: edit persona", "Change a persona's prompt", "edit_persona"),
        ("Personas: delete persona", "Remove a persona", "delete_persona"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session: ChatSession | None = None
        self.reply_worker: Worker[None] | None = None
        self.editing: int | None = None
        self._sending = False
        self._store: ConversationStore | None = None

    # --- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ConversationList(id="conversations")
        with Vertical(id="chat-main"):
            yield MessageLog(id="messages")
            yield Static("", id="chat-info")
            yield ChatInput(placeholder="Message · enter sends · ctrl+j new line", id="prompt")

    def on_mount(self) -> None:
        self.query_one(ChatInput).cursor_blink = getattr(self.app, "cursor_blink", True)
        try:
            self.session = ChatSession.new(self.ctx, host_name=self.host_name)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            self.session = ChatSession(self.ctx, Conversation(), host_name=self.host_name)
        self.session.store = self.store
        self.update_info()
        self.load_list()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 70, "-narrow")

    def focus_default(self) -> None:
        self.query_one(ChatInput).focus()

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.app.ctx  # type: ignore[attr-defined]

    @property
    def host_name(self) -> str | None:
        return getattr(self.app, "host_name", None)

    @property
    def store(self) -> ConversationStore:
        if self._store is None:
            self._store = ConversationStore(self.ctx.paths)
        return self._store

    # --- the info line ----------------------------------------------------------

    def update_info(self) -> None:
        info = self.query_one("#chat-info", Static)
        if self.session is None:
            return
        conversation = self.session.conversation
        try:
            target = self.session.target()
        except SovtuiError as exc:
            info.update(Text(safe_line(str(exc))))
            return
        model = conversation.model or self.ctx.config.inference.model or "first installed model"
        text = Text()
        text.append(safe_line(model), style="bold")
        if conversation.persona:
            text.append(f" · {safe_line(conversation.persona)}")
        text.append(" → ")
        text.append(safe_line(target.name), style="bold")
        text.append(f" ({target.locality.label})", style="bold red" if target.locality.is_public else "")
        if self.editing is not None:
            text.append("  editing an earlier prompt: enter resends, esc cancels", style="italic")
        info.update(text)

    def action_refresh(self) -> None:
        """The host changed (``app.set_host``)."""
        if self.session is not None and self.reply_worker is None:
            self.session.host_name = self.host_name
        self.update_info()

    # --- the conversation list ----------------------------------------------------

    @work(thread=True, exclusive=True, group="chat-list")
    def load_list(self, query: str = "") -> None:
        summaries = self.store.search(query) if query else self.store.summaries()
        problems = list(self.store.problems)
        self.app.call_from_thread(self._show_list, summaries, problems)

    def _show_list(self, summaries: list[Summary], problems: list[Any]) -> None:
        current = self.session.conversation.id if self.session else None
        items = [ConversationItem(s.id, s.title, s.updated, s.model) for s in summaries]
        self.query_one(ConversationList).set_items(items, selected=current)
        for problem in problems:
            self.notify(str(problem), severity="warning", timeout=8)

    def on_conversation_list_search_changed(self, event: ConversationList.SearchChanged) -> None:
        self.load_list(event.query)

    def on_conversation_list_chosen(self, event: ConversationList.Chosen) -> None:
        self.open_conversation(event.conversation_id)

    @work(exclusive=True, group="chat-open")
    async def open_conversation(self, conversation_id: str) -> None:
        if await self._open(conversation_id):
            self.focus_default()

    async def _open(self, conversation_id: str) -> bool:
        if self.reply_worker is not None:
            self.notify("a reply is still streaming: esc stops it", severity="warning")
            return False
        if self.session is not None and self.session.conversation.id == conversation_id:
            return True
        try:
            conversation = await asyncio.to_thread(self.store.load, conversation_id)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return False
        self.session = ChatSession(self.ctx, conversation, host_name=self.host_name, store=self.store)
        self.editing = None
        await self.show_messages()
        self.update_info()
        return True

    async def on_conversation_list_action_requested(self, event: ConversationList.ActionRequested) -> None:
        if event.action == "delete":
            self.action_delete()
        elif await self._open(event.conversation_id):
            await self.run_action(event.action)

    async def show_messages(self) -> None:
        assert self.session is not None
        messages = self.session.conversation.messages
        await self.query_one(MessageLog).show(len(messages), lambda i: self._widget_for(i, messages[i]))

    def _widget_for(self, index: int, message: Message) -> MessageWidget:
        label = "you" if message.role == "user" else (message.model or message.role)
        return MessageWidget(
            index=index,
            role=message.role,
            label=label,
            content=message.content,
            thinking=message.thinking,
            stats=message.stats if message.role == "assistant" else "",
            interrupted=message.interrupted,
        )

    # --- sending ----------------------------------------------------------------

    def on_chat_input_submitted(self, event: ChatInput.Submitted) -> None:
        event.stop()
        if self.session is None or self._sending:
            return
        if self.reply_worker is not None:
            self.notify("a reply is still streaming: esc stops it", severity="warning")
            return
        self._sending = True
        self._submit(event.text)

    @work(group="chat-submit")
    async def _submit(self, text: str) -> None:
        try:
            if await self._public_ok():
                await self._send(text)
        finally:
            self._sending = False

    async def _send(self, text: str) -> None:
        assert self.session is not None
        self.query_one(ChatInput).clear()
        session = self.session
        try:
            if self.editing is not None:
                index, self.editing = self.editing, None
                stream = session.edit(index, text)
                await self.query_one(MessageLog).truncate(index)
                await self.query_one(MessageLog).add(self._widget_for(index, session.conversation.messages[index]))
            else:
                stream = session.send(text)
                index = len(session.conversation.messages) - 1
                await self.query_one(MessageLog).add(self._widget_for(index, session.conversation.messages[index]))
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.update_info()
        await self._start_reply(stream)

    async def _public_ok(self) -> bool:
        """Ask once per conversation before a prompt leaves for the public internet."""
        assert self.session is not None
        try:
            target = self.session.target()
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return False
        conversation = self.session.conversation
        if not target.locality.is_public or not self.ctx.config.privacy.confirm_public:
            return True
        if conversation.options.get("public_ok") == target.url:
            return True
        from sovtui.ui.screens.dialogs import ConfirmDialog

        answer = await self.app.push_screen_wait(
            ConfirmDialog(
                f"Send this prompt to {target.name}?",
                f"{target.url} is on the public internet: your words leave your network. "
                "You will not be asked again in this conversation.",
                confirm_label="Send",
                danger=True,
            )
        )
        if answer:
            conversation.options["public_ok"] = target.url
        return bool(answer)

    async def _start_reply(self, stream: Any) -> None:
        assert self.session is not None
        model = self.session.conversation.model or "…"
        index = len(self.session.conversation.messages)
        widget = MessageWidget(index=index, role="assistant", label=model)
        await self.query_one(MessageLog).add(widget)
        self.reply_worker = self.run_worker(self._stream_reply(stream, widget), group="chat-reply", exclusive=True)

    async def _stream_reply(self, stream: Any, widget: MessageWidget) -> None:
        """Read the reply as fast as it comes; a ``ReplyPainter`` shows it at most ``FRAME_RATE`` times a second."""
        message: Message | None = None
        painter = ReplyPainter(widget, FRAME_RATE)
        try:
            async for event in stream:
                message = event.message
                if widget.label == "…" and message.model:
                    widget.set_label(message.model)
                if event.kind in ("content", "thinking"):
                    painter.add(event.kind, event.text)
                elif event.kind == "finished":
                    await painter.close()  # the end on screen now; the save to disk follows
            await painter.close()
        except asyncio.CancelledError:
            await painter.close()
            await self._finish(widget, message, interrupted=True)
            raise
        except SovtuiError as exc:
            await painter.close()
            await self._finish(widget, message, interrupted=True)
            if message is None or not message.content:
                await widget.remove()
            self.notify(str(exc), severity="error", timeout=10)
        else:
            await self._finish(widget, message, interrupted=False)
        finally:
            self.reply_worker = None
            self.update_info()
            self.load_list()

    async def _finish(self, widget: MessageWidget, message: Message | None, *, interrupted: bool) -> None:
        if message is None:
            await widget.finish(content=widget.content, thinking=widget.thinking, stats="", interrupted=interrupted)
            return
        await widget.finish(content=message.content, thinking=message.thinking, stats=message.stats, interrupted=interrupted)

    # --- actions -------------------------------------------------------------------

    def action_stop(self) -> None:
        if self.editing is not None:
            self.editing = None
            self.query_one(ChatInput).clear()
            self.update_info()
            return
        if self.reply_worker is not None:
            self.reply_worker.cancel()

    async def action_new(self) -> None:
        if self.reply_worker is not None:
            self.notify("a reply is still streaming: esc stops it", severity="warning")
            return
        try:
            self.session = ChatSession.new(self.ctx, host_name=self.host_name)
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.session.store = self.store
        self.editing = None
        await self.show_messages()
        self.update_info()
        self.focus_default()

    async def action_regenerate(self) -> None:
        if self.session is None or self.reply_worker is not None:
            return
        try:
            stream = self.session.regenerate()
        except SovtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        await self.query_one(MessageLog).truncate(len(self.session.conversation.messages))
        await self._start_reply(stream)

    def action_edit_last(self) -> None:
        if self.session is None:
            return
        for index in range(len(self.session.conversation.messages) - 1, -1, -1):
            if self.session.conversation.messages[index].role == "user":
                self.begin_edit(index)
                return

    def begin_edit(self, index: int) -> None:
        assert self.session is not None
        if self.reply_worker is not None:
            self.notify("a reply is still streaming: esc stops it", severity="warning")
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

    @work(exclusive=True, group="chat-options")
    async def action_options(self) -> None:
        from sovtui.ui.screens.chat_options import ChatOptionsScreen

        if self.session is None:
            return
        models: list[str] = []
        try:
            async with self.ctx.backend(self.host_name) as backend:
                models = [m.name for m in await backend.list_models()]
        except SovtuiError as exc:
            self.notify(f"{exc} (the model list is empty)", severity="warning")
        conversation = self.session.conversation
        result = await self.app.push_screen_wait(
            ChatOptionsScreen(
                models=models,
                model=conversation.model,
                personas=sorted(self.ctx.config.personas),
                persona=conversation.persona,
                options=dict(conversation.options),
            )
        )
        if result is None:
            return
        conversation.model = result["model"]
        conversation.persona = result["persona"]
        conversation.options = result["options"]
        if conversation.messages:
            self.session.save()
        self.update_info()

    def action_rename(self) -> None:
        from sovtui.ui.screens.dialogs import TextDialog

        if self.session is None:
            return
        conversation = self.session.conversation

        def renamed(title: str | None) -> None:
            if title is None or not title.strip():
                return
            conversation.title = " ".join(title.split())[:80]
            self.session.save()  # type: ignore[union-attr]
            self.load_list()

        self.app.push_screen(TextDialog("Rename conversation", value=safe_line(conversation.title)), renamed)

    def action_delete(self) -> None:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        if self.session is None:
            return
        conversation = self.session.conversation
        highlighted = self.query_one(ConversationList).highlighted_id
        target_id = (highlighted if self.query_one(ConversationList).has_focus_within else None) or conversation.id
        if not self.store.path_of(target_id).exists():
            self.notify("this conversation is not saved yet", severity="warning")
            return

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            await asyncio.to_thread(self.store.delete, target_id)
            if target_id == conversation.id:
                await self.action_new()
            self.load_list()
            self.notify("conversation deleted")

        self.app.push_screen(
            ConfirmDialog("Delete this conversation?", "Its file is removed from your data folder.", confirm_label="Delete", danger=True),
            answered,
        )

    def action_export(self) -> None:
        from sovtui.ui.screens.dialogs import TextDialog

        if self.session is None or not self.session.conversation.messages:
            self.notify("nothing to export yet", severity="warning")
            return
        conversation = self.session.conversation

        def chosen(path: str | None) -> None:
            if not path:
                return
            from sovtui.chat.models import to_markdown
            from sovtui.files import atomic_write

            target = Path(path).expanduser()
            try:
                atomic_write(target, to_markdown(conversation))
            except OSError as exc:
                self.notify(f"cannot write {target}: {exc.strerror}", severity="error")
                return
            self.notify(f"exported to {target}")

        self.app.push_screen(TextDialog("Export to Markdown", value=f"~/sovtui-{conversation.id}.md"), chosen)

    # --- personas ---------------------------------------------------------------------

    def action_new_persona(self) -> None:
        from sovtui.ui.screens.dialogs import TextDialog

        def named(name: str | None) -> None:
            if name:
                self._ask_prompt(name.strip(), "")

        self.app.push_screen(TextDialog("New persona: its name"), named)

    def _ask_prompt(self, name: str, current: str) -> None:
        from sovtui.chat.personas import set_persona
        from sovtui.ui.screens.dialogs import TextDialog

        def prompted(prompt: str | None) -> None:
            if prompt is None:
                return
            try:
                set_persona(self.ctx, name, prompt)
            except SovtuiError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"persona {name} saved")

        self.app.push_screen(TextDialog(f"Persona {name}: its system prompt", value=current), prompted)

    def _pick_persona(self, title: str, then: Any) -> None:
        from sovtui.ui.screens.dialogs import ChoiceDialog

        personas = self.ctx.config.personas
        if not personas:
            self.notify("no personas yet", severity="warning")
            return
        choices = [(name, f"{name}  [dim]{p.prompt[:50]}[/]") for name, p in sorted(personas.items())]
        self.app.push_screen(ChoiceDialog(title, choices), lambda name: name and then(name))

    def action_edit_persona(self) -> None:
        self._pick_persona("Edit which persona?", lambda name: self._ask_prompt(name, self.ctx.config.personas[name].prompt))

    def action_delete_persona(self) -> None:
        from sovtui.chat.personas import delete_persona

        def chosen(name: str) -> None:
            try:
                delete_persona(self.ctx, name)
            except SovtuiError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"persona {name} deleted")

        self._pick_persona("Delete which persona?", chosen)
