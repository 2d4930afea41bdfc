"""NIP-59 gift wraps and NIP-17 private messages: what an owner's phone sends the agent, and what it sends back.

A private message travels in three layers (shared/reference/nip-17.md, nip-59.md):

- the **rumor**: the message itself, an *unsigned* event (kind 14 for a chat
  message), with the author's ``pubkey`` and its real ``created_at``;
- the **seal** (kind 13): the rumor as JSON, NIP-44-encrypted from the author
  to the recipient, signed by the author, no tags;
- the **gift wrap** (kind 1059): the seal as JSON, NIP-44-encrypted from a
  one-time random key to the recipient, signed by that key, with the
  recipient's ``p`` tag so relays can route it.

Seal and wrap ``created_at`` are random times up to two days in the past, so a
relay cannot time the message; a reader that asks for "everything since T"
must reach back ``RANDOM_WINDOW`` before T.

``unwrap`` is the one gate a gift wrap from a relay passes. It checks the
wrap's signature, opens it, checks the seal's signature, opens that, checks
the rumor's shape and id, and that the seal's author **is** the rumor's
author (without that check anyone could write a rumor in the owner's name).
Whatever a relay or a stranger sends, it returns an ``Unwrapped`` or raises
``GiftError`` (and nothing else), with a fixed reason that quotes nothing
from the message.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sovtui.errors import SovtuiError
from sovtui.nostr import nip44
from sovtui.nostr.events import MAX_CREATED_AT, MAX_KIND, EventError, check_event, compute_id, is_hex64, public_key_of

SEAL = 13
CHAT_MESSAGE = 14
GIFT_WRAP = 1059
DM_RELAYS = 10050
PROFILE = 0
#: How far back a seal's or wrap's created_at may be put (NIP-17: "up to 2 days in the past").
RANDOM_WINDOW = 2 * 24 * 3600
#: A gift wrap bigger than this is not opened: NIP-44 caps a payload at 64 KiB of plaintext.
MAX_WRAP_CONTENT = 200_000
#: A message part's rumor stays below this (UTF-8 bytes of its JSON): once sealed
#: and base64-encoded it must still fit one NIP-44 payload (65,535 bytes) in the wrap.
MAX_RUMOR_JSON = 32_000

_CURVE_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class GiftError(SovtuiError):
    """A gift wrap we cannot open or must not trust; the reason quotes nothing from it."""

    exit_code = 2


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def random_past(now: int | None = None) -> int:
    """A created_at up to two days before ``now``, uniformly (NIP-59's "tweaked" timestamps)."""
    now = int(time.time()) if now is None else now
    return now - secrets.randbelow(RANDOM_WINDOW)


def ephemeral_secret() -> str:
    """A fresh random secret key (hex), used for one gift wrap and forgotten."""
    while True:
        candidate = secrets.token_bytes(32)
        if 0 < int.from_bytes(candidate, "big") < _CURVE_N:
            return candidate.hex()


@dataclass(frozen=True)
class Rumor:
    """An unsigned event: the message inside the seal."""

    id: str
    pubkey: str
    created_at: int
    kind: int
    tags: list[list[str]] = field(default_factory=list)
    content: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "pubkey": self.pubkey, "created_at": self.created_at, "kind": self.kind,
                "tags": self.tags, "content": self.content}

    def tag_values(self, name: str) -> list[str]:
        return [t[1] for t in self.tags if len(t) >= 2 and t[0] == name]


@dataclass(frozen=True)
class Unwrapped:
    """A gift wrap opened and checked: the rumor, and who sealed it (its author)."""

    wrap_id: str
    wrap_created_at: int
    seal_id: str
    rumor: Rumor

    @property
    def sender(self) -> str:
        return self.rumor.pubkey


def make_rumor(pubkey: str, content: str, *, kind: int = CHAT_MESSAGE, tags: list[list[str]] | None = None,
               created_at: int | None = None) -> Rumor:
    """An unsigned event with its NIP-01 id (NIP-17: id and created_at are required)."""
    tags = [list(t) for t in tags or []]
    created = int(time.time()) if created_at is None else created_at
    return Rumor(compute_id(pubkey, created, kind, tags, content), pubkey, created, kind, tags, content)


def seal(author_secret: str, recipient: str, rumor: Rumor) -> dict[str, Any]:
    """The kind 13 seal: the rumor encrypted from its author to ``recipient``, signed by the author, no tags."""
    from sovtui.nostr.events import sign_event

    key = nip44.get_conversation_key(author_secret, recipient)
    return sign_event(author_secret, SEAL, nip44.encrypt(_json(rumor.to_dict()), key), [], created_at=random_past())


def gift_wrap(sealed: dict[str, Any], recipient: str, *, relay_hint: str = "") -> dict[str, Any]:
    """The kind 1059 wrap: the seal encrypted from a one-time key to ``recipient``, with its ``p`` tag."""
    from sovtui.nostr.events import sign_event

    one_time = ephemeral_secret()
    key = nip44.get_conversation_key(one_time, recipient)
    tag = ["p", recipient, relay_hint] if relay_hint else ["p", recipient]
    return sign_event(one_time, GIFT_WRAP, nip44.encrypt(_json(sealed), key), [tag], created_at=random_past())


def wrap(author_secret: str, recipient: str, rumor: Rumor) -> dict[str, Any]:
    """Seal ``rumor`` for ``recipient`` and gift-wrap it to them."""
    return gift_wrap(seal(author_secret, recipient, rumor), recipient)


def private_message(author_secret: str, receiver: str, content: str, *, reply_to: str = "",
                    subject: str = "") -> tuple[Rumor, list[dict[str, Any]]]:
    """A NIP-17 chat message (kind 14) and its two gift wraps: to ``receiver``, then to the author (their copy)."""
    author = public_key_of(author_secret)
    tags = [["p", receiver]]
    if reply_to:
        tags.append(["e", reply_to])
    if subject:
        tags.append(["subject", subject])
    rumor = make_rumor(author, content, tags=tags)
    if len(_json(rumor.to_dict()).encode("utf-8")) > MAX_RUMOR_JSON:
        raise GiftError("the message is too long for one gift wrap: send it in parts (split_message)")
    return rumor, [wrap(author_secret, receiver, rumor), wrap(author_secret, author, rumor)]


def split_message(text: str, limit: int = MAX_RUMOR_JSON - 1_000) -> list[str]:
    """``text`` in parts whose JSON fits a gift wrap, cut at a paragraph, else a line, else a space.

    Long replies are sent whole: in as many messages as they need, never cut short.
    """
    def size(part: str) -> int:
        return len(_json(part).encode("utf-8"))

    parts: list[str] = []
    rest = text
    while size(rest) > limit:
        # the longest prefix that fits (binary search on characters), then back to a natural break
        low, high = 1, len(rest)
        while low < high:
            middle = (low + high + 1) // 2
            if size(rest[:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        cut = low
        for mark in ("\n\n", "\n", " "):
            at = rest.rfind(mark, 0, cut)
            if at > cut // 2:
                cut = at + len(mark)
                break
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest or not parts:
        parts.append(rest)
    return parts


def _open(payload: Any, secret: str, sender: str, what: str) -> Any:
    if not isinstance(payload, str) or len(payload) > MAX_WRAP_CONTENT:
        raise GiftError(f"the {what} is not a NIP-44 payload")
    try:
        text = nip44.decrypt(payload, nip44.get_conversation_key(secret, sender))
    except (nip44.Nip44Error, ValueError):
        raise GiftError(f"the {what} does not decrypt with this key") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise GiftError(f"the {what} is nested too deeply") from None
    except ValueError:
        raise GiftError(f"the {what} is not JSON") from None


def _checked(event: Any, kind: int, what: str) -> str:
    try:
        event_id = check_event(event)
    except EventError:
        raise GiftError(f"the {what} is not a correctly signed event") from None
    except RecursionError:
        raise GiftError(f"the {what} is nested too deeply") from None
    if event["kind"] != kind:
        raise GiftError(f"the {what} is not of kind {kind}")
    return event_id


def parse_rumor(data: Any) -> Rumor:
    """A rumor as a peer sent it, checked: types, and its id (recomputed; a wrong one is refused)."""
    if not isinstance(data, dict):
        raise GiftError("the rumor is not an event")
    pubkey, created_at, kind = data.get("pubkey"), data.get("created_at"), data.get("kind")
    tags, content = data.get("tags"), data.get("content")
    if not (isinstance(pubkey, str) and is_hex64(pubkey)):
        raise GiftError("the rumor's pubkey is not 64 lowercase hex digits")
    if not (isinstance(created_at, int) and not isinstance(created_at, bool) and 0 <= created_at <= MAX_CREATED_AT):
        raise GiftError("the rumor's created_at is not a unix time")
    if not (isinstance(kind, int) and not isinstance(kind, bool) and 0 <= kind <= MAX_KIND):
        raise GiftError("the rumor's kind is not a whole number from 0 to 65535")
    if not (isinstance(tags, list) and all(isinstance(t, list) and t and all(isinstance(v, str) for v in t) for t in tags)):
        raise GiftError("the rumor's tags are not lists of strings")
    if not isinstance(content, str):
        raise GiftError("the rumor's content is not a string")
    try:
        computed = compute_id(pubkey, created_at, kind, tags, content)
    except EventError:
        raise GiftError("the rumor holds text that is not valid Unicode") from None
    if "id" in data and data["id"] != computed:
        raise GiftError("the rumor's id does not match its content")
    return Rumor(computed, pubkey, created_at, kind, [list(t) for t in tags], content)


def unwrap(gift: Any, secret: str) -> Unwrapped:
    """Open a gift wrap addressed to the key ``secret``; GiftError for anything that is not a genuine one."""
    wrap_id = _checked(gift, GIFT_WRAP, "gift wrap")
    sealed = _open(gift["content"], secret, gift["pubkey"], "gift wrap")
    seal_id = _checked(sealed, SEAL, "seal")
    rumor = parse_rumor(_open(sealed["content"], secret, sealed["pubkey"], "seal"))
    if rumor.pubkey != sealed["pubkey"]:
        raise GiftError("the seal's author is not the rumor's author: someone writing in another's name")
    return Unwrapped(wrap_id, gift["created_at"], seal_id, rumor)


def dm_relays_event(secret: str, relays: list[str]) -> dict[str, Any]:
    """Kind 10050: where this key takes its private messages (NIP-17, "Publishing")."""
    from sovtui.nostr.events import sign_event

    return sign_event(secret, DM_RELAYS, "", [["relay", url] for url in relays])


def profile_event(secret: str, *, name: str, about: str) -> dict[str, Any]:
    """Kind 0: the key's name and about (NIP-01)."""
    from sovtui.nostr.events import sign_event

    return sign_event(secret, PROFILE, _json({"name": name, "about": about}))
