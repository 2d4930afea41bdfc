"""NIP-01 events: sign what we send, check everything we receive.

A relay is a stranger: whatever it hands us may be malformed, forged or
replayed. ``is_valid`` is the single gate every incoming event passes before
anything reads its content. pynostr does the signing and NIP-04; the checks
are ours because pynostr's ``Event.verify`` asserts rather than answering.
"""

from __future__ import annotations

import functools

import json
import re
import time
from hashlib import sha256
from typing import Any

from sovtui.errors import SovtuiError

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")

#: NIP-01: "kind: integer between 0 and 65535"; created_at is a unix time, and
#: no other client can hold one past 2^53 (JavaScript's safe integers).
MAX_KIND = 65535
MAX_CREATED_AT = 2**53 - 1


class EventError(SovtuiError):
    """Something handed to us is not a well-formed, correctly signed Nostr event."""

    exit_code = 2


def is_hex64(value: Any) -> bool:
    """A 32-byte value as NIP-01 writes it: exactly 64 lowercase hex digits."""
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def compute_id(pubkey: str, created_at: int, kind: int, tags: list[list[str]], content: str) -> str:
    """The NIP-01 id: sha256 of ``[0, pubkey, created_at, kind, tags, content]`` as compact UTF-8 JSON.

    EventError when the text cannot be UTF-8 (a lone surrogate, which JSON's
    ``\\ud800`` escape lets a sender put in any string).
    """
    serialized = json.dumps([0, pubkey, created_at, kind, tags, content], separators=(",", ":"), ensure_ascii=False)
    try:
        return sha256(serialized.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:
        raise EventError("the event holds text that is not valid Unicode (a lone surrogate)") from None


def check_event(event: Any) -> str:
    """The event's id, recomputed, if ``event`` is well formed and correctly signed; else EventError.

    Well formed means: an object with ``id`` and ``pubkey`` (64 lowercase hex
    digits), ``sig`` (128), ``kind`` (an integer 0-65535), ``created_at`` (an
    integer 0-2^53), ``tags`` (a list of non-empty lists of strings) and
    ``content`` (a string). The claimed ``id`` must equal the recomputed one:
    a blank or missing id is not "unchecked", it is wrong.
    """
    if not isinstance(event, dict):
        raise EventError("not a Nostr event: expected a JSON object with id, pubkey, created_at, kind, tags, content, sig")
    missing = [name for name in ("id", "pubkey", "created_at", "kind", "tags", "content", "sig") if name not in event]
    if missing:
        raise EventError(f"not a Nostr event: it has no {', '.join(missing)}")
    event_id, pubkey, sig = event["id"], event["pubkey"], event["sig"]
    created_at, kind, tags, content = event["created_at"], event["kind"], event["tags"], event["content"]
    if not is_hex64(event_id):
        raise EventError("the event's id is not 64 lowercase hex digits")
    if not is_hex64(pubkey):
        raise EventError("the event's pubkey is not 64 lowercase hex digits")
    if not (isinstance(sig, str) and _HEX128.fullmatch(sig)):
        raise EventError("the event's sig is not 128 lowercase hex digits")
    if not _is_int(kind, 0, MAX_KIND):
        raise EventError(f"the event's kind is not a whole number from 0 to {MAX_KIND}")
    if not _is_int(created_at, 0, MAX_CREATED_AT):
        raise EventError("the event's created_at is not a unix time")
    if not (isinstance(tags, list) and all(isinstance(t, list) and t and all(isinstance(v, str) for v in t) for t in tags)):
        raise EventError("the event's tags are not lists of strings")
    if not isinstance(content, str):
        raise EventError("the event's content is not a string")
    computed = compute_id(pubkey, created_at, kind, tags, content)
    if computed != event_id:
        raise EventError("the event's id does not match its content: it was changed after signing")
    if not _schnorr_verifies(pubkey, computed, sig):
        raise EventError("the event's signature does not verify")
    return computed


@functools.lru_cache(maxsize=256)
def _schnorr_verifies(pubkey: str, event_id: str, sig: str) -> bool:
    """Whether ``sig`` is ``pubkey``'s signature of ``event_id``: a pure function, so the
    answers for the credentials read on every agent call are remembered."""
    from pynostr.key import PublicKey

    try:
        return bool(PublicKey(bytes.fromhex(pubkey)).verify(bytes.fromhex(sig), bytes.fromhex(event_id)))
    except Exception:  # noqa: BLE001 - a pubkey off the curve: the library's ValueError, never the caller's problem
        return False


def sign_event(secret_hex: str, kind: int, content: str, tags: list[list[str]] | None = None, *, created_at: int | None = None) -> dict[str, Any]:
    """A signed event dict, ready to publish."""
    from pynostr.event import Event

    event = Event(content=content, kind=kind, tags=tags or [], created_at=created_at or int(time.time()))
    event.sign(secret_hex)
    return event.to_dict()


def public_key_of(secret_hex: str) -> str:
    from pynostr.key import PrivateKey

    return PrivateKey(bytes.fromhex(secret_hex)).public_key.hex()


def is_valid(event: Any) -> bool:
    """True only for a well-formed event whose id and signature check out (``check_event`` says why not)."""
    try:
        check_event(event)
    except EventError:
        return False
    return True


def tag_value(event: dict[str, Any], name: str) -> str | None:
    """The first value of the first tag called ``name``."""
    for tag in event.get("tags", []):
        if len(tag) >= 2 and tag[0] == name:
            return str(tag[1])
    return None


def nip04_encrypt(secret_hex: str, peer_pubkey: str, plaintext: str) -> str:
    from pynostr.key import PrivateKey

    return PrivateKey(bytes.fromhex(secret_hex)).encrypt_message(plaintext, peer_pubkey)


def nip04_decrypt(secret_hex: str, peer_pubkey: str, payload: str) -> str:
    """NIP-04 decryption; ValueError for anything that is not a valid payload."""
    from pynostr.key import PrivateKey

    if "?iv=" not in payload:
        raise ValueError("not a NIP-04 payload")
    try:
        return PrivateKey(bytes.fromhex(secret_hex)).decrypt_message(payload, peer_pubkey)
    except Exception as exc:  # noqa: BLE001 - padding, base64, unicode errors alike
        raise ValueError("NIP-04 payload does not decrypt") from exc
