"""How sovereign is this setup? The level (0-4) and the next concrete steps.

The levels are the essay's "agent sovereignty spectrum":

0. full dependence: nothing of the user's own answers a prompt;
1. API self-hosting: the user's app, but the model runs on someone else's
   hardware (every answering host is on the public internet);
2. local inference: a model answers on this machine or the LAN;
3. sovereign agent: plus an owner key in a passphrase-protected vault and a
   connected Lightning wallet;
4. autonomous agent: plus an agent that can act: an agent key holding a live
   credential, a wallet to spend from (with a budget), and a model installed
   on your own hosts whose /api/show capabilities include "tools" (a model
   without them cannot call the agent's tools, so the agent cannot act).

The level is assessed from real state (``gather_state`` reads config, files,
the hosts and the vault), never from the user's answers. ``assess`` is a pure
function of a ``SovereigntyState`` so every level and finding is testable
from constructed state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sovtui.net import Locality
from sovtui.text import safe_line

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.inference.hosts import HostTarget

LEVEL_NAMES = {
    0: "full dependence",
    1: "API self-hosting",
    2: "local inference",
    3: "sovereign agent",
    4: "autonomous agent",
}


@dataclass
class HostState:
    name: str
    url: str
    locality: Locality
    answering: bool
    models: int = 0
    #: Installed models whose capabilities include "tools" (asked only when an agent could otherwise act).
    tools_models: list[str] = field(default_factory=list)
    #: The built-in engine (told apart by this, not by name: a host of the user's may be called "builtin").
    builtin: bool = False
    #: Not running, but started by sovtui for the first prompt (the built-in engine with autostart):
    #: its models answer a chat as surely as a running server's.
    on_demand: bool = False

    @property
    def serves(self) -> bool:
        """A prompt sent now gets an answer from one of its models."""
        return (self.answering or self.on_demand) and self.models > 0


@dataclass
class WalletState:
    name: str
    budget_sats: int | None = None
    period: str | None = None


@dataclass
class AgentState:
    """One agent key: the state of its credential (live, expired, revoked, replaced, none) and its wallet ("" for none)."""

    name: str
    credential: str = "none"
    wallet: str = ""

    @property
    def has_live_credential(self) -> bool:
        return self.credential == "live"


@dataclass
class SovereigntyState:
    """Everything the assessment looks at, gathered from the machine."""

    hosts: list[HostState] = field(default_factory=list)
    ollama_installed: bool = False
    #: The built-in engine is where new chats go (``[inference] host``, unless OLLAMA_HOST says otherwise).
    builtin_default: bool = False
    #: ``[backend] autostart``: a stopped engine starts with the first prompt.
    autostart: bool = False
    recommended_model: str = "qwen3:0.6b"
    vault_exists: bool = False
    vault_protected: bool = False
    owner_keys: int = 0
    agent_keys: int = 0
    live_credentials: int = 0
    agents: list[AgentState] = field(default_factory=list)
    wallets: list[WalletState] = field(default_factory=list)
    loose_files: list[str] = field(default_factory=list)
    #: Whether this build manages keys and wallets yet; steps are only
    #: suggested for commands that exist.
    keys_available: bool = True
    wallet_available: bool = True


@dataclass
class Finding:
    """One thing to know, and the next concrete step."""

    id: str
    severity: str  # "ok", "todo" (a step up the spectrum) or "risk" (a problem)
    title: str
    next_step: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Assessment:
    level: int
    findings: list[Finding]

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "level_name": self.level_name,
            "findings": [finding.to_dict() for finding in self.findings],
        }


def _local(host: HostState) -> bool:
    return host.locality is not Locality.PUBLIC_INTERNET


def tools_models(state: SovereigntyState) -> list[str]:
    """Models on your own answering hosts that can call tools."""
    return [m for h in state.hosts if h.answering and _local(h) for m in h.tools_models]


def acting_agents(state: SovereigntyState) -> list[AgentState]:
    """Agents that can act now: a live credential, a budgeted wallet, and a model that can call their tools."""
    if not tools_models(state):
        return []
    budgeted = {w.name for w in state.wallets if w.budget_sats}
    return [a for a in state.agents if a.has_live_credential and a.wallet in budgeted]


def level_of(state: SovereigntyState) -> int:
    answering = [h for h in state.hosts if h.serves]
    if not answering:
        return 0
    if not any(_local(h) for h in answering):
        return 1
    own_keys = state.owner_keys > 0 and state.vault_exists and state.vault_protected
    if not (own_keys and state.wallets):
        return 2
    if acting_agents(state):
        return 4
    return 3


def _stopped_engine(engine: HostState, state: SovereigntyState) -> Finding:
    """The built-in engine is the default host and not running: what stands between it and a reply."""
    if engine.models == 0:
        return Finding("builtin-no-model", "todo", "the built-in engine has no model yet",
                       "'sovtui models suggest --host builtin' names GGUF models that fit this machine, "
                       "'sovtui models pull hf:OWNER/REPO:QUANT --host builtin' fetches one")
    if state.autostart:
        return Finding("builtin-autostart", "ok", "the built-in engine starts with your first prompt",
                       "nothing to do ('sovtui backend start --host builtin' starts it now)")
    return Finding("builtin-stopped", "todo", "the built-in engine is not running",
                   "start it with 'sovtui backend start --host builtin' (or set autostart = true under [backend] in config.toml)")


def findings_of(state: SovereigntyState) -> list[Finding]:
    """What to know and do next. Names quoted in a finding (hosts, wallets,
    paths) are shown by the CLI and the wizard alike, so they are made safe
    here, once: a host's or wallet's name cannot carry escape sequences."""
    found: list[Finding] = []
    local_hosts = [h for h in state.hosts if h.locality is Locality.THIS_MACHINE and not h.builtin]  # Ollama's
    lan_or_local = [h for h in state.hosts if _local(h)]
    engine = next((h for h in state.hosts if h.builtin), None)
    # New chats go to the engine and it answers: a stopped Ollama is nothing to fix.
    engine_serves = engine is not None and engine.serves and state.builtin_default

    if engine is not None and not engine.answering:  # stopped and the default host: its findings, not Ollama's
        found.append(_stopped_engine(engine, state))
    elif not state.ollama_installed and not any(h.answering for h in lan_or_local):
        found.append(
            Finding(
                "ollama-missing",
                "todo",
                "Ollama is not installed on this machine",
                "install it (https://ollama.com/download, on Linux: "
                "curl -fsSL https://ollama.com/install.sh | sh), or add a LAN host to config.toml",
            )
        )
    elif local_hosts and not any(h.answering for h in local_hosts) and state.ollama_installed and not engine_serves:
        found.append(
            Finding(
                "ollama-stopped",
                "todo",
                "Ollama is installed but not running",
                "start it with 'sovtui backend start'",
            )
        )
    for host in state.hosts:
        if host.answering and host.models == 0:
            found.append(
                Finding(
                    "no-model",
                    "todo",
                    f"no model on {safe_line(host.name)} ({host.locality.label})",
                    f"pull one that fits this machine: 'sovtui models pull {state.recommended_model}'",
                )
            )
    for host in state.hosts:
        if host.locality.is_public:
            found.append(
                Finding(
                    "public-host",
                    "risk",
                    f"host {safe_line(host.name)} ({safe_line(host.url)}) is on the public internet: prompts sent there leave your network",
                    "run a model on this machine or your LAN and make it the default host",
                )
            )
    if state.keys_available and state.owner_keys == 0:
        found.append(
            Finding(
                "no-owner-key",
                "todo",
                "you hold no Nostr key of your own",
                "create one with 'sovtui keys new --label me' (or import yours with 'sovtui keys import')",
            )
        )
    if state.vault_exists and not state.vault_protected:
        found.append(
            Finding(
                "keys-unprotected",
                "risk",
                "your keys are stored without a passphrase",
                "set one with 'sovtui keys passwd'",
            )
        )
    if state.wallet_available and not state.wallets:
        found.append(
            Finding(
                "no-wallet",
                "todo",
                "no Lightning wallet is connected",
                "paste your wallet's NWC URI into 'sovtui wallet connect NAME'",
            )
        )
    for wallet in state.wallets:
        if not wallet.budget_sats:
            found.append(
                Finding(
                    "wallet-no-budget",
                    "risk",
                    f"wallet {safe_line(wallet.name)} has no spending budget",
                    f"set one with 'sovtui wallet budget {safe_line(wallet.name)} 10000 --period day'",
                )
            )
    if state.keys_available and state.owner_keys and not state.agent_keys:
        found.append(
            Finding(
                "no-agent",
                "todo",
                "no agent key acts for you yet (level 4 is optional)",
                "create one with 'sovtui keys new --label agent --role agent'",
            )
        )
    elif state.agent_keys and not state.live_credentials:
        found.append(
            Finding(
                "no-credential",
                "todo",
                "your agent holds no live spending credential",
                "issue one with 'sovtui keys credential issue --owner me --agent agent --limit 10000 --period day'",
            )
        )
    credentialed = [a for a in state.agents if a.has_live_credential]
    for agent in credentialed:
        if not agent.wallet:
            name = safe_line(agent.name)
            found.append(
                Finding(
                    "agent-no-wallet",
                    "todo",
                    f"agent {name} holds a live credential but has no wallet to spend from",
                    f"connect one ('sovtui wallet connect NAME'), or choose it: [agents.{name}] wallet = \"NAME\" ('sovtui config edit')",
                )
            )
    if any(a.wallet for a in credentialed) and not tools_models(state) and any(h.answering and _local(h) for h in state.hosts):
        model = state.recommended_model if state.recommended_model.startswith("qwen3") else "qwen3:0.6b"
        found.append(
            Finding(
                "no-tools-model",
                "todo",
                "no model on your hosts can use tools, so your agent cannot act",
                f"pull one that can (qwen3, llama3.1, mistral-nemo …): 'sovtui models pull {model}'",
            )
        )
    for path in state.loose_files:
        mode = "700" if path.endswith("/") else "600"
        shown = safe_line(path.rstrip("/"))
        found.append(
            Finding(
                "loose-permissions",
                "risk",
                f"{shown} can be read by other users of this machine",
                f"chmod {mode} '{shown}'",
            )
        )
    return found


def assess(state: SovereigntyState) -> Assessment:
    return Assessment(level_of(state), findings_of(state))


# --- reading the machine -------------------------------------------------------


def loose_files(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    """sovtui's files and folders that other users can read."""
    paths = ctx.paths
    candidates = [paths.config_dir, paths.data_dir, paths.state_dir, paths.config_file, paths.config_dir / "vault.json", paths.conversations_dir, paths.state_dir / "wallets"]
    if (paths.state_dir / "wallets").exists():
        candidates += sorted((paths.state_dir / "wallets").glob("*.json"))
    if paths.conversations_dir.exists():
        candidates += sorted(paths.conversations_dir.glob("*.json"))
    # Folders end with "/" so the finding can say chmod 700 rather than 600.
    return [str(p) + ("/" if p.is_dir() else "") for p in candidates if p.exists() and p.stat().st_mode & 0o077]


#: At most this many models are asked for their capabilities on one host.
_MAX_SHOWN = 40


async def _probe(target: HostTarget, timeout: float, *, tools: bool = False, api_key: str | None = None) -> HostState:
    """Whether the host answers and how many models it has; with ``tools``, which of them can call tools (/api/show)."""
    import asyncio

    from sovtui.errors import SovtuiError
    from sovtui.inference.engine import open_backend

    async with open_backend(target, timeout=timeout, api_key=api_key) as backend:
        try:
            models = await backend.list_models()
        except SovtuiError:
            return HostState(target.name, target.url, target.locality, answering=False, builtin=target.builtin)
        capable: list[str] = []
        if tools and models:
            names = [m.name for m in models[:_MAX_SHOWN]]

            async def can_call_tools(name: str) -> bool:
                try:
                    return "tools" in (await backend.show(name)).capabilities
                except SovtuiError:
                    return False

            found = await asyncio.gather(*(can_call_tools(name) for name in names))
            capable = [name for name, ok in zip(names, found) if ok]
    return HostState(target.name, target.url, target.locality, answering=True, models=len(models), tools_models=capable,
                     builtin=target.builtin)


def _builtin_in_use(ctx: Context) -> HostTarget | None:
    """The built-in engine, when it runs or is the default host (it has no ``[hosts]`` entry to be found by).

    A model it serves answers on this machine as Ollama's would: local
    inference. Not running and not the default, it is not part of the setup.
    """
    from sovtui.inference.hosts import BUILTIN, is_builtin

    if BUILTIN in ctx.config.hosts:  # a host of the user's own under that name: already probed
        return None
    server = ctx.builtin_server()
    if not is_builtin(None, ctx.config) and server.managed_pid() is None:
        return None
    return server.target


def _key_if_open(ctx: Context, target: HostTarget) -> str | None:
    """The host's API key if it can be read without asking (an open or unprotected vault), else None."""
    if not target.is_openai:
        return None
    from sovtui.errors import SovtuiError
    from sovtui.inference.keys import api_key

    try:
        return api_key(ctx.vault, target.name)
    except SovtuiError:
        return None


def gather_agents(ctx: Context) -> list[AgentState]:
    """Every agent key (read without the passphrase), its credential's state and the wallet it would spend from."""
    from sovtui.agent.agents import credential_book, credential_of
    from sovtui.errors import SovtuiError
    from sovtui.wallet.service import WalletService

    vault = ctx.vault
    if not vault.exists:
        return []
    try:
        keys = vault.public_keys()
    except SovtuiError:
        return []
    agents = [(label, pubkey) for label, (role, pubkey) in sorted(keys.items()) if role == "agent"]
    if not agents:
        return []
    book = credential_book(ctx)
    service = WalletService(ctx)
    found = []
    for label, pubkey in agents:
        _, state = credential_of(book, pubkey)
        cfg = ctx.config.agents.get(label)
        try:
            wallet = service.resolve((cfg.wallet if cfg is not None else "") or None)
        except SovtuiError:
            wallet = ""
        found.append(AgentState(label, state, wallet))
    return found


async def gather_state(ctx: Context, *, timeout: float = 3.0, files: bool = True) -> SovereigntyState:
    """Read the state from config, files and the configured hosts (only those).

    Without ``files`` the permissions of sovtui's files are not looked at:
    they make findings, never the level, and with a long history that is a
    stat of every conversation (the top bar wants only the level).
    """
    import asyncio

    from sovtui.endpoints import configured_endpoints
    from sovtui.inference.hosts import IDLE_URL, HostTarget, is_builtin, target_of
    from sovtui.inference.server import ollama_binary
    from sovtui.inference.suggest import recommended

    agents = gather_agents(ctx)
    # Which models can call tools is asked (one /api/show each) only when an agent could otherwise act.
    ask_tools = any(a.has_live_credential and a.wallet for a in agents)
    targets = [
        target_of(e.name, ctx.config.hosts[e.name]) if e.name in ctx.config.hosts else HostTarget(e.name, e.url)
        for e in configured_endpoints(ctx.config) if e.purpose.startswith("model server") and "unusable" not in e.purpose
    ]
    builtin = _builtin_in_use(ctx)
    if builtin is not None and builtin.url != IDLE_URL:
        targets.append(builtin)
    keys = {t.name: _key_if_open(ctx, t) for t in targets}
    hosts = list(await asyncio.gather(*(_probe(t, timeout, tools=ask_tools and not t.locality.is_public, api_key=keys[t.name])
                                        for t in targets)))
    if builtin is not None and builtin.url == IDLE_URL:  # the default host, stopped: nothing to ask (no port); its models are its files
        from sovtui.inference.builtin import engine_installed

        models = len(ctx.builtin_server().models())
        on_demand = ctx.config.backend.autostart and engine_installed()
        hosts.append(HostState(builtin.name, builtin.url, builtin.locality, answering=False, models=models, builtin=True,
                               on_demand=on_demand))
    import importlib.util

    from sovtui.identity.credentials import CredentialBook

    vault = ctx.vault
    roles = vault.roles() if vault.exists else []
    return SovereigntyState(
        vault_exists=vault.exists,
        vault_protected=vault.exists and vault.is_protected,
        owner_keys=roles.count("owner"),
        agent_keys=roles.count("agent"),
        live_credentials=len(CredentialBook(ctx.paths.data_dir / "credentials").live()),
        agents=agents,
        keys_available=importlib.util.find_spec("sovtui.cli.keys_cmd") is not None,
        wallet_available=importlib.util.find_spec("sovtui.cli.wallet_cmd") is not None,
        wallets=[WalletState(name, w.budget_sats or None, w.budget_period) for name, w in sorted(ctx.config.wallets.items())],
        hosts=hosts,
        ollama_installed=ollama_binary(ctx.config.backend.binary) is not None,  # not the default host's server: that may be builtin
        builtin_default=is_builtin(None, ctx.config),
        autostart=ctx.config.backend.autostart,
        recommended_model=recommended(),
        loose_files=loose_files(ctx) if files else [],
    )
