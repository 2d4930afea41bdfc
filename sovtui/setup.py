"""The setup wizard's steps as plain functions: what each step finds and what it writes.

The wizard screens only ask and show; everything that looks at the machine or
changes a file is here, so it is tested without a terminal and could serve a
non-interactive setup too. Each ``apply_*`` function is called only once the
user confirms its step: nothing is written before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sovtui.config import Config, HostConfig
from sovtui.errors import SovtuiError, UsageError

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.identity.keys import KeyInfo
    from sovtui.inference.hosts import HostTarget

INSTALL_OLLAMA = "curl -fsSL https://ollama.com/install.sh | sh"
TEST_PROMPT = "In one short sentence: what does it mean to own your AI?"


@dataclass
class InferenceFinding:
    """Where a model could answer: the host, whether it answers, what it has."""

    target: HostTarget
    answering: bool
    models: list[str] = field(default_factory=list)
    ollama_installed: bool = False
    recommended: str = ""
    error: str = ""


async def find_inference(ctx: Context, target: HostTarget | None = None) -> InferenceFinding:
    """Probe one host (the default one unless named): answering, models, and what to pull."""
    from sovtui.errors import SovtuiError
    from sovtui.inference.suggest import recommended

    if target is not None and target.name not in ctx.config.hosts and not target.is_openai:
        target = await detect_api(target)  # a machine the user named: Ollama, or an OpenAI-compatible server
    target = target or ctx.host()
    installed = ctx.server().binary() is not None
    async with ctx.backend_for(target, timeout=5.0) as backend:
        try:
            models = [m.name for m in await backend.list_models()]
        except SovtuiError as exc:
            return InferenceFinding(target, False, [], installed, recommended(), str(exc))
    return InferenceFinding(target, True, models, installed, recommended())


async def find_builtin(ctx: Context) -> InferenceFinding:
    """The built-in engine as the wizard offers it when no Ollama is found.

    It "answers" once llama-cpp-python is installed: its models are files,
    listed without the server, which starts for the test prompt (and, with
    ``[backend] autostart``, which choosing it turns on, for every chat).
    """
    from sovtui.inference.builtin import EngineNotInstalled, engine_installed
    from sovtui.inference.gguf import list_models
    from sovtui.inference.suggest import builtin_suggestions

    target = ctx.builtin_server().target
    recommended = builtin_suggestions()[0].name
    if not engine_installed():
        return InferenceFinding(target, False, [], False, recommended, str(EngineNotInstalled()))
    return InferenceFinding(target, True, [m.name for m in list_models(ctx.paths)], True, recommended)


def engine_requirement() -> str:
    """What the ``local`` extra installs, read from sovtui's own metadata (so a wizard install matches it)."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        for requirement in requires("sovtui") or ():
            name, _, marker = requirement.partition(";")
            if "extra" in marker and '"local"' in marker.replace("'", '"'):
                return name.strip()
    except PackageNotFoundError:
        pass
    return "llama-cpp-python[server]>=0.3.16,<0.4"


async def install_engine(progress: Callable[[str], None]) -> None:
    """Install the built-in engine into the environment sovtui runs in (pip; the first build takes minutes).

    Called only after the person confirmed. Each line pip prints is handed to
    ``progress``; a failure raises with the last line and the command to run by hand.
    """
    import asyncio
    import sys

    from sovtui.inference.builtin import install_command
    from sovtui.inference.server import child_environment
    from sovtui.text import safe_line

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pip", "install", "--progress-bar", "off", engine_requirement(),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=child_environment(),
    )
    last = ""
    assert process.stdout is not None
    try:
        async for raw in process.stdout:
            line = safe_line(raw.decode(errors="replace")).strip()
            if line:
                last = line
                progress(line)
        code = await process.wait()
    except BaseException:
        if process.returncode is None:
            process.kill()
        raise
    if code != 0:
        raise SovtuiError(f"installing the built-in engine failed ({last[:200]}): run {install_command()} to see why")


#: Where OpenAI-compatible servers listen unless told otherwise: llama-server, vLLM, LM Studio.
OPENAI_PORTS = (8080, 8000, 1234)


async def detect_api(target: HostTarget) -> HostTarget:
    """Which server answers on the machine of ``target`` (an Ollama address): Ollama there, else an
    OpenAI-compatible server on the same port or a usual one (``OPENAI_PORTS``); ``target`` if none does.

    Only the machine the user named is asked. A server that wants a key answers (401): it is the one.
    """
    from urllib.parse import urlsplit

    from sovtui.inference.engine import open_backend
    from sovtui.inference.errors import BackendUnreachable, KeyRefused
    from sovtui.inference.hosts import HostTarget, openai_base_url

    async with open_backend(target, timeout=3.0) as backend:
        if await backend.is_up():
            return target
    split = urlsplit(target.url)
    ports = [split.port or 11434, *OPENAI_PORTS]
    for port in dict.fromkeys(ports):
        candidate = HostTarget(target.name, openai_base_url(f"{split.scheme}://{split.netloc.rsplit(':', 1)[0]}:{port}"), "openai")
        async with open_backend(candidate, timeout=3.0) as backend:
            try:
                await backend.list_models()
            except KeyRefused:
                return candidate
            except (BackendUnreachable, SovtuiError):
                continue
            return candidate
    return target


def host_from_address(address: str) -> HostTarget:
    """A LAN host the user typed (``192.168.1.20``, ``gpu-box:11434``, a URL) as a target."""
    from sovtui.inference.hosts import HostTarget, parse_host

    address = address.strip()
    if not address:
        raise UsageError("type the address of the machine running Ollama, like 192.168.1.20")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", re.sub(r"^\w+://", "", address).split(":")[0]).strip("-") or "lan"
    return HostTarget(name[:32], parse_host(address))


def apply_inference(ctx: Context, target: HostTarget, model: str | None) -> list[str]:
    """Make this host (and model) the default for chats. What changed, in words."""
    changes: list[str] = []

    from sovtui.inference.builtin import BUILTIN

    def change(config: Config) -> None:
        if target.name == BUILTIN and BUILTIN not in config.hosts:  # always known: not written as a host
            if config.inference.host != BUILTIN:
                config.inference.host = BUILTIN
                changes.append("chats go to the built-in engine (this machine)")
            if not config.backend.autostart:
                config.backend.autostart = True
                changes.append("sovtui starts the built-in engine when a chat needs it")
            if model and config.inference.model != model:
                config.inference.model = model
                changes.append(f"the default model is {model}")
            return
        known = config.hosts.get(target.name)
        if known is None or known.url.rstrip("/") != target.url.rstrip("/") or known.api != target.api:
            config.hosts[target.name] = HostConfig(url=target.url, api=target.api)
            changes.append(f"added the host {target.name} ({target.url})")
        if config.inference.host != target.name:
            config.inference.host = target.name
            changes.append(f"chats go to {target.name} ({target.locality.label})")
        if model and config.inference.model != model:
            config.inference.model = model
            changes.append(f"the default model is {model}")

    ctx.update_config(change)
    return changes


def create_owner_key(ctx: Context, label: str, passphrase: str | None, *, again: str | None = None, secret_text: str | None = None) -> KeyInfo:
    """Create the vault if needed and make (or import) the owner key; its KeyInfo.

    A new vault's passphrase is checked as every new one is
    (``identity.access.check_new_passphrase``: not empty, ``again`` the same);
    a vault already there is opened with ``passphrase``.
    """
    from sovtui.identity.access import open_or_create
    from sovtui.identity.keys import KeyStore

    open_or_create(ctx.vault, passphrase, again=again)
    store = KeyStore(ctx.vault)
    if secret_text:
        return store.import_key(label, secret_text, "owner")
    return store.generate(label, "owner")


@dataclass(frozen=True)
class AgentMade:
    """An agent key with its credential: the key's label, the owner key that signed, the credential event."""

    label: str
    owner: str
    credential: dict[str, Any]


def create_agent(ctx: Context, label: str, limit_sats: int, period: str, *, owner: str | None = None, expires_days: int = 30) -> AgentMade:
    """An agent key (made unless ``label`` is one) and a credential signed by the owner, kept in the credential book.

    The owner is the one named, or the first owner key; none is ``MissingKeys``.
    The terms are checked before the agent key is made, so a refused limit
    leaves no key behind.
    """
    from sovtui.identity.credentials import CredentialBook, check_terms
    from sovtui.identity.errors import MissingKeys
    from sovtui.identity.keys import KeyStore

    store = KeyStore(ctx.vault)
    keys = store.list()
    if owner is None:
        owner = next((k.label for k in keys if k.role == "owner"), None)
        if owner is None:
            raise MissingKeys("owner")
    check_terms(limit_sats, period, expires_days)
    if label not in {k.label for k in keys}:
        store.generate(label, "agent")
    event = CredentialBook(ctx.paths.data_dir / "credentials").issue(store, owner, label, limit_sats, period, expires_days=expires_days)
    return AgentMade(label, owner, event)


def owner_keys(ctx: Context) -> list[KeyInfo]:
    """The owner keys, if the vault is open; [] otherwise."""
    from sovtui.identity.keys import KeyStore

    vault = ctx.vault
    if not vault.exists or not vault.is_unlocked:
        return []
    return [k for k in KeyStore(vault).list() if k.role == "owner"]


def mark_seen(ctx: Context) -> None:
    """Write config.toml (defaults) so the wizard does not open by itself again."""
    ctx.store.create_default()
