"""Key pairs for the owner and their agents: make, import, export, sign, verify.

Keys live in the vault (``sovtui.identity.vault``); this module turns what a
user pastes into a key, or tells them exactly why it is not one, and never
puts key material in an error message.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from sovtui.identity import nip19, nip49
from sovtui.identity.errors import KeyFormatError, LabelMismatch
from sovtui.identity.vault import LABEL as _LABEL
from sovtui.identity.vault import UntrustedEntry, Vault, VaultError

ROLES = ("owner", "agent")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class KeyInfo:
    label: str
    role: str
    pubkey: str
    created: str

    @property
    def npub(self) -> str:
        return nip19.hex_to_npub(self.pubkey)

    @property
    def short_npub(self) -> str:
        npub = self.npub
        return f"{npub[:12]}…{npub[-6:]}"

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "role": self.role, "pubkey": self.pubkey, "npub": self.npub, "created": self.created}


def check_label(label: str) -> str:
    if not _LABEL.match(label):
        raise KeyFormatError(f"label {label!r}: use letters, digits, '-', '_' or '.', up to 40 characters")
    return label


def check_role(role: str) -> str:
    if role not in ROLES:
        raise KeyFormatError(f"role {role!r}: expected owner or agent")
    return role


def public_key_of(secret_key_hex: str) -> str:
    from pynostr.key import PrivateKey

    return PrivateKey(bytes.fromhex(secret_key_hex)).public_key.hex()


def needs_key_password(text: str) -> bool:
    """Whether importing ``text`` needs a password of its own (an ncryptsec: NIP-49)."""
    return text.strip().lower().startswith("ncryptsec1")


def parse_secret(text: str, *, key_password: str | None = None, account: int = 0) -> str:
    """The secret key hex in an nsec, a 64-digit hex, an ncryptsec or a NIP-06 seed phrase.

    ``account`` picks the key a seed phrase derives (``m/44'/1237'/account'/0/0``).
    """
    from sovtui.identity.seed_phrase import looks_like_seed_phrase, secret_from_seed_phrase

    text = text.strip()
    if looks_like_seed_phrase(text):
        secret = secret_from_seed_phrase(text, account=account)
    elif _HEX64.match(text):
        secret = text.lower()
    elif text.lower().startswith("ncryptsec1"):
        if key_password is None:
            raise KeyFormatError("this is an ncryptsec: its own password is needed to import it")
        secret = nip49.decrypt(text, key_password)
    elif text.lower().startswith("npub1"):
        raise KeyFormatError("that is an npub (public key), not a secret key: import the nsec, hex or ncryptsec")
    elif re.fullmatch(r"[0-9a-fA-F]+", text):
        raise KeyFormatError(f"a hex secret key has 64 digits, this one {len(text)}")
    else:
        secret = nip19.nsec_to_hex(text)
    try:
        public_key_of(secret)
    except Exception:  # noqa: BLE001 - coincurve's error names the value
        raise KeyFormatError("this number is not a valid secp256k1 secret key") from None
    return secret


class KeyStore:
    """The user's keys, in the vault."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def list(self) -> list[KeyInfo]:
        return [KeyInfo(label, e["role"], e["pubkey"], e.get("created", "")) for label, e in sorted(self.vault.keys().items())]

    def get(self, label: str) -> KeyInfo:
        for info in self.list():
            if info.label == label:
                return info
        raise VaultError(f"no key labelled {label!r}: see 'sovtui keys list'")

    def _add(self, label: str, secret: str, role: str) -> KeyInfo:
        check_label(label)
        check_role(role)
        if label in self.vault.keys():
            raise VaultError(f"a key labelled {label!r} already exists")
        pubkey = public_key_of(secret)
        if any(e["pubkey"] == pubkey for e in self.vault.keys().values()):
            raise VaultError("this key is already in the vault under another label")
        self.vault.put_key(label, secret, role=role, pubkey=pubkey)
        return self.get(label)

    def generate(self, label: str, role: str = "owner") -> KeyInfo:
        from pynostr.key import PrivateKey

        return self._add(label, PrivateKey().hex(), role)

    def import_key(self, label: str, text: str, role: str = "owner", *, key_password: str | None = None, account: int = 0) -> KeyInfo:
        return self._add(label, parse_secret(text, key_password=key_password, account=account), role)

    def deletable(self, label: str) -> KeyInfo | None:
        """The key ``label`` is, to be deleted: its info, or None for an entry the vault refuses to trust.

        Deleting by label is the one way to be rid of such an entry (plain text
        planted in a protected vault), so it is found, not refused; no key by
        that label, or another refused entry, raises.
        """
        try:
            return self.get(label)
        except UntrustedEntry as exc:
            if (exc.section, exc.name) != ("keys", label):
                raise
            return None

    def delete(self, label: str, *, confirm: str) -> None:
        """Delete the key for good; ``confirm`` is the label as the user typed it again."""
        if confirm != label:
            raise LabelMismatch()
        self.deletable(label)
        self.vault.delete_key(label)

    def export(self, label: str, fmt: str, *, relays: list[str] | None = None, password: str | None = None) -> str:
        info = self.get(label)
        if fmt == "npub":
            return info.npub
        if fmt == "nprofile":
            return nip19.encode_nprofile(info.pubkey, relays or [])
        secret = self.vault.secret_key(label)
        if fmt == "nsec":
            return nip19.hex_to_nsec(secret)
        if fmt == "ncryptsec":
            if not password:
                raise KeyFormatError("an ncryptsec export needs a password")
            return nip49.encrypt(secret, password)
        raise KeyFormatError(f"unknown export format {fmt!r}")

    def sign(self, label: str, content: str, *, kind: int = 1, tags: list[list[str]] | None = None) -> dict[str, Any]:
        """A signed NIP-01 event (not published)."""
        from pynostr.event import Event

        event = Event(content=content, kind=kind, tags=tags or [], created_at=int(time.time()))
        event.sign(self.vault.secret_key(label))
        return event.to_dict()


def verify_event(data: str | dict[str, Any]) -> str:
    """The signer's pubkey hex if ``data`` is a correctly signed event; else KeyFormatError.

    The same check as a credential's (``nostr.events.check_event``): well-formed
    hex of the right lengths and the claimed id equal to the recomputed one, so
    a blanked id is wrong, not "unchecked".
    """
    from sovtui.nostr.events import EventError, check_event

    try:
        event = json.loads(data) if isinstance(data, str) else data
    except ValueError:
        raise KeyFormatError("not a Nostr event (JSON with id, pubkey, created_at, kind, tags, content, sig)") from None
    except RecursionError:
        raise KeyFormatError("not a Nostr event: the JSON is nested too deeply") from None
    if isinstance(event, list) and len(event) >= 2 and event[0] == "EVENT":
        event = event[-1]
    try:
        check_event(event)
    except EventError as exc:
        raise KeyFormatError(str(exc)) from None
    return str(event["pubkey"])
