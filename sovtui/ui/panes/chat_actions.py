"""What the Chat pane asks the person, beyond typing: a public host's yes, settings, and
what to do with a whole conversation (rename, delete, export) or a persona.

The dialogs are here; the rules are ``sovtui.chat``'s, the same that ``sovtui
chat``, ``sovtui chats`` and ``sovtui personas`` meet: whether a prompt needs
a yes first (``PublicHostUnconfirmed``), a persona that exists
(``ChatSession.configure``), a title of one line (``Conversation.rename``),
an export written private and whole (``export_to_file``). ``ChatActions`` is
mixed into ``ChatPane`` only.

The dialogs and the persona screens are imported where they are opened: none
is on the first screen, and every module imported before it delays it (issue 19).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, cast

from textual import work

from sovtui.chat.session import ChatSession, PublicHostUnconfirmed, ReplyEvent
from sovtui.errors import SovtuiError
from sovtui.text import safe_line
from sovtui.ui.pane import Pane
from sovtui.ui.widgets.conversation_list import ConversationList

if TYPE_CHECKING:
    from sovtui.ui.panes.chat import ChatPane

Reply = AsyncIterator[ReplyEvent]


async def open_reply(pane: Pane, session: ChatSession, start: Callable[[], Reply]) -> Reply | None:
    """The stream ``start`` opens (send, edit, regenerate), asking the person first if the session says so."""
    needed: list[PublicHostUnconfirmed] = []

    def refused(exc: SovtuiError) -> None:
        if isinstance(exc, PublicHostUnconfirmed):
            needed.append(exc)
        else:
            pane.notify(str(exc), severity="error")

    stream = await pane.attempt(start, on_error=refused)
    if needed:
        from sovtui.ui.screens.dialogs import ConfirmDialog

        need = needed[0]
        if await pane.sovtui.push_screen_wait(ConfirmDialog(need.question, need.detail, confirm_label="Send", danger=True)):
            session.allow_public(need.target)
            stream = await pane.attempt(start)
    return stream


def _agents_note(pane: Pane, agents: list[str] | None) -> str:
    """What the agent field says when there is no agent to choose."""
    if agents:
        return ""
    if agents is None and pane.ctx.vault.exists:
        return "unlock your keys (Keys pane) to choose an agent"
    return "no agent keys yet (Keys pane: n, role agent)"


class ChatActions(Pane):
    """The Chat pane's dialog flows."""

    @property
    def chat(self) -> ChatPane:
        return cast("ChatPane", self)

    @work(group="chat-options", exclusive=True, exit_on_error=False, description="change the conversation's settings")
    async def action_options(self) -> None:
        from sovtui.inference.models import installed_names
        from sovtui.ui.screens.chat_options import ChatOptionsScreen

        def no_list(exc: SovtuiError) -> None:
            self.notify(f"{exc} (the model list is empty)", severity="warning")

        from sovtui.agent.agents import agent_names

        models = await self.attempt(installed_names(self.ctx, self.sovtui.host_name), on_error=no_list)
        agents = await self.attempt(lambda: agent_names(self.ctx), on_error=lambda exc: None)  # said in the dialog
        session = self.chat.session
        screen = ChatOptionsScreen(models=models or [], personas=sorted(self.ctx.config.personas), settings=session.settings(),
                                   agents=agents, agents_note=_agents_note(self, agents))
        chosen = await self.sovtui.push_screen_wait(screen)
        if chosen is not None and await self.succeeds(lambda: session.configure(chosen)):
            self.chat.update_info()

    # The dialogs below answer through a callback, not ``push_screen_wait``: no
    # worker stays open while a person thinks about a title.

    def action_rename(self) -> None:
        from sovtui.ui.screens.dialogs import TextDialog

        session = self.chat.session

        async def renamed(title: str | None) -> None:
            if title is not None and await self.succeeds(lambda: session.rename(title)):
                self.chat.load_list()

        self.sovtui.push_screen(TextDialog("Rename conversation", value=safe_line(session.conversation.title)), renamed)

    def action_delete(self) -> None:
        """Delete the conversation highlighted in the list (when the list has focus), else the one on screen."""
        chat, listing = self.chat, self.query_one(ConversationList)
        current = chat.session.conversation.id
        target = (listing.highlighted_id if listing.has_focus_within else None) or current
        if not chat.store.path_of(target).exists():
            self.notify("this conversation is not saved yet", severity="warning")
            return

        async def answered(yes: bool | None) -> None:
            if not yes or not await self.succeeds(lambda: chat.store.delete(target)):
                return
            if target == current:
                await chat.action_new()
            chat.load_list()
            self.notify("conversation deleted")

        from sovtui.ui.screens.dialogs import ConfirmDialog

        question = ConfirmDialog("Delete this conversation?", "Its file is removed from your data folder.", confirm_label="Delete", danger=True)
        self.sovtui.push_screen(question, answered)

    def action_export(self) -> None:
        from sovtui.chat.export import export_to_file
        from sovtui.ui.screens.dialogs import TextDialog

        conversation = self.chat.session.conversation
        if not conversation.messages:
            self.notify("nothing to export yet", severity="warning")
            return

        async def chosen(path: str | None) -> None:
            written = await self.attempt(lambda: export_to_file(conversation, path, "md")) if path else None
            if written is not None:
                self.notify(f"exported to {written}")

        self.sovtui.push_screen(TextDialog("Export to Markdown", value=f"~/sovtui-{conversation.id}.md"), chosen)

    def action_new_persona(self) -> None:
        from sovtui.ui.screens import personas

        personas.new_persona(self)

    def action_edit_persona(self) -> None:
        from sovtui.ui.screens import personas

        personas.edit_persona(self)

    def action_delete_persona(self) -> None:
        from sovtui.ui.screens import personas

        personas.delete_persona(self)
