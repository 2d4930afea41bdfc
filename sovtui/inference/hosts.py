"""Which Ollama host a command talks to, and where that host is.

A host named on the command line (``--host NAME``) or in the TUI wins; else
``OLLAMA_HOST`` from the environment, parsed exactly as the official client
parses it; else the config's default host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sovtui.config import Config
from sovtui.net import Locality, locality_of


def parse_host(value: str | None) -> str:
    """Normalise a host the way the official ``ollama`` client does."""
    from ollama._client import _parse_host

    return _parse_host(value)


@dataclass(frozen=True)
class HostTarget:
    name: str
    url: str

    @property
    def locality(self) -> Locality:
        return locality_of(self.url)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.locality.label})"


def resolve_host(config: Config, name: str | None = None) -> HostTarget:
    """The host for a command; ConfigError for an unknown name."""
    if name is None and os.environ.get("OLLAMA_HOST"):
        return HostTarget("OLLAMA_HOST", parse_host(os.environ["OLLAMA_HOST"]))
    host_name, host = config.host(name)
    return HostTarget(host_name, parse_host(host.url))
