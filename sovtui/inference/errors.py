"""What can go wrong when talking to Ollama, in words a person can act on."""

from __future__ import annotations

from sovtui.errors import SovtuiError


class BackendError(SovtuiError):
    """Ollama answered with an error, or the exchange broke."""


class BackendUnreachable(BackendError):
    """Nothing answers at the host's address."""

    def __init__(self, url: str, reason: str, *, local: bool = True) -> None:
        hint = "start it with 'sovtui backend start'" if local else "check that Ollama runs there and listens on the network (OLLAMA_HOST=0.0.0.0)"
        super().__init__(f"cannot reach Ollama at {url} ({reason}): {hint}")
        self.url = url
        self.reason = reason


class ModelNotFound(BackendError):
    def __init__(self, model: str, host: str) -> None:
        super().__init__(f"model '{model}' is not installed on {host}: pull it with 'sovtui models pull {model}'")
        self.model = model
        self.host = host


class OllamaNotInstalled(SovtuiError):
    def __init__(self) -> None:
        super().__init__(
            "Ollama is not installed on this machine: install it from https://ollama.com/download "
            "(on Linux: curl -fsSL https://ollama.com/install.sh | sh), or set [backend] binary in config.toml"
        )
