"""Agent spending credentials: signed by the owner, verifiable by anyone, revocable.

The essay's "this agent is authorised to spend up to 10,000 sats per day,
signed by your key, verifiable by anyone, revocable by you", as Nostr events
(format in docs/credentials.md):

- a credential is a kind 30078 event (NIP-78, addressable) signed by the
  owner, tagged ``d`` (``sovtui-credential:<agent pubkey>``), ``p`` (the
  agent), ``limit`` (amount, unit ``sat``, period) and ``expiration``
  (NIP-40);
- a revocation is a kind 5 deletion (NIP-09) by the same owner naming the
  credential's id (``e``) and address (``a``).

Issued credentials and revocations are kept (they are public) in the data
folder, so ``sovtui doctor`` can tell whether an agent holds a live one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sovtui.files import atomic_write
from sovtui.identity import nip19
from sovtui.identity.errors import KeyFormatError
from sovtui.identity.keys import KeyStore, verify_event

KIND = 30078
REVOCATION_KIND = 5
PERIODS = ("day", "week", "month")
D_PREFIX = "sovtui-credential:"


@dataclass(frozen=True)
class Credential:
    id: str
    owner: str
    agent: str
    limit_sats: int
    period: str
    expires_at: int
    event: dict[str, Any]

    @property
    def expired(self) -> bool:
        return self.expires_at <= int(time.time())

    @property
    def expires_on(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self.expires_at))

    def describe(self) -> str:
        """One line a person reads: who may spend how much, until when."""
        agent = nip19.hex_to_npub(self.agent)
        return f"{agent[:12]}…{agent[-6:]} may spend up to {self.limit_sats:,} sats per {self.period} until {self.expires_on}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": nip19.hex_to_npub(self.owner),
            "agent": nip19.hex_to_npub(self.agent),
            "limit_sats": self.limit_sats,
            "period": self.period,
            "expires_at": self.expires_at,
            "expired": self.expired,
        }


def _tag(event: dict[str, Any], name: str) -> list[str] | None:
    return next((t for t in event.get("tags", []) if isinstance(t, list) and t and t[0] == name), None)


def issue(store: KeyStore, owner: str, agent: str, limit_sats: int, period: str, *, expires_days: int = 30) -> dict[str, Any]:
    owner_info, agent_info = store.get(owner), store.get(agent)
    if owner_info.role != "owner":
        raise KeyFormatError(f"{owner} is an {owner_info.role} key: credentials are issued by an owner key")
    if agent_info.role != "agent":
        raise KeyFormatError(f"{agent} is an {agent_info.role} key: credentials are for agent keys")
    if limit_sats <= 0:
        raise KeyFormatError("the limit must be a positive number of sats")
    if period not in PERIODS:
        raise KeyFormatError(f"period {period!r}: expected day, week or month")
    if expires_days <= 0:
        raise KeyFormatError("the credential must expire at least one day from now")
    expires = int(time.time()) + expires_days * 86400
    content = (
        f"This agent is authorised to spend up to {limit_sats:,} sats per {period} "
        f"until {time.strftime('%Y-%m-%d', time.gmtime(expires))}, signed by its owner."
    )
    tags = [
        ["d", D_PREFIX + agent_info.pubkey],
        ["p", agent_info.pubkey],
        ["limit", str(limit_sats), "sat", period],
        ["expiration", str(expires)],
        ["t", "sovtui-credential"],
    ]
    return store.sign(owner, content, kind=KIND, tags=tags)


def parse(event: dict[str, Any] | str) -> Credential:
    """Check a credential's signature and shape; KeyFormatError says what is wrong."""
    data = json.loads(event) if isinstance(event, str) else event
    signer = verify_event(data)
    if data.get("kind") != KIND or _tag(data, "t") != ["t", "sovtui-credential"]:
        raise KeyFormatError("this signed event is not a sovtui spending credential")
    p, limit, expiration, d = _tag(data, "p"), _tag(data, "limit"), _tag(data, "expiration"), _tag(data, "d")
    if not p or len(p) < 2 or not limit or len(limit) < 4 or not expiration or len(expiration) < 2 or not d:
        raise KeyFormatError("this credential is missing its agent, limit or expiration")
    if d[1] != D_PREFIX + p[1] or limit[2] != "sat" or limit[3] not in PERIODS:
        raise KeyFormatError("this credential's tags do not agree with each other")
    try:
        limit_sats, expires_at = int(limit[1]), int(expiration[1])
    except ValueError:
        raise KeyFormatError("this credential's limit or expiration is not a number") from None
    return Credential(str(data["id"]), signer, p[1], limit_sats, limit[3], expires_at, data)


def revoke(store: KeyStore, owner: str, credential: Credential) -> dict[str, Any]:
    owner_info = store.get(owner)
    if owner_info.pubkey != credential.owner:
        raise KeyFormatError(f"{owner} did not issue this credential: only its owner can revoke it")
    tags = [["e", credential.id], ["a", f"{KIND}:{credential.owner}:{D_PREFIX}{credential.agent}"], ["k", str(KIND)]]
    return store.sign(owner, "revoked", kind=REVOCATION_KIND, tags=tags)


def revokes(revocation: dict[str, Any], credential: Credential) -> bool:
    """Whether ``revocation`` is a valid revocation of ``credential`` by its owner."""
    try:
        signer = verify_event(revocation)
    except KeyFormatError:
        return False
    return (
        revocation.get("kind") == REVOCATION_KIND
        and signer == credential.owner
        and ["e", credential.id] in [t[:2] for t in revocation.get("tags", [])]
    )


class CredentialBook:
    """Issued credentials and revocations, kept as JSON files in the data folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, event: dict[str, Any]) -> None:
        atomic_write(self.folder / f"{event['id']}.json", json.dumps(event, indent=1))

    def _events(self) -> list[dict[str, Any]]:
        events = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.exists() else []:
            try:
                events.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return events

    @staticmethod
    def _state(credential: Credential, revocations: list[dict[str, Any]]) -> str:
        if any(revokes(r, credential) for r in revocations):
            return "revoked"
        return "expired" if credential.expired else "live"

    def state_of(self, credential: Credential) -> str:
        """live, expired, or revoked by a revocation kept here (one shown to us counts too)."""
        return self._state(credential, [e for e in self._events() if e.get("kind") == REVOCATION_KIND])

    def all(self) -> list[tuple[Credential, str]]:
        """Every credential kept here with its state (live, expired, revoked), newest first."""
        events = self._events()
        revocations = [e for e in events if e.get("kind") == REVOCATION_KIND]
        found = []
        for event in events:
            if event.get("kind") != KIND:
                continue
            try:
                credential = parse(event)
            except KeyFormatError:
                continue
            found.append((credential, self._state(credential, revocations)))
        found.sort(key=lambda pair: (-int(pair[0].event.get("created_at", 0)), pair[0].id))
        return found

    def live(self) -> list[Credential]:
        return [credential for credential, state in self.all() if state == "live"]
