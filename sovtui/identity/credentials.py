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
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sovtui.files import atomic_write
from sovtui.identity import nip19
from sovtui.identity.errors import AlreadyRevoked, BadValidity, KeyFormatError, MissingKeys, NotIssuedHere, Superseded
from sovtui.identity.keys import KeyInfo, KeyStore
from sovtui.nostr.events import EventError, check_event, is_hex64
from sovtui.text import safe_line

KIND = 30078
REVOCATION_KIND = 5
PERIODS = ("day", "week", "month")
D_PREFIX = "sovtui-credential:"
#: NIP-01's fields; any other a copy carries (a client's "relays", "seen_on" ...) is not signed and is dropped.
EVENT_FIELDS = ("id", "pubkey", "created_at", "kind", "tags", "content", "sig")
#: Every sat there will ever be: a larger limit is not a limit.
MAX_SATS = 2_100_000_000_000_000
_AMOUNT = re.compile(r"[1-9][0-9]{0,15}")
#: A unix time in whole seconds, up to the year 5138: time.gmtime and every client can hold it.
_UNIX_TIME = re.compile(r"(?:0|[1-9][0-9]{0,10})")


@dataclass(frozen=True)
class Credential:
    id: str
    owner: str
    agent: str
    limit_sats: int
    period: str
    expires_at: int
    event: dict[str, Any]
    created_at: int = 0

    @property
    def address(self) -> str:
        """NIP-01's ``kind:pubkey:d``: every version of this agent's credential from this owner."""
        return f"{KIND}:{self.owner}:{D_PREFIX}{self.agent}"

    @property
    def expired(self) -> bool:
        return self.expires_at <= int(time.time())

    @property
    def expires_on(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self.expires_at))

    def replaces(self, other: Credential) -> bool:
        """Whether this is a newer version of ``other`` (NIP-01: same address; the later, or the lower id on a tie)."""
        if self.address != other.address or self.id == other.id:
            return False
        return (self.created_at, other.id) > (other.created_at, self.id)

    def describe(self) -> str:
        """One line a person reads: who may spend how much, until when (safe to show)."""
        agent = nip19.hex_to_npub(self.agent)
        return safe_line(f"{agent[:12]}…{agent[-6:]} may spend up to {self.limit_sats:,} sats per {self.period} until {self.expires_on}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": nip19.hex_to_npub(self.owner),
            "agent": nip19.hex_to_npub(self.agent),
            "limit_sats": self.limit_sats,
            "period": self.period,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "expired": self.expired,
        }


def _tags(event: dict[str, Any], name: str) -> list[list[str]]:
    return [t for t in event["tags"] if t[0] == name]


def _one(event: dict[str, Any], name: str, size: int, what: str) -> list[str]:
    found = _tags(event, name)
    if len(found) != 1:
        raise KeyFormatError(f"this credential must have exactly one {name!r} tag ({what}), it has {len(found)}")
    if len(found[0]) < size:
        raise KeyFormatError(f"this credential's {name!r} tag ({what}) is cut short")
    return found[0]


def _json_type(data: Any) -> str:
    names = {list: "a list", str: "a string", bool: "true or false", int: "a number", float: "a number", type(None): "null"}
    return names.get(type(data), type(data).__name__)


def load_event(event: Any, what: str = "credential") -> dict[str, Any]:
    """``event`` (a dict, or its JSON text) checked as a signed Nostr event; KeyFormatError in one line if not."""
    data = event
    if isinstance(event, (str, bytes)):
        try:
            data = json.loads(event)
        except RecursionError:
            raise KeyFormatError(f"this {what} is JSON nested too deeply to be a Nostr event") from None
        except ValueError as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text or a number too large"
            raise KeyFormatError(f"this {what} is not JSON ({reason}): paste the whole signed event") from None
    if not isinstance(data, dict):
        raise KeyFormatError(f"this {what} is not a signed Nostr event: expected a JSON object, got {_json_type(data)}")
    try:
        check_event(data)
    except EventError as exc:
        raise KeyFormatError(f"this {what} is not valid: {exc}") from None
    return data


def check_terms(limit_sats: int, period: str, expires_days: int) -> None:
    """The terms of a credential to issue: a positive limit, a known period, at least a day; KeyFormatError if not."""
    if limit_sats <= 0:
        raise KeyFormatError("the limit must be a positive number of sats")
    if limit_sats > MAX_SATS:
        raise KeyFormatError("the limit is more sats than there will ever be")
    if period not in PERIODS:
        raise KeyFormatError(f"period {period!r}: expected day, week or month")
    if expires_days <= 0:
        raise KeyFormatError("the credential must expire at least one day from now")


def parse_days(text: str) -> int:
    """A validity in days as a person types it ("30"); BadValidity if it is not a whole number of at least 1."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise BadValidity()
    return int(text)


def signers(store: KeyStore) -> tuple[list[KeyInfo], list[KeyInfo]]:
    """The owner keys that can sign a credential and the agent keys it can name; MissingKeys if either is none."""
    keys = store.list()
    owners = [k for k in keys if k.role == "owner"]
    agents = [k for k in keys if k.role == "agent"]
    if not owners or not agents:
        raise MissingKeys("owner" if not owners else "agent")
    return owners, agents


def issuer(store: KeyStore, credential: Credential) -> str:
    """The label of the key in this vault that issued ``credential``; NotIssuedHere if none did."""
    label = next((k.label for k in store.list() if k.pubkey == credential.owner), None)
    if label is None:
        raise NotIssuedHere()
    return label


def issue(store: KeyStore, owner: str, agent: str, limit_sats: int, period: str, *, expires_days: int = 30) -> dict[str, Any]:
    owner_info, agent_info = store.get(owner), store.get(agent)
    if owner_info.role != "owner":
        raise KeyFormatError(f"{owner} is an {owner_info.role} key: credentials are issued by an owner key")
    if agent_info.role != "agent":
        raise KeyFormatError(f"{agent} is an {agent_info.role} key: credentials are for agent keys")
    check_terms(limit_sats, period, expires_days)
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


def parse(event: dict[str, Any] | str | bytes) -> Credential:
    """A credential (the event, or its JSON), checked; KeyFormatError says in one line what is wrong.

    Checked: the event is well formed (id, pubkey and sig lowercase hex of
    their lengths, the id recomputed and equal, the signature good), it is a
    kind 30078 sovtui credential, and it has exactly one ``p`` (the agent, 64
    hex), ``d`` (naming that agent), ``limit`` (a positive whole number of
    sats and a period) and ``expiration`` (a unix time).
    """
    data = load_event(event)
    if data["kind"] != KIND or ["t", "sovtui-credential"] not in [t[:2] for t in data["tags"]]:
        raise KeyFormatError("this signed event is not a sovtui spending credential (kind 30078, tag t sovtui-credential)")
    p = _one(data, "p", 2, "the agent")
    if not is_hex64(p[1]):
        raise KeyFormatError("this credential's agent (its 'p' tag) is not a public key: 64 lowercase hex digits")
    d = _one(data, "d", 2, "the agent's address")
    limit = _one(data, "limit", 4, "the limit")
    expiration = _one(data, "expiration", 2, "the expiry")
    if d[1] != D_PREFIX + p[1] or limit[2] != "sat" or limit[3] not in PERIODS:
        raise KeyFormatError("this credential's tags do not agree with each other")
    if not _AMOUNT.fullmatch(limit[1]) or int(limit[1]) > MAX_SATS:
        raise KeyFormatError("this credential's limit is not a positive whole number of sats")
    if not _UNIX_TIME.fullmatch(expiration[1]):
        raise KeyFormatError("this credential's expiration is not a unix time")
    event = {name: data[name] for name in EVENT_FIELDS}  # what is signed, and the id and sig; nothing else is kept
    return Credential(data["id"], data["pubkey"], p[1], int(limit[1]), limit[3], int(expiration[1]), event, data["created_at"])


def revoke(store: KeyStore, owner: str, credential: Credential) -> dict[str, Any]:
    """A NIP-09 deletion naming the credential by id and by address: every version up to now is void."""
    owner_info = store.get(owner)
    if owner_info.pubkey != credential.owner:
        raise KeyFormatError(f"{owner} did not issue this credential: only its owner can revoke it")
    tags = [["e", credential.id], ["a", credential.address], ["k", str(KIND)]]
    return store.sign(owner, "revoked", kind=REVOCATION_KIND, tags=tags)


def revokes(revocation: Any, credential: Credential) -> bool:
    """Whether ``revocation`` is a valid revocation of ``credential`` by its owner; never raises.

    It revokes by the credential's id (an ``e`` tag; the id recomputed from
    the content, never the one the holder claims) or by its address (an ``a``
    tag ``30078:<owner>:<d>``), which NIP-09 says deletes every version up to
    the revocation's ``created_at``.
    """
    try:
        data = load_event(revocation, "revocation")
    except KeyFormatError:
        return False
    return _revoked_by(data, credential)


def _revoked_by(data: dict[str, Any], credential: Credential) -> bool:
    """``revokes`` for an event already checked by ``load_event``."""
    if data["kind"] != REVOCATION_KIND or data["pubkey"] != credential.owner:
        return False
    named = [t[:2] for t in data["tags"]]
    if ["e", credential.id] in named:
        return True
    return ["a", credential.address] in named and data["created_at"] >= credential.created_at


def load_revocation(text: str) -> dict[str, Any]:
    """A revocation handed over as JSON, checked as a signed event; KeyFormatError if it is not one."""
    data = load_event(text, "revocation")
    if data["kind"] != REVOCATION_KIND:
        raise KeyFormatError(f"this revocation is a kind {data['kind']} event, not a kind 5 deletion")
    return data


#: What a credential kept or shown here is, in the order they are told: revoked wins over replaced, ...
STATES = ("revoked", "replaced", "expired", "live")


class CredentialBook:
    """Issued credentials and revocations, kept as JSON files in the data folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, event: dict[str, Any]) -> None:
        if not is_hex64(event.get("id")):
            raise KeyFormatError("only a signed event with a well-formed id can be kept")
        atomic_write(self.folder / f"{event['id']}.json", json.dumps(event, indent=1))

    def _events(self) -> list[dict[str, Any]]:
        """Every well-formed, correctly signed event kept here; anything else in the folder is passed over."""
        events = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.exists() else []:
            try:
                events.append(load_event(path.read_bytes()))
            except (OSError, KeyFormatError):
                continue
        return events

    @staticmethod
    def _split(events: list[dict[str, Any]]) -> tuple[list[Credential], list[dict[str, Any]]]:
        found: dict[str, Credential] = {}  # by id: the same event kept twice (a copied file) is one credential
        revocations = []
        for event in events:
            if event["kind"] == REVOCATION_KIND:
                revocations.append(event)
            elif event["kind"] == KIND and event["id"] not in found:
                try:
                    found[event["id"]] = parse(event)
                except KeyFormatError:
                    continue
        return list(found.values()), revocations

    @staticmethod
    def _state(credential: Credential, credentials: list[Credential], revocations: list[dict[str, Any]]) -> str:
        if any(_revoked_by(r, credential) for r in revocations):
            return "revoked"
        if any(other.replaces(credential) for other in credentials):
            return "replaced"
        return "expired" if credential.expired else "live"

    def state_of(self, credential: Credential, *, revocation: str | None = None) -> str:
        """One of STATES: revoked or replaced by an event kept here, else expired or live.

        ``revocation`` is one handed over with the credential (its JSON): it
        counts as well as those kept here, if it is a valid one by the owner.
        """
        credentials, revocations = self._split(self._events())
        state = self._state(credential, credentials, revocations)
        if revocation is not None and state != "revoked" and revokes(load_revocation(revocation), credential):
            return "revoked"
        return state

    # --- issuing and revoking: signed with the owner's key, kept here ---------------

    def issue(self, store: KeyStore, owner: str, agent: str, limit_sats: int, period: str, *, expires_days: int = 30) -> dict[str, Any]:
        """Sign a credential (``issue``) and keep it, so ``sovtui doctor`` and this book know of it."""
        event = issue(store, owner, agent, limit_sats, period, expires_days=expires_days)
        self.keep(event)
        return event

    def check_revocable(self, credential: Credential) -> None:
        """Refuse a revocation that is void or harmful before any key is asked for.

        Already revoked: nothing to do. Replaced by a newer version: its
        revocation would name the address too, and so revoke the newer one.
        """
        state = self.state_of(credential)
        if state == "revoked":
            raise AlreadyRevoked()
        if state == "replaced":
            raise Superseded()

    def revoke(self, store: KeyStore, credential: Credential, owner: str | None = None) -> dict[str, Any]:
        """Sign a revocation by the owner key that issued ``credential`` (``issuer`` if not named) and keep it."""
        self.check_revocable(credential)
        event = revoke(store, owner if owner is not None else issuer(store, credential), credential)
        self.keep(event)
        return event

    def all(self) -> list[tuple[Credential, str]]:
        """Every credential kept here with its state (one of STATES), newest first."""
        credentials, revocations = self._split(self._events())
        found = [(credential, self._state(credential, credentials, revocations)) for credential in credentials]
        found.sort(key=lambda pair: (-pair[0].created_at, pair[0].id))
        return found

    def live(self) -> list[Credential]:
        return [credential for credential, state in self.all() if state == "live"]
