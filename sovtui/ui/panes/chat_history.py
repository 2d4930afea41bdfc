"""The Chat pane's conversation list: what it shows, kept up to date, and opening from it.

The index (``sovtui.chat.index``, through the store) answers at once with
what it holds; a worker brings it up to date from the files and the list is
drawn again only when something changed. Another process's saves are seen by
one ``stat`` of the folder every ``LIST_CHECK`` seconds, and every file is
looked at again when the window regains focus. The list itself is a virtual
view (``ConversationLines``): its length costs nothing to draw.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import work

from sovtui.chat.index import BATCH, words
from sovtui.chat.session import ChatSession
from sovtui.chat.store import Problem, Summary
from sovtui.ui.panes.chat_actions import ChatActions
from sovtui.ui.widgets.conversation_list import ConversationItem, ConversationLines, ConversationList


class ChatHistory(ChatActions):
    """The list beside the messages (the Chat pane is one of these)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._query = ""  # the search box's words
        self._shown_query: str | None = None  # the words the list on screen was found by
        self._listed = False
        #: The first screenful, read while the screen mounts (``on_mount``).
        self._first: asyncio.Future[None] | None = None
        self._folder_stamp: int | None = None
        self._problems_told: set[str] = set()

    @work(group="chat-list", exclusive=True, exit_on_error=False, description="list the saved conversations")
    async def load_list(self, query: str | None = None, *, refresh: bool = True, full: bool = False) -> None:
        """Show the conversations (``query``: those it finds; None: the search box's words).

        The index answers at once with what it holds; then, with ``refresh``,
        it is brought up to date from the files in a thread and the list is
        shown again only if anything changed.
        """
        self._query = self._query if query is None else query
        query = self._query
        if self._first is not None:  # the first screenful (on_mount) is on screen before the whole list
            first, self._first = self._first, None
            await first
        await self._show_list(query, refresh=refresh, full=full)
        self._listed = True

    async def _show_list(self, query: str, *, refresh: bool, full: bool = False, limit: int = -1) -> None:
        store, whole = self.chat.store, self._listed

        listing = self.query_one(ConversationList)

        def progress(done: int, total: int) -> None:  # a first start with a long history reads every file once
            if total > BATCH:
                self.app.call_from_thread(listing.indexing, done, total)

        def read() -> tuple[list[Summary], list[Problem]] | None:
            if not whole and not refresh and store.folder_stamp() is None:
                return [], []  # no folder, no conversations: the index is not made before the first frame
            if refresh and not store.refresh(progress, full=full) and self._shown_query == query and whole:
                return None  # nothing changed on disk: the list on screen is right
            return store.search(query, refresh=False, limit=limit), list(store.problems)

        found = await self.attempt(read)
        if found is None:
            return
        summaries, problems = found
        items = [ConversationItem(s.id, s.title, s.updated, s.model, nostr_peer=s.nostr_peer) for s in summaries]
        keep = listing.highlighted_id if self._shown_query == query else None
        self._shown_query = query
        listing.set_items(items, selected=keep or self.chat.session.conversation.id, terms=words(query))
        new = {str(p) for p in problems} - self._problems_told
        for problem in new:
            self.notify(problem, severity="warning", timeout=8)
        self._problems_told |= new

    @work(group="chat-list-check", exclusive=True, exit_on_error=False, description="look for conversations saved elsewhere")
    async def _check_folder(self) -> None:
        """Another process (``sovtui chat``, an agent service, a second TUI) saved or deleted a conversation."""
        stamp = await self.attempt(self.chat.store.folder_stamp)
        if stamp != self._folder_stamp:
            self._folder_stamp = stamp
            self.load_list()

    def _app_focus_changed(self, focused: bool) -> None:
        if focused:  # back from another window: anything may have been written, even in place
            self.load_list(full=True)

    @work(group="chat-snippets", exit_on_error=False, description="find the words around a match")
    async def on_conversation_lines_snippets_wanted(self, event: ConversationLines.SnippetsWanted) -> None:
        query, store = self._shown_query or "", self.chat.store
        found = await self.attempt(lambda: store.snippets(query, event.ids))
        if found is not None and query == self._shown_query:
            self.query_one(ConversationLines).add_snippets(found, event.ids)

    def on_conversation_list_search_changed(self, event: ConversationList.SearchChanged) -> None:
        self.load_list(event.query, refresh=False)

    def on_conversation_list_chosen(self, event: ConversationList.Chosen) -> None:
        self.open_conversation(event.conversation_id)

    @work(group="chat-open", exclusive=True, exit_on_error=False, description="open a saved conversation")
    async def open_conversation(self, conversation_id: str) -> None:
        if await self._open(conversation_id):
            self.chat.focus_default()

    async def _open(self, conversation_id: str) -> bool:
        if self.chat._streaming():
            return False
        if self.chat.session.conversation.id == conversation_id:
            return True
        conversation = await self.attempt(lambda: self.chat.store.load(conversation_id))
        if conversation is None:
            return False
        self.chat._session = self.chat._with_owner(ChatSession(self.ctx, conversation, host_name=self.sovtui.host_name, store=self.chat.store))
        self.chat.editing = None
        await self.chat.show_messages()
        self.chat.update_info()
        return True

    async def on_conversation_list_action_requested(self, event: ConversationList.ActionRequested) -> None:
        if event.action == "delete":
            self.action_delete()
        elif await self._open(event.conversation_id):
            await self.run_action(event.action)
