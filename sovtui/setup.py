"""The setup wizard's steps as plain functions: what each step finds and what it writes.

The wizard screens only ask and show; everything that looks at the machine or
changes a file is here, so it is tested without a terminal and could serve a
non-interactive setup too. Each ``apply_*`` function is called only once the
user confirms its step: nothing is written before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sovtui.config import HostConfig
from sovtui.errors import UsageError

if TYPE_CHECKING:
    from sovtui.context import Context
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
    from sovtui.inference.backend import Backend
    from sovtui.inference.suggest import recommended

    target = target or ctx.host()
    installed = ctx.server().binary() is not None
    async with Backend(target, timeout=5.0) as backend:
        try:
            models = [m.name for m in await backend.list_models()]
        except SovtuiError as exc:
            return InferenceFinding(target, False, [], installed, recommended(), str(exc))
    return InferenceFinding(target, True, models, installed, recommended())


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

    def change(config) -> None:  # type: ignore[no-untyped-def]
        known = config.hosts.get(target.name)
        if known is None or known.url.rstrip("/") != target.url.rstrip("/"):
            config.hosts[target.name] = HostConfig(url=target.url)
            changes.append(f"added the host {target.name} ({target.url})")
        if config.inference.host != target.name:
            config.inference.host = target.name
            changes.append(f"chats go to {target.name} ({target.locality.label})")
        if model and config.inference.model != model:
            config.inference.model = model
            changes.append(f"the default model is {model}")

    ctx.update_config(change)
    return changes


def create_owner_key(ctx: Context, label: str, passphrase: str | None, *, secret_text: str | None = None) -> Any:
    """Create the vault if needed and make (or import) the owner key; its KeyInfo."""
    from sovtui.identity.keys import KeyStore
    from sovtui.identity.vault import VaultExists

    vault = ctx.vault
    try:
        if not vault.exists:
            vault.create(passphrase or None)
    except VaultExists:
        pass  # another sovtui made it a moment ago: it is opened below, if this passphrase is its
    if not vault.still_current():
        vault.unlock(passphrase if vault.is_protected else None)
    store = KeyStore(vault)
    if secret_text:
        return store.import_key(label, secret_text, "owner")
    return store.generate(label, "owner")


def create_agent(ctx: Context, owner: str, label: str, limit_sats: int, period: str, *, expires_days: int = 30) -> dict[str, Any]:
    """An agent key and a credential signed by the owner, kept in the credential book."""
    from sovtui.identity import credentials
    from sovtui.identity.credentials import CredentialBook
    from sovtui.identity.keys import KeyStore

    if limit_sats <= 0:
        raise UsageError("the agent's spending limit is a positive number of sats")
    store = KeyStore(ctx.vault)
    if label not in {k.label for k in store.list()}:
        store.generate(label, "agent")
    event = credentials.issue(store, owner, label, limit_sats, period, expires_days=expires_days)
    CredentialBook(ctx.paths.data_dir / "credentials").keep(event)
    return event


def owner_keys(ctx: Context) -> list[Any]:
    """The owner keys, if the vault is open; [] otherwise."""
    from sovtui.identity.keys import KeyStore

    vault = ctx.vault
    if not vault.exists or not vault.is_unlocked:
        return []
    return [k for k in KeyStore(vault).list() if k.role == "owner"]


def mark_seen(ctx: Context) -> None:
    """Write config.toml (defaults) so the wizard does not open by itself again."""
    ctx.store.create_default()
