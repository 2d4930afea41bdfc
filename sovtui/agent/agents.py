"""Agents: an agent key, the live credential its owner signed, and the wallet it spends from.

An agent is named by its key's label in the vault (a key made with
``sovtui keys new --label NAME --role agent``). Its limit is the credential an
owner key signed for it (docs/credentials.md), kept in the data folder's
credential book; ``[agents.NAME]`` in config.toml only narrows what it does
(which wallet, which model, below how many sats it pays without asking).

Everything here is read afresh on every call (the vault's public metadata,
config.toml, the credential book, the ledger): a credential revoked or a
budget lowered in another shell holds at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sovtui.agent.errors import AgentError, NoSuchAgent
from sovtui.config import AgentConfig
from sovtui.errors import SovtuiError

if TYPE_CHECKING:
    from sovtui.context import Context
    from sovtui.identity.credentials import Credential, CredentialBook
    from sovtui.wallet.ledger import Payment

#: An agent with no credential at all: it cannot spend.
NO_CREDENTIAL = "none"


def credential_book(ctx: Context) -> CredentialBook:
    from sovtui.identity.credentials import CredentialBook

    return CredentialBook(ctx.paths.data_dir / "credentials")


def credential_of(book: CredentialBook, pubkey: str) -> tuple[Credential | None, str]:
    """The agent's credential and its state: the newest live one, else the newest of any state; (None, "none")."""
    mine = [(c, state) for c, state in book.all() if c.agent == pubkey]  # newest first
    live = [(c, state) for c, state in mine if state == "live"]
    if live:
        return live[0]
    if mine:
        return mine[0]
    return None, NO_CREDENTIAL


def agent_spent_msat(payments: list[Payment], pubkey: str, period: str, now: float | None = None) -> int:
    """What the agent's own ledger entries take this period (pending ones with their fee reserve)."""
    from sovtui.wallet.ledger import spent_msat

    return spent_msat([p for p in payments if p.agent == pubkey], period, now)


@dataclass(frozen=True)
class Agent:
    """An agent as it is now. ``credential`` is None when no owner signed one for it."""

    name: str
    pubkey: str
    config: AgentConfig
    wallet: str  # "" when no wallet can be chosen; ``wallet_problem`` says why
    credential: Credential | None
    state: str  # live, expired, revoked, replaced or none
    wallet_problem: str = ""

    @property
    def npub(self) -> str:
        from sovtui.identity import nip19

        return nip19.hex_to_npub(self.pubkey)

    @property
    def can_spend(self) -> bool:
        return self.state == "live" and bool(self.wallet)


@dataclass(frozen=True)
class AgentStatus:
    """One row of ``list_agents``: who, whose, which wallet, and what is left this period."""

    agent: Agent
    owner: str  # the owner key's label here, else its npub
    limit_sats: int | None
    period: str
    spent_sats: int
    left_sats: int | None

    def to_dict(self) -> dict[str, Any]:
        a = self.agent
        return {
            "name": a.name, "npub": a.npub, "state": a.state, "owner": self.owner, "wallet": a.wallet or None,
            "limit_sats": self.limit_sats, "period": self.period or None, "spent_sats": self.spent_sats,
            "left_sats": self.left_sats, "approve_under": a.config.approve_under, "model": a.config.model or None,
            "expires_at": a.credential.expires_at if a.credential else None,
            "credential_id": a.credential.id if a.credential else None,
        }


def _wallet_for(ctx: Context, cfg: AgentConfig) -> tuple[str, str]:
    from sovtui.wallet.service import WalletService

    try:
        return WalletService(ctx).resolve(cfg.wallet or None), ""
    except SovtuiError as exc:
        return "", str(exc)


def load_agent(ctx: Context, name: str) -> Agent:
    """The agent whose key is labelled ``name``; NoSuchAgent if there is no such agent key."""
    from sovtui.identity.keys import KeyStore

    keys = {k.label: k for k in KeyStore(ctx.vault).list()}
    info = keys.get(name)
    if info is None or info.role != "agent":
        agents = ", ".join(sorted(k.label for k in keys.values() if k.role == "agent")) or "none yet"
        what = f"{name} is an {info.role} key, not an agent key" if info is not None else f"no agent key named {name!r}"
        raise NoSuchAgent(f"{what} (agent keys: {agents}); make one with 'sovtui keys new --label {name} --role agent'")
    cfg = ctx.store.load().agents.get(name) or AgentConfig()
    credential, state = credential_of(credential_book(ctx), info.pubkey)
    wallet, problem = _wallet_for(ctx, cfg)
    return Agent(name, info.pubkey, cfg, wallet, credential, state, problem)


def status_of(ctx: Context, agent: Agent) -> AgentStatus:
    from sovtui.identity import nip19
    from sovtui.identity.keys import KeyStore
    from sovtui.wallet.service import WalletService

    credential = agent.credential
    owner = ""
    if credential is not None:
        owner = next((k.label for k in KeyStore(ctx.vault).list() if k.pubkey == credential.owner), "")
        owner = owner or nip19.hex_to_npub(credential.owner)
    period = credential.period if credential is not None else "day"
    spent = 0
    if agent.wallet:
        try:
            spent = agent_spent_msat(WalletService(ctx).ledger(agent.wallet).payments(), agent.pubkey, period) // 1000
        except SovtuiError:
            spent = 0
    limit = credential.limit_sats if credential is not None else None
    left = max(0, limit - spent) if limit is not None and agent.state == "live" else (0 if limit is not None else None)
    return AgentStatus(agent, owner, limit, period if credential is not None else "", spent, left)


def agent_names(ctx: Context) -> list[str]:
    """The labels of the vault's agent keys, sorted: the agents a conversation can be given to."""
    from sovtui.identity.keys import KeyStore

    return sorted(k.label for k in KeyStore(ctx.vault).list() if k.role == "agent")


def list_agents(ctx: Context) -> list[AgentStatus]:
    """Every agent key in the vault, with its credential's state and what is left this period."""
    from sovtui.identity.keys import KeyStore

    return [status_of(ctx, load_agent(ctx, k.label)) for k in KeyStore(ctx.vault).list() if k.role == "agent"]


def require_live(agent: Agent) -> None:
    """AgentError unless the agent may act with money: a live credential and a wallet."""
    if agent.credential is None:
        raise AgentError(f"{agent.name} holds no credential: issue one with "
                         f"'sovtui keys credential issue --owner OWNER --agent {agent.name} --limit SATS --period day'")
    if not agent.wallet:
        raise AgentError(f"{agent.name} has no wallet to spend from: {agent.wallet_problem}")
