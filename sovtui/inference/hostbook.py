"""The model hosts a user has named: adding, removing, testing them and keeping their keys.

The rules live here, once, for ``sovtui hosts`` and the Models pane's host
picker: a host's name is a short label; its URL is read as its API wants it
(``hosts.openai_base_url`` adds a missing ``/v1``); ``--api`` may be left out
when the URL says it (a path ending in ``/v1`` is the OpenAI-compatible API);
a host in use (the default, a pool's member, an agent's) is not removed from
under its users; its API key goes to the vault, never config.toml.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sovtui.config import HOST_APIS, Config, HostConfig
from sovtui.errors import ConfigError, SovtuiError, UsageError
from sovtui.inference.hosts import OLLAMA, OPENAI, HostTarget, openai_base_url, parse_host, target_of

if TYPE_CHECKING:
    from sovtui.context import Context

#: A host's name: what ``--host`` takes and a vault entry is keyed by.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise UsageError(f"{name!r} cannot name a host: use up to 40 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def guess_api(url: str) -> str:
    """The API a URL names when none is given: a path ending in ``/v1`` is OpenAI's, else Ollama's."""
    path = url.strip().split("://", 1)[-1].partition("/")[2].rstrip("/")
    return OPENAI if path == "v1" or path.endswith("/v1") else OLLAMA


def target_for(name: str, url: str, api: str | None = None) -> HostTarget:
    """A host as it would be added: the name checked, the URL read as the API wants it."""
    check_name(name)
    api = api or guess_api(url)
    if api not in HOST_APIS:
        raise UsageError(f"--api is {' or '.join(HOST_APIS)}, not {api!r}")
    if not url.strip():
        raise UsageError("give the host's URL, like http://gpu-box:11434 (Ollama) or http://gpu-box:8000/v1")
    try:
        clean = openai_base_url(url) if api == OPENAI else parse_host(url.strip())
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except ValueError:
        raise UsageError(f"{url!r} is not a URL a client can connect to") from None
    return target_of(name, HostConfig(url=clean, api=api))


def add_host(ctx: Context, name: str, url: str, api: str | None = None, *, replace: bool = False) -> HostTarget:
    """Add (or with ``replace``, change) a host in config.toml; its target."""
    target = target_for(name, url, api)

    def change(config: Config) -> None:
        if name in config.pools:
            raise UsageError(f"{name} is already the name of a pool: choose another")
        if name in config.hosts and not replace:
            raise UsageError(f"there is already a host named {name} ({config.hosts[name].url}): remove it first, or use --replace")
        known = config.hosts.get(name)
        host = HostConfig(url=target.url, api=target.api)
        if known is not None:
            host.extra = dict(known.extra)
        config.hosts[name] = host

    ctx.update_config(change)
    return target


async def add_detected_host(ctx: Context, name: str, url: str, api: str | None = None) -> HostTarget:
    """``add_host``, asking the machine which API it speaks when ``api`` is not given and the URL does
    not say (an Ollama address may be an OpenAI-compatible server: llama-server, vLLM, LM Studio).
    Only the machine named is asked; the name is checked before anything is sent."""
    import asyncio

    from sovtui.setup import detect_api

    target = target_for(name, url, api)
    if api is None and target.api == OLLAMA:
        target = await detect_api(target)
    return await asyncio.to_thread(add_host, ctx, name, target.url, target.api)  # config.toml, under its lock


@dataclass(frozen=True)
class HostRow:
    """A host prompts may go to, as a list shows it."""

    name: str
    api: str
    #: None for a stopped built-in engine: it has no port until it starts.
    url: str | None
    #: Where the URL is ("this machine", "private network", "public internet"), or "unusable URL".
    where: str
    #: The built-in engine, which has no ``[hosts]`` entry.
    builtin: bool = False

    @property
    def address(self) -> str:
        return self.url or "not running"


def host_rows(ctx: Context) -> list[HostRow]:
    """Every host a prompt may go to: the configured ones by name, then the built-in engine (always a choice).

    What ``sovtui hosts list`` prints and the Models pane's host picker offers.
    """
    from sovtui.inference.hosts import BUILTIN, IDLE_URL

    rows = []
    for name, host in sorted(ctx.config.hosts.items()):
        try:
            target = target_of(name, host)
        except SovtuiError:  # listed as written, so it can be seen and fixed
            rows.append(HostRow(name, host.api, host.url, "unusable URL"))
            continue
        rows.append(HostRow(name, host.api, target.url, target.locality.label))
    if BUILTIN not in ctx.config.hosts:  # a host of the user's own under that name wins
        engine = ctx.builtin_server().target
        rows.append(HostRow(BUILTIN, OPENAI, None if engine.url == IDLE_URL else engine.url, engine.locality.label, builtin=True))
    return rows


def users_of(config: Config, name: str) -> list[str]:
    """What names ``name`` as its host: the default, pools, agents."""
    users = []
    if config.inference.host == name:
        users.append("[inference] host")
    users += [f"[pools.{pool}] hosts" for pool, p in sorted(config.pools.items()) if name in p.hosts]
    users += [f"[agents.{agent}] host" for agent, a in sorted(config.agents.items()) if a.host == name]
    return users


def remove_host(ctx: Context, name: str) -> None:
    """Remove a host from config.toml; refused while something uses it (said in one line)."""

    def change(config: Config) -> None:
        if name not in config.hosts:
            raise UsageError(f"no host named {name!r} in config.toml (known: {', '.join(sorted(config.hosts)) or 'none'})")
        users = users_of(config, name)
        if users:
            raise in_use(name, users)
        del config.hosts[name]

    ctx.update_config(change)


def in_use(name: str, users: list[str]) -> UsageError:
    return UsageError(f"cannot remove {name}: {', '.join(users)} in config.toml name{'s' if len(users) == 1 else ''} it; point {'it' if len(users) == 1 else 'them'} elsewhere first")


@dataclass
class HostCheck:
    """What a host answered when tested."""

    name: str
    url: str
    api: str
    locality: str
    answering: bool
    models: list[str] = field(default_factory=list)
    #: Milliseconds the model list took.
    latency_ms: float | None = None
    has_key: bool = False
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "api": self.api, "locality": self.locality, "answering": self.answering,
                "models": self.models, "latency_ms": self.latency_ms, "has_key": self.has_key, "error": self.error}


async def test_host(ctx: Context, name: str | None = None) -> HostCheck:
    """Ask the host for its models (the one call every API has), timing it; errors are in the result."""
    from sovtui.inference.keys import has_key

    target = ctx.host(name)
    keyed = target.is_openai and has_key(ctx.vault, target.name)
    check = HostCheck(target.name, target.url, target.api, target.locality.label, False, has_key=keyed)
    try:
        async with ctx.backend_for(target, timeout=10.0) as backend:
            started = time.monotonic()
            models = await backend.list_models()
            check.latency_ms = round((time.monotonic() - started) * 1000, 1)
    except SovtuiError as exc:
        check.error = str(exc)
        return check
    check.answering = True
    check.models = [m.name for m in models]
    return check


def set_key(ctx: Context, name: str, key: str) -> bool:
    """Keep ``key`` as the host's API key in the (open) vault; an empty key removes it. True if one is kept now."""
    from sovtui.inference.keys import remove_api_key, set_api_key

    ctx.host(name)  # a host that exists, or its ConfigError
    key = key.strip()
    if not key:
        remove_api_key(ctx.vault, name)
        return False
    if any(ord(c) < 33 or ord(c) == 127 for c in key):
        raise UsageError("an API key is one word of printable characters: nothing was kept")
    set_api_key(ctx.vault, name, key)
    return True
