"""One exchange with an agent: the model thinks, calls tools, and answers.

``AgentRunner.exchange(conversation, prompt)`` sends the conversation to the
model with the agent's tools (only to a model whose /api/show capabilities
include "tools": ``ToolsUnsupported`` otherwise), runs each tool call the
model makes through the ``Toolbox`` (limits, approval, audit log), appends
the assistant message that carried the calls and one role "tool" message per
result (with ``tool_name``, as Ollama expects them back), and asks again,
until the model answers without calling a tool or ``max_rounds`` is reached.

It yields ``AgentEvent``s a front end shows as they come: ``content`` and
``thinking`` fragments, ``tool_call`` when a call starts, ``tool_result``
when it ends (``event.result.outcome`` is ok, refused, error or pending),
``done`` at the end. Stopping it (leaving the loop, cancelling the task)
closes the model's request; a payment under way stays pending in the ledger
(written before the request left) and is looked up, never sent again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sovtui.agent.agents import load_agent
from sovtui.agent.errors import AgentError, ToolsUnsupported
from sovtui.agent.guard import Approver
from sovtui.agent.tools import TOOLS, Toolbox, ToolResult
from sovtui.chat.models import Conversation, Message
from sovtui.errors import UsageError
from sovtui.inference.types import ToolCall

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.inference.engine import Engine

MAX_ROUNDS = 8

SYSTEM_PROMPT = (
    "You are {name}, an agent acting for your owner. You have your own Nostr key and may spend from a Lightning "
    "wallet within a limit your owner signed ({limit}). Use the tools to check the balance, make and pay invoices, "
    "look up payments and sign notes. Amounts are in sats. A tool may refuse (a limit, or your owner said no): then "
    "tell the user plainly why, and do not try to get around it."
)


@dataclass(frozen=True)
class AgentEvent:
    kind: Literal["content", "thinking", "tool_call", "tool_result", "done"]
    text: str = ""
    call: ToolCall | None = None
    result: ToolResult | None = None
    #: The message the event belongs to (the reply growing, or the "tool" message just added).
    message: Message | None = None


class AgentRunner:
    """Runs exchanges for one agent. ``approve`` asks the owner (None: nobody to ask, so refused)."""

    def __init__(self, ctx: Context, agent: str, *, approve: Approver | None = None, approve_under: int | None = None,
                 model: str | None = None, host: str | None = None, max_rounds: int = MAX_ROUNDS,
                 save: Callable[[Conversation], None] | None = None) -> None:
        self.ctx = ctx
        self.agent_name = agent
        self.approve = approve
        self.approve_under = approve_under
        self.model = model
        self.host = host
        self.max_rounds = max_rounds
        self.save = save
        self._capable: dict[str, bool] = {}

    def resolve_model(self) -> str:
        agent = load_agent(self.ctx, self.agent_name)
        model = self.model or agent.config.model or self.ctx.config.inference.model
        if not model:
            raise UsageError(f"no model for {self.agent_name}: pass -m MODEL, or set [agents.{self.agent_name}] model")
        return model

    async def check_model(self, backend: Engine, model: str) -> None:
        """ToolsUnsupported unless the model's capabilities include "tools" (asked once per model)."""
        if model not in self._capable:
            details = await backend.show(model)
            self._capable[model] = "tools" in details.capabilities
        if not self._capable[model]:
            raise ToolsUnsupported(model, backend.name)

    def system_prompt(self) -> str:
        agent = load_agent(self.ctx, self.agent_name)
        c = agent.credential
        limit = f"{c.limit_sats:,} sats per {c.period}, {agent.state}" if c is not None else "none: you may not spend"
        return SYSTEM_PROMPT.format(name=agent.name, limit=limit)

    @staticmethod
    def request_messages(system: str, conversation: Conversation) -> list[dict[str, object]]:
        messages: list[dict[str, object]] = [{"role": "system", "content": system}]
        for message in conversation.messages:
            if message.role == "assistant" and not message.content and not message.tool_calls:
                continue  # a reply that failed before its first word
            messages.append(message.to_request())
        return messages

    async def exchange(self, conversation: Conversation, prompt: str | None = None) -> AsyncIterator[AgentEvent]:
        """Send ``prompt`` (or answer the conversation as it is) and run the tool calls; see the module's doc."""
        from sovtui.inference.errors import ToolsRefused

        if prompt is not None:
            if not prompt.strip():
                raise UsageError("nothing to send: the prompt is empty")
            conversation.messages.append(Message("user", prompt))
            conversation.touch()
        model = self.resolve_model()
        target = self.ctx.host(self.host or load_agent(self.ctx, self.agent_name).config.host or None)
        conversation.host, conversation.model = target.name, model
        async with self.ctx.backend_for(target) as backend, Toolbox(self.ctx, self.agent_name, approve=self.approve,
                                                       approve_under=self.approve_under) as toolbox:
            await self.check_model(backend, model)
            system = self.system_prompt()
            for _ in range(self.max_rounds):
                reply = Message("assistant", model=model, host=target.name)
                conversation.messages.append(reply)
                calls: list[ToolCall] = []
                finished = False
                stream = backend.chat(model, self.request_messages(system, conversation), tools=TOOLS)
                try:
                    async for chunk in stream:
                        if chunk.thinking:
                            reply.thinking += chunk.thinking
                            yield AgentEvent("thinking", chunk.thinking, message=reply)
                        if chunk.content:
                            reply.content += chunk.content
                            yield AgentEvent("content", chunk.content, message=reply)
                        if chunk.tool_calls:
                            calls.extend(chunk.tool_calls)
                            reply.tool_calls = [c.to_dict() for c in calls]
                        if chunk.done:
                            reply.done_reason = chunk.done_reason
                            reply.eval_count, reply.eval_duration = chunk.eval_count, chunk.eval_duration
                            reply.prompt_eval_count = chunk.prompt_eval_count
                    finished = True
                except ToolsRefused:  # an OpenAI-compatible server says so only when asked
                    self._capable[model] = False
                    raise ToolsUnsupported(model, backend.name) from None
                finally:
                    await stream.aclose()
                    reply.interrupted = not finished
                    if not finished and not reply.content and not reply.tool_calls:
                        conversation.messages.remove(reply)
                    self._save(conversation)
                if not calls:
                    yield AgentEvent("done", message=reply)
                    return
                for call in calls:
                    yield AgentEvent("tool_call", call.name, call=call, message=reply)
                    result = await toolbox.call(call.name, call.arguments)
                    message = Message("tool", content=result.content, tool_name=call.name, model=model,
                                      refused=result.outcome == "refused", summary=result.summary())
                    conversation.messages.append(message)
                    self._save(conversation)
                    yield AgentEvent("tool_result", result.summary(), call=call, result=result, message=message)
        raise AgentError(f"the model was still calling tools after {self.max_rounds} rounds: stopped there")

    def _save(self, conversation: Conversation) -> None:
        conversation.touch()
        if self.save is not None:
            self.save(conversation)
