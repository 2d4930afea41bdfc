"""Sending a conversation to a model and keeping every word of the reply.

``ChatSession`` streams a reply through the inference ``Backend`` and writes
the conversation to disk after every completed message and at least once a
second while a reply streams, so a crash (even kill -9) loses at most the
last second. A reply cut off by stop, an error or a crash is kept and marked
interrupted. The TUI and ``sovtui chat`` both drive it.

The rules a front end meets live here, once: a prompt does not leave for a
host on the public internet until the person allowed it for this
conversation (``PublicHostUnconfirmed``: the front end asks, then calls
``allow_public`` and sends again); a persona must exist (``new``,
``configure``); an option a person types is read by ``parse_option``.

A conversation given to an agent (``ChatSettings.agent``) is answered by
``sovtui.agent.AgentRunner`` instead: the model is offered the agent's tools,
each call runs inside the credential its owner signed, and the tool calls and
their results are kept in the conversation (the assistant's ``tool_calls``,
role "tool" messages) and come as ``tool_call`` and ``tool_result`` events
between the words. Who approves a payment is the front end's: ``approve``
(None: nobody is there to ask, so a payment that needs a yes is refused).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sovtui.chat.models import Conversation, Message
from sovtui.chat.personas import prompt_of
from sovtui.chat.store import ConversationStore
from sovtui.context import Context
from sovtui.errors import SovtuiError, UsageError
from sovtui.inference.errors import BackendError

if TYPE_CHECKING:  # the backend pulls in httpx: imported when a reply is asked for
    from sovtui.agent.guard import Approver
    from sovtui.agent.tools import ToolResult
    from sovtui.inference.engine import Engine
    from sovtui.inference.hosts import HostTarget
    from sovtui.inference.types import ToolCall

#: Per-conversation options sent to Ollama as model options.
MODEL_OPTIONS = ("temperature", "num_ctx", "seed", "top_p", "top_k", "num_predict")
#: The options a person types per conversation, and how the text is read.
TYPED_OPTIONS: dict[str, type[float] | type[int] | type[str]] = {"temperature": float, "num_ctx": int, "seed": int, "keep_alive": str}


def parse_option(key: str, raw: str) -> float | int | str:
    """A typed option's value from its text; UsageError naming the field."""
    kind = TYPED_OPTIONS[key]
    try:
        return kind(raw.strip())
    except ValueError:
        expected = "a number" if kind is float else "a whole number"
        raise UsageError(f"{key.replace('_', ' ')}: expected {expected}, got {raw!r}") from None


@dataclass
class ReplyEvent:
    #: "finished": the model's last chunk is in, before the reply is saved
    #: (a screen can show the end without waiting for the disk); "done": saved.
    #: With an agent, "tool_call" (``call`` starts; ``message`` is the
    #: assistant's message that made it) and "tool_result" (``result``;
    #: ``message`` is the new role "tool" message) come between the words,
    #: and a new assistant message starts after each round of calls.
    kind: Literal["content", "thinking", "finished", "done", "tool_call", "tool_result"]
    text: str
    message: Message
    call: ToolCall | None = None
    result: ToolResult | None = None


@dataclass
class ChatSettings:
    """What a person chooses for a conversation: a model ("": the default), a persona ("": none), options,
    and the agent it is given to ("": none)."""

    model: str = ""
    persona: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    agent: str = ""


class NoModel(SovtuiError):
    pass


class PublicHostUnconfirmed(SovtuiError):
    """The prompt would leave for a host on the public internet, not yet allowed in this conversation.

    Nothing was sent or changed. A front end asks the person (``question``);
    on yes it calls ``ChatSession.allow_public(target)`` and sends again.
    """

    def __init__(self, target: HostTarget) -> None:
        super().__init__(f"{target.url} is on the public internet: your words would leave your network")
        self.target = target
        self.question = f"Send this prompt to {target.name}?"
        self.detail = (
            f"{target.url} is on the public internet: your words leave your network. "
            "You will not be asked again in this conversation."
        )


class PoolUnavailable(BackendError):
    """No member of a pool answered with the model: each one's reason, in order."""

    def __init__(self, pool: str, model: str, failures: list[str]) -> None:
        what = f" with {model}" if model else ""
        super().__init__(f"no host of the pool {pool} answered{what} ({'; '.join(failures) or 'no members'})")
        self.pool = pool
        self.failures = failures


def _allowed(value: Any) -> list[str]:
    """The public URLs a conversation allowed (``public_ok``: one URL, or a list for a pool)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


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
        #: Asks the owner before an agent pays above its threshold (None: refused).
        self.approve: Approver | None = None
        #: Pays without asking below this many sats, for this session only (None: the agent's config).
        self.approve_under: int | None = None
        self._thinking_models: dict[str, bool] = {}

    @classmethod
    def new(
        cls,
        ctx: Context,
        *,
        model: str | None = None,
        persona: str | None = None,
        host_name: str | None = None,
        store: ConversationStore | None = None,
        agent: str = "",
    ) -> ChatSession:
        """A new conversation, with the default persona unless another is named (it must exist),
        given to ``agent`` if one is named (it must be an agent key)."""
        config = ctx.config
        persona = config.inference.persona if persona is None else persona
        prompt_of(config, persona)  # an unknown persona is an error now, not at send
        if agent:
            _check_agent(ctx, agent)
        conversation = Conversation(model=model or "", persona=persona, agent=agent)
        return cls(ctx, conversation, host_name=host_name, store=store)

    # --- what the person chooses ---------------------------------------------

    def settings(self) -> ChatSettings:
        """The conversation's model, persona and options, to change and give to ``configure``."""
        conversation = self.conversation
        return ChatSettings(conversation.model, conversation.persona, dict(conversation.options), conversation.agent)

    def configure(self, settings: ChatSettings) -> None:
        """Use these from the next prompt on (the persona and the agent must exist); saved if there are messages."""
        prompt_of(self.ctx.config, settings.persona)
        if settings.agent and settings.agent != self.conversation.agent:
            _check_agent(self.ctx, settings.agent)
        conversation = self.conversation
        conversation.model, conversation.persona = settings.model, settings.persona
        conversation.options = dict(settings.options)
        conversation.agent = settings.agent
        if conversation.messages:
            self.save()

    def rename(self, title: str) -> None:
        """Give the conversation a title (one line, not empty) and save it."""
        self.conversation.rename(title)
        self.save()

    def planned_model(self) -> str:
        """The model the next prompt goes to, as far as is known without asking the host:
        the conversation's, else the configured default; "" means the first installed one."""
        return self.conversation.model or self.ctx.config.inference.model

    # --- the public internet ----------------------------------------------------

    def check_destination(self) -> HostTarget:
        """Where the next prompt goes; PublicHostUnconfirmed if the person must allow it first.

        With a pool, every public member must be allowed: a reply may fall back to any of them.
        """
        targets = self.targets()
        if self.ctx.config.privacy.confirm_public:
            allowed = _allowed(self.conversation.options.get("public_ok"))
            for target in targets:
                if target.locality.is_public and target.url not in allowed:
                    raise PublicHostUnconfirmed(target)
        return targets[0]

    def allow_public(self, target: HostTarget) -> None:
        """The person said yes: prompts of this conversation may go to ``target`` from now on."""
        allowed = _allowed(self.conversation.options.get("public_ok"))
        if target.url not in allowed:
            allowed.append(target.url)
        self.conversation.options["public_ok"] = allowed[0] if len(allowed) == 1 else allowed

    # --- what goes to the model ----------------------------------------------

    def destination(self) -> str:
        """The host or pool this conversation's prompts go to, by name."""
        config = self.ctx.config
        if self.host_name:
            return self.host_name
        from sovtui.inference.hosts import is_builtin

        host = self.conversation.host
        known = host if host in config.hosts or host in config.pools or (host and is_builtin(host, config)) else ""
        if not known and self.conversation.agent in config.agents:  # a new conversation with an agent: its host
            known = config.agents[self.conversation.agent].host
        return known

    def targets(self) -> list[HostTarget]:
        """The hosts this conversation's prompts may go to, in order (several for a pool)."""
        return self.ctx.targets(self.destination() or None)

    def target(self) -> HostTarget:
        """Where this conversation's prompts go: the host asked for, else the
        conversation's own (if still configured), else the default; a pool's first member."""
        return self.targets()[0]

    def request_messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        system = prompt_of(self.ctx.config, self.conversation.persona)
        if system:
            messages.append({"role": "system", "content": system})
        for message in self.conversation.messages:
            if message.role == "assistant" and not message.content and not message.tool_calls:
                continue  # a reply that failed before its first word
            messages.append(message.to_request())  # tool calls and results as Ollama wants them back
        return messages

    async def resolve_model(self, backend: Engine) -> str:
        """The conversation's model, else the configured default, else the first installed."""
        planned = self.planned_model()
        if planned:
            return planned
        models = await backend.list_models()
        if not models and backend.target.is_openai:
            raise NoModel(f"{backend.name} serves no model: load one on the server")
        if not models:
            raise NoModel(f"no model is installed on {backend.name}: pull one with 'sovtui models pull qwen3:0.6b'")
        return models[0].name

    async def _think(self, backend: Engine, model: str) -> bool | None:
        if backend.target.is_openai:  # the server thinks as it was started to; the API has no switch
            return None
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
        self.check_destination()
        self.conversation.messages.append(Message("user", text))
        self.conversation.touch()
        self.save()
        return self._reply()

    def regenerate(self) -> AsyncIterator[ReplyEvent]:
        """Replace the last reply with a new one."""
        messages = self.conversation.messages
        keep = len(messages)
        while keep and messages[keep - 1].role == "assistant":
            keep -= 1
        if not keep or messages[keep - 1].role != "user":
            raise UsageError("there is no prompt to answer again")
        self.check_destination()
        del messages[keep:]
        self.save()
        return self._reply()

    def edit(self, index: int, text: str) -> AsyncIterator[ReplyEvent]:
        """Change an earlier prompt and send it again; what followed it is dropped."""
        messages = self.conversation.messages
        if not 0 <= index < len(messages) or messages[index].role != "user":
            raise UsageError("only your own prompts can be edited")
        if not text.strip():
            raise UsageError("nothing to send: the prompt is empty")
        self.check_destination()
        del messages[index + 1 :]
        messages[index].content = text
        self.conversation.touch()
        self.save()
        return self._reply()

    # --- streaming --------------------------------------------------------------

    async def _reply(self) -> AsyncIterator[ReplyEvent]:
        if self.conversation.agent:
            async for event in self._agent_reply():
                yield event
            return
        targets = self.targets()
        pooled = len(targets) > 1
        self.conversation.host = (self.destination() or self.ctx.config.inference.host) if pooled else targets[0].name
        options = {k: v for k, v in self.conversation.options.items() if k in MODEL_OPTIONS}
        keep_alive = self.conversation.options.get("keep_alive")
        failures: list[str] = []
        for target in targets:
            async with self.ctx.backend_for(target) as backend:
                if pooled:
                    try:
                        model = await self._pool_model(backend)
                    except BackendError as exc:  # down, or without the model: the next member
                        failures.append(f"{target.name}: {exc}")
                        continue
                else:
                    model = await self.resolve_model(backend)
                self.conversation.model = model
                think = await self._think(backend, model)
                reply = Message("assistant", model=model, host=target.name)
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
                return
        raise PoolUnavailable(self.conversation.host, self.planned_model(), failures)

    async def _pool_model(self, backend: Engine) -> str:
        """The model this pool member would answer with; BackendError if it is down or lacks it."""
        models = [m.name for m in await backend.list_models()]
        planned = self.planned_model()
        if not planned:
            if not models:
                raise NoModel(f"no model is installed on {backend.name}")
            return models[0]
        from sovtui.inference.models import same_model

        found = next((name for name in models if same_model(name, planned)), None)
        if found is None:
            raise BackendError(f"no model {planned}")
        return found

    async def _agent_reply(self) -> AsyncIterator[ReplyEvent]:
        """The agent answers: its model, its tools, its limits (``sovtui.agent.runner``)."""
        from sovtui.agent.runner import AgentRunner

        conversation = self.conversation
        runner = AgentRunner(
            self.ctx, conversation.agent, approve=self.approve, approve_under=self.approve_under,
            model=conversation.model or None, host=self.target().name, save=lambda _: self.save(),
        )
        last: Message | None = None
        last_save = time.monotonic()
        async for event in runner.exchange(conversation):
            last = event.message or last
            assert last is not None  # every event of an exchange carries its message
            if event.kind in ("content", "thinking"):
                yield ReplyEvent(event.kind, event.text, last)
                if time.monotonic() - last_save >= self.save_interval:
                    self.save()
                    last_save = time.monotonic()
            elif event.kind in ("tool_call", "tool_result"):
                yield ReplyEvent(event.kind, event.text, last, call=event.call, result=event.result)
                last_save = time.monotonic()
            elif event.kind == "done":
                yield ReplyEvent("finished", "", last)
        if last is not None:
            yield ReplyEvent("done", "", last)

    def save(self) -> None:
        self.store.save(self.conversation)


def _check_agent(ctx: Context, name: str) -> None:
    """NoSuchAgent unless ``name`` is one of the vault's agent keys."""
    from sovtui.agent.agents import load_agent

    load_agent(ctx, name)
