"""Which model host a command talks to, and where that host is.

A host named on the command line (``--host NAME``) or in the TUI wins; else
``OLLAMA_HOST`` from the environment, parsed exactly as the official client
parses it; else the config's default host.

A host speaks an ``api``: ``"ollama"`` (Ollama's own) or ``"openai"`` (the
OpenAI-compatible API of llama.cpp's llama-server, vLLM, LM Studio, LocalAI,
SGLang and the cloud services). A name may also be a pool
(``[pools.NAME] hosts = [...]``): ``resolve_targets`` gives its members in
order, and a reply goes to the first that answers and has the model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sovtui.config import Config, HostConfig
from sovtui.errors import ConfigError
from sovtui.net import Locality, locality_of

OLLAMA = "ollama"
OPENAI = "openai"


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


def openai_base_url(value: str) -> str:
    """An OpenAI-compatible server's base URL as its client wants it.

    Written as the server documents it (``http://gpu-box:8000/v1``,
    ``https://openrouter.ai/api/v1``); a URL with no path gets ``/v1`` (the
    path every local server uses), a URL with a path keeps it as it is (some
    services put the API elsewhere, Google's under ``/v1beta/openai``).
    No scheme means ``http://``; a trailing ``/`` is dropped.
    """
    from urllib.parse import urlsplit

    value = value.strip()
    if "://" not in value:
        value = "http://" + value
    try:
        split = urlsplit(value)
        split.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigError(f"{value!r} is not a URL a client can connect to") from None
    if split.scheme not in ("http", "https") or not split.hostname:
        raise ConfigError(f"{value!r} is not an http or https URL")
    path = split.path.rstrip("/") or "/v1"
    return f"{split.scheme}://{split.netloc}{path}"


#: The built-in engine's host name (``sovtui.inference.builtin``).
BUILTIN = "builtin"
#: The address a stopped built-in engine is shown at: this machine, no port yet.
IDLE_URL = "http://127.0.0.1:0/v1"


def is_builtin(name: str | None, config: Config) -> bool:
    """True when ``name`` (None: the default host) means the built-in engine.

    A host the user configured under that name wins: it is theirs. Here and
    not in ``sovtui.inference.builtin`` (which re-exports it): naming the
    host is part of every start, and the engine's module is not.
    """
    if name is None:
        if os.environ.get("OLLAMA_HOST"):
            return False
        name = config.inference.host
    return name == BUILTIN and BUILTIN not in config.hosts


@dataclass(frozen=True)
class HostTarget:
    name: str
    url: str
    #: "ollama" or "openai" (OpenAI-compatible).
    api: str = OLLAMA
    #: sovtui's built-in engine (OpenAI-compatible, and more: its models are files sovtui pulls and removes).
    builtin: bool = False

    @property
    def locality(self) -> Locality:
        return locality_of(self.url)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.locality.label})"

    @property
    def is_openai(self) -> bool:
        return self.api == OPENAI

    @property
    def kind(self) -> str:
        """What the host is, for people: "Ollama" or "OpenAI-compatible"."""
        return "OpenAI-compatible" if self.is_openai else "Ollama"

    @property
    def address(self) -> str:
        """The URL as a person reads it: a stopped built-in engine has no port yet, so no address."""
        return "not running" if self.url == IDLE_URL else self.url


def target_of(name: str, host: HostConfig) -> HostTarget:
    """The target for a configured host: its URL read as its API wants it."""
    if host.api == OPENAI:
        return HostTarget(name, openai_base_url(host.url), OPENAI)
    return HostTarget(name, parse_host(host.url), OLLAMA)


def resolve_host(config: Config, name: str | None = None) -> HostTarget:
    """The host for a command; ConfigError for an unknown name. A pool means its first member."""
    return resolve_targets(config, name)[0]


def resolve_targets(config: Config, name: str | None = None) -> list[HostTarget]:
    """The hosts a name means, in the order to try them: one host, or a pool's members."""
    if name is None and os.environ.get("OLLAMA_HOST"):
        return [HostTarget("OLLAMA_HOST", parse_host(os.environ["OLLAMA_HOST"]))]
    wanted = name or config.inference.host
    if wanted not in config.hosts and wanted in config.pools:
        members = config.pools[wanted].hosts
        if not members:
            raise ConfigError(f"the pool {wanted!r} has no hosts: add some under [pools.{wanted}] hosts in config.toml")
        unknown = [m for m in members if m not in config.hosts]
        if unknown:
            raise ConfigError(f"the pool {wanted!r} names hosts that are not in config.toml: {', '.join(unknown)}")
        return [target_of(member, config.hosts[member]) for member in members]
    host_name, host = config.host(wanted)
    return [target_of(host_name, host)]


def is_pool(config: Config, name: str | None) -> bool:
    """True if ``name`` is a pool (and not also a host, which would win)."""
    return bool(name) and name not in config.hosts and name in config.pools
