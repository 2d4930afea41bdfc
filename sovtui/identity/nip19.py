"""NIP-19 bech32 entities: npub, nsec, nprofile (and note), checked strictly.

pynostr's ``PrivateKey.from_nsec`` accepts any bech32 string (an npub
included) without looking at its prefix; every decoder here checks the
prefix, the checksum and the length, and says which of them is wrong.

Whatever text is handed in, a decoder returns a value or raises
KeyFormatError (tests/identity/test_properties_nip19_nip49.py tries it), and
the message never repeats the text: it may be someone's secret key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pynostr.bech32 import Encoding, bech32_decode, bech32_encode, convertbits

from sovtui.identity.errors import KeyFormatError

_KIND_OF = {
    "npub": "public key",
    "nsec": "secret key",
    "note": "note id",
    "nprofile": "profile",
    "ncryptsec": "encrypted secret key",
    "nevent": "event",
    "naddr": "addressable event",
    "nrelay": "relay",
}
#: NIP-19: "Bech32-formatted strings SHOULD be limited in size to 5000 characters".
MAX_LENGTH = 5000
#: Prefixes named in an error: those above, and Lightning invoices and offers. Any other text before a
#: "1" is not repeated back: it could be the start of a secret key pasted in the wrong form.
_NAMED_ELSEWHERE = re.compile(r"ln[a-z]{1,6}[0-9]*[munp]?")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _bytes32(hex_: str, what: str) -> bytes:
    if not isinstance(hex_, str) or not _HEX64.fullmatch(hex_.lower()):
        raise KeyFormatError(f"a {what} is 64 hex digits")
    return bytes.fromhex(hex_)


def encode(prefix: str, data: bytes) -> str:
    words = convertbits(data, 8, 5, True)
    assert words is not None
    return bech32_encode(prefix, words, Encoding.BECH32)


def decode(text: str, expected: str) -> bytes:
    """The bytes in ``text``, which must be a valid ``expected`` (e.g. "nsec")."""
    text = text.strip()
    if text[:6].lower() == "nostr:":  # a NIP-21 URI
        text = text[6:]
    want = _KIND_OF.get(expected, expected)
    if not text:
        raise KeyFormatError(f"expected an {expected} ({want}), got nothing")
    if len(text) > MAX_LENGTH:
        raise KeyFormatError(f"expected an {expected} ({want}): this text is longer than NIP-19's {MAX_LENGTH} characters")
    lowered = text.lower()
    prefix = lowered[: lowered.rfind("1")] if "1" in lowered else ""
    if prefix and prefix != expected:
        got = _KIND_OF.get(prefix)
        if got:
            raise KeyFormatError(f"that is an {prefix} ({got}), not an {expected} ({want})")
        if _NAMED_ELSEWHERE.fullmatch(prefix):
            raise KeyFormatError(f"expected an {expected}… ({want}), got text starting {prefix!r}")
        raise KeyFormatError(f"expected an {expected}… ({want}), and this is not one")
    if not prefix:
        raise KeyFormatError(f"expected an {expected}… ({want}), and this is not bech32")
    hrp, words, spec = bech32_decode(text)
    if hrp is None or words is None:
        raise KeyFormatError(f"this {expected} is damaged: its checksum does not match (a character is wrong or missing)")
    if spec != Encoding.BECH32:
        raise KeyFormatError(f"this {expected} uses the wrong checksum variant (bech32m)")
    data = convertbits(words, 5, 8, False)
    if data is None:
        raise KeyFormatError(f"this {expected} has a wrong length")
    return bytes(data)


def _key32(text: str, expected: str) -> str:
    data = decode(text, expected)
    if len(data) != 32:
        raise KeyFormatError(f"an {expected} holds 32 bytes, this one {len(data)}")
    return data.hex()


def npub_to_hex(npub: str) -> str:
    return _key32(npub, "npub")


def nsec_to_hex(nsec: str) -> str:
    return _key32(nsec, "nsec")


def note_to_hex(note: str) -> str:
    return _key32(note, "note")


def hex_to_npub(public_key_hex: str) -> str:
    return encode("npub", _bytes32(public_key_hex, "public key"))


def hex_to_nsec(secret_key_hex: str) -> str:
    return encode("nsec", _bytes32(secret_key_hex, "secret key"))


def hex_to_note(event_id_hex: str) -> str:
    return encode("note", _bytes32(event_id_hex, "note id"))


@dataclass(frozen=True)
class Profile:
    pubkey: str
    relays: tuple[str, ...] = field(default_factory=tuple)


def encode_nprofile(pubkey_hex: str, relays: list[str] | tuple[str, ...] = ()) -> str:
    tlv = bytes([0, 32]) + _bytes32(pubkey_hex, "public key")
    for relay in relays:
        try:
            raw = relay.encode("utf-8")
        except UnicodeEncodeError:
            raise KeyFormatError("a relay URL holds text that is not valid Unicode (a lone surrogate)") from None
        if len(raw) > 255:
            raise KeyFormatError(f"relay URL too long for an nprofile: {relay[:40]}…")
        tlv += bytes([1, len(raw)]) + raw
    return encode("nprofile", tlv)


def decode_nprofile(text: str) -> Profile:
    data = decode(text, "nprofile")
    pubkey = ""
    relays: list[str] = []
    i = 0
    while i + 2 <= len(data):
        kind, length = data[i], data[i + 1]
        value = data[i + 2 : i + 2 + length]
        if len(value) != length:
            raise KeyFormatError("this nprofile is cut short")
        if kind == 0:
            if length != 32:
                raise KeyFormatError("this nprofile's public key is not 32 bytes")
            pubkey = value.hex()
        elif kind == 1:
            relays.append(value.decode("utf-8", "replace"))
        i += 2 + length  # unknown TLV types are ignored, as NIP-19 says
    if not pubkey:
        raise KeyFormatError("this nprofile holds no public key")
    return Profile(pubkey, tuple(relays))
