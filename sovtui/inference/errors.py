"""What can go wrong when talking to a model server, in words a person can act on."""

from __future__ import annotations

from collections.abc import Sequence

from sovtui.errors import SovtuiError


class BackendError(SovtuiError):
    """The model server answered with an error, or the exchange broke."""


class BackendUnreachable(BackendError):
    """Nothing answers at the host's address."""

    def __init__(self, url: str, reason: str, *, local: bool = True, kind: str = "Ollama") -> None:
        if kind == "Ollama":
            hint = "start it with 'sovtui backend start'" if local else "check that Ollama runs there and listens on the network (OLLAMA_HOST=0.0.0.0)"
        else:
            hint = "check that the server runs there and listens on that address and port"
        super().__init__(f"cannot reach {kind} at {url} ({reason}): {hint}")
        self.url = url
        self.reason = reason


class ModelNotFound(BackendError):
    """The host has no such model. ``served``: what an OpenAI-compatible host does serve (it cannot pull)."""

    def __init__(self, model: str, host: str, *, served: Sequence[str] | None = None) -> None:
        if served is None:
            message = f"model '{model}' is not installed on {host}: pull it with 'sovtui models pull {model}'"
        else:
            shown = ", ".join(list(served)[:12]) + (" ..." if len(served) > 12 else "")
            message = f"model '{model}' is not served by {host} (it serves: {shown or 'no models'})"
        super().__init__(message)
        self.model = model
        self.host = host
        self.served = list(served) if served is not None else None


class KeyRefused(BackendError):
    """The host refused the API key (401, 403), or wants one and none is set. The key is never quoted."""

    def __init__(self, host: str, status: int, *, has_key: bool) -> None:
        if not has_key:
            message = f"{host} wants an API key ({status}): set it with 'sovtui hosts key {host}'"
        elif status == 403:
            message = f"{host} refused the API key ({status}: it may not use this model or this API): check it, or set another with 'sovtui hosts key {host}'"
        else:
            message = f"{host} refused the API key ({status}): set the right one with 'sovtui hosts key {host}'"
        super().__init__(message)
        self.host = host
        self.status = status


class RateLimited(BackendError):
    """429: the host asks us to wait."""

    def __init__(self, host: str, retry_after: float | None = None) -> None:
        wait = f"wait {retry_after:.0f} s" if retry_after else "wait a moment"
        super().__init__(f"{host} is limiting requests (429): {wait} and try again")
        self.host = host
        self.retry_after = retry_after


class OperationUnsupported(BackendError):
    """The host's API cannot do this (an OpenAI-compatible server cannot pull, delete, copy, list loaded or unload models)."""

    def __init__(self, host: str, what: str, reason: str) -> None:
        super().__init__(f"{host} cannot {what}: {reason}")
        self.host = host
        self.what = what


class ToolsRefused(BackendError):
    """The host refused a request that offered tools: the model (or server) cannot call them."""

    def __init__(self, model: str, host: str, detail: str = "") -> None:
        said = f" ({detail})" if detail else ""
        super().__init__(f"{host} refused tools for {model}{said}")
        self.model = model
        self.host = host


class VaultLockedForKey(BackendError):
    """The host's API key is in the vault, and the vault is locked."""

    def __init__(self, host: str) -> None:
        super().__init__(f"the API key of {host} is in the vault, which is locked: unlock it first (the Keys pane, or SOVTUI_PASSPHRASE)")
        self.host = host


class OllamaNotInstalled(SovtuiError):
    def __init__(self) -> None:
        super().__init__(
            "Ollama is not installed on this machine: install it from https://ollama.com/download "
            "(on Linux: curl -fsSL https://ollama.com/install.sh | sh), or set [backend] binary in config.toml"
        )
