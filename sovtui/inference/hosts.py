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
    """Normalise a host exactly as the official ``ollama`` client does.

    The same steps as ``ollama._client._parse_host`` (a test checks every
    case of its doctests against it), written out so that naming a host does
    not import the client and its dependencies: that would add a fifth of a
    second to start-up.
    """
    import ipaddress
    from urllib.parse import urlsplit

    host, port = value or "", 11434
    scheme, _, hostport = host.partition("://")
    if not hostport:
        scheme, hostport = "http", host
    elif scheme == "http":
        port = 80
    elif scheme == "https":
        port = 443
    split = urlsplit(f"{scheme}://{hostport}")
    host = split.hostname or "127.0.0.1"
    port = split.port or port
    try:
        if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
            host = f"[{host}]"
    except ValueError:
        pass
    if path := split.path.strip("/"):
        return f"{scheme}://{host}:{port}/{path}"
    return f"{scheme}://{host}:{port}"


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
