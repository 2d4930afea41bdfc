"""Sending a conversation to a model and keeping every word of the reply.

``ChatSession`` streams a reply through the inference ``Backend`` and writes
the conversation to disk after every completed message and at least once a
second while a reply streams, so a crash (even kill -9) loses at most the
last second. A reply cut off by stop, an error or a crash is kept and marked
interrupted. The TUI and ``sovtui chat`` both drive it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sovtui.chat.models import Conversation, Message
from sovtui.chat.personas import prompt_of
from sovtui.chat.store import ConversationStore
from sovtui.context import Context
from sovtui.errors import SovtuiError, UsageError
from sovtui.inference.errors import BackendError

if TYPE_CHECKING:  # the backend pulls in httpx: imported when a reply is asked for
    from sovtui.inference.backend import Backend
    from sovtui.inference.hosts import HostTarget

#: Per-conversation options sent to Ollama as model options.
MODEL_OPTIONS = ("temperature", "num_ctx", "seed", "top_p", "top_k", "num_predict")


@dataclass
class ReplyEvent:
    #: "finished": the model's last chunk is in, before the reply is saved
    #: (a screen can show the end without waiting for the disk); "done": saved.
    kind: Literal["content", "thinking", "finished", "done"]
    text: str
    message: Message


class NoModel(SovtuiError):
    pass


class ChatSession:
    def __init__(
        self,
        ctx: Context,
        conversation: Conversation,
        *,
        host_name: str | None = None,
        store: ConversationStore | None = None,
        save_interval: float = 1.0,
    ) -> None:
        self.ctx = ctx
        self.conversation = conversation
        self.host_name = host_name
        self.store = store or ConversationStore(ctx.paths)
        self.save_interval = save_interval
        self._thinking_models: dict[str, bool] = {}

    @classmethod
    def new(cls, ctx: Context, *, model: str | None = None, persona: str | None = None, host_name: str | None = None) -> ChatSession:
        config = ctx.config
        persona = config.inference.persona if persona is None else persona
        prompt_of(config, persona)  # an unknown persona is an error now, not at send
        conversation = Conversation(model=model or "", persona=persona)
        return cls(ctx, conversation, host_name=host_name)

    # --- what goes to the model ----------------------------------------------

    def target(self) -> HostTarget:
        """Where this conversation's prompts go: the host asked for, else the
        conversation's own (if still configured), else the default."""
        known = self.conversation.host if self.conversation.host in self.ctx.config.hosts else None
        return self.ctx.host(self.host_name or known)

    def request_messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        system = prompt_of(self.ctx.config, self.conversation.persona)
        if system:
            messages.append({"role": "system", "content": system})
        for message in self.conversation.messages:
            if message.role == "assistant" and not message.content:
                continue  # a reply that failed before its first word
            messages.append({"role": message.role, "content": message.content})
        return messages

    async def resolve_model(self, backend: Backend) -> str:
        """The conversation's model, else the configured default, else the first installed."""
        if self.conversation.model:
            return self.conversation.model
        default = self.ctx.config.inference.model
        if default:
            return default
        models = await backend.list_models()
        if not models:
            raise NoModel(f"no model is installed on {backend.name}: pull one with 'sovtui models pull qwen3:0.6b'")
        return models[0].name

    async def _think(self, backend: Backend, model: str) -> bool | None:
        option = self.conversation.options.get("think")
        if option is not None:
            return bool(option)
        if model not in self._thinking_models:
            try:
                details = await backend.show(model)
                self._thinking_models[model] = "thinking" in details.capabilities
            except BackendError:
                self._thinking_models[model] = False
        return True if self._thinking_models[model] else None

    # --- the three ways to get a reply ----------------------------------------

    # Each returns the reply's own stream (not a wrapper around it), so a
    # caller that stops early closes it, and the partial reply is saved then.

    def send(self, text: str) -> AsyncIterator[ReplyEvent]:
        if not text.strip():
            raise UsageError("nothing to send: the prompt is empty")
        self.conversation.messages.append(Message("user", text))
        self.conversation.touch()
        self.save()
        return self._reply()

    def regenerate(self) -> AsyncIterator[ReplyEvent]:
        """Replace the last reply with a new one."""
        messages = self.conversation.messages
        while messages and messages[-1].role == "assistant":
            messages.pop()
        if not messages or messages[-1].role != "user":
            raise UsageError("there is no prompt to answer again")
        self.save()
        return self._reply()

    def edit(self, index: int, text: str) -> AsyncIterator[ReplyEvent]:
        """Change an earlier prompt and send it again; what followed it is dropped."""
        messages = self.conversation.messages
        if not 0 <= index < len(messages) or messages[index].role != "user":
            raise UsageError("only your own prompts can be edited")
        if not text.strip():
            raise UsageError("nothing to send: the prompt is empty")
        del messages[index + 1 :]
        messages[index].content = text
        self.conversation.touch()
        self.save()
        return self._reply()

    # --- streaming --------------------------------------------------------------

    async def _reply(self) -> AsyncIterator[ReplyEvent]:
        from sovtui.inference.backend import Backend

        target = self.target()
        self.conversation.host = target.name
        options = {k: v for k, v in self.conversation.options.items() if k in MODEL_OPTIONS}
        keep_alive = self.conversation.options.get("keep_alive")
        async with Backend(target) as backend:
            model = await self.resolve_model(backend)
            self.conversation.model = model
            think = await self._think(backend, model)
            reply = Message("assistant", model=model)
            request = self.request_messages()
            self.conversation.messages.append(reply)
            self.save()
            last_save = time.monotonic()
            finished = False
            stream = backend.chat(model, request, options=options or None, think=think, keep_alive=keep_alive)
            try:
                async for chunk in stream:
                    if chunk.thinking:
                        reply.thinking += chunk.thinking
                        yield ReplyEvent("thinking", chunk.thinking, reply)
                    if chunk.content:
                        reply.content += chunk.content
                        yield ReplyEvent("content", chunk.content, reply)
                    if chunk.done:
                        reply.done_reason = chunk.done_reason
                        reply.eval_count = chunk.eval_count
                        reply.eval_duration = chunk.eval_duration
                        reply.prompt_eval_count = chunk.prompt_eval_count
                        yield ReplyEvent("finished", "", reply)
                    if time.monotonic() - last_save >= self.save_interval:
                        self.save()
                        last_save = time.monotonic()
                finished = True
            except BackendError as exc:
                reply.error = str(exc)
                raise
            finally:
                reply.interrupted = not finished
                if not finished and not reply.content and not reply.thinking:
                    # Nothing arrived: keep the prompt, drop the empty reply.
                    self.conversation.messages.remove(reply)
                self.conversation.touch()
                self.save()
                await stream.aclose()  # closes the HTTP request if we stopped early
            yield ReplyEvent("done", "", reply)

    def save(self) -> None:
        self.store.save(self.conversation)
