"""The agent's errors: one line a person (or the model) can act on."""

from __future__ import annotations

from sovtui.errors import SovtuiError


class AgentError(SovtuiError):
    """An agent that cannot act at all: no such agent key, no wallet, no model that takes tools."""


class NoSuchAgent(AgentError):
    exit_code = 2


class ToolsUnsupported(AgentError):
    """The model cannot call tools (its /api/show capabilities lack "tools")."""

    def __init__(self, model: str, host: str) -> None:
        super().__init__(
            f"the model {model} on {host} cannot use tools (its host does not list \"tools\" among its capabilities), "
            "so it cannot act as an agent: choose one that can (qwen3, llama3.1, mistral-nemo ...) with -m MODEL "
            "or [agents.NAME] model"
        )
        self.model = model


class Refused(AgentError):
    """A tool call the limits or the owner refused; the reason goes back to the model as the tool's result."""

    exit_code = 1

    def __init__(self, reason: str, *, rule: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        #: Which limit: "credential", "budget", "approval", "invoice" ...
        self.rule = rule
