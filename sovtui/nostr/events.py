"""NIP-01 events: sign what we send, check everything we receive.

A relay is a stranger: whatever it hands us may be malformed, forged or
replayed. ``is_valid`` is the single gate every incoming event passes before
anything reads its content. pynostr does the signing and NIP-04; the checks
are ours because pynostr's ``Event.verify`` asserts rather than answering.
"""

from __future__ import annotations

import re
import time
from typing import Any

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX128 = re.compile(r"^[0-9a-f]{128}$")


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
    """True only for a well-formed event whose id and signature check out."""
    if not isinstance(event, dict):
        return False
    try:
        pubkey, sig, event_id = event["pubkey"], event["sig"], event["id"]
        created_at, kind, tags, content = event["created_at"], event["kind"], event["tags"], event["content"]
    except KeyError:
        return False
    if not (isinstance(pubkey, str) and _HEX64.match(pubkey) and isinstance(event_id, str) and _HEX64.match(event_id)):
        return False
    if not (isinstance(sig, str) and _HEX128.match(sig)):
        return False
    if not (isinstance(created_at, int) and isinstance(kind, int) and isinstance(content, str)):
        return False
    if not (isinstance(tags, list) and all(isinstance(t, list) and all(isinstance(v, str) for v in t) for t in tags)):
        return False
    from pynostr.event import Event

    checked = Event(content=content, pubkey=pubkey, created_at=created_at, kind=kind, tags=tags, sig=sig)
    if checked.id != event_id:
        return False
    try:
        return bool(checked.verify())
    except Exception:  # noqa: BLE001 - a pubkey off the curve, a malformed sig
        return False


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
