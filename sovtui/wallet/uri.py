"""``nostr+walletconnect://`` URIs: parse, check, and never show the secret.

The URI holds the client's secret key, so it is as sensitive as a password:
``NwcUri.__repr__`` hides it, and every error names the part that is wrong
without repeating the URI.

Both keys are checked as keys, not only as hex: the wallet's public key must
be the x coordinate of a point on secp256k1 and the secret a scalar in
1..n-1. A key that is only hex would pass here and fail later, deep in the
NIP-44 code, with the secret in the failing frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

from sovtui.nostr.relay import RelayError, check_relay_url
from sovtui.text import safe_line
from sovtui.wallet.errors import NwcUriError

SCHEMES = ("nostr+walletconnect", "nostrwalletconnect")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CURVE_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class NwcUri:
    wallet_pubkey: str
    relays: tuple[str, ...]
    secret: str = field(repr=False)
    lud16: str = ""

    def to_uri(self) -> str:
        query = [("relay", r) for r in self.relays] + [("secret", self.secret)]
        if self.lud16:
            query.append(("lud16", self.lud16))
        text = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
        return f"nostr+walletconnect://{self.wallet_pubkey}?{text}"


def parse_nwc_uri(text: str) -> NwcUri:
    """The connection a wallet gave us, or NwcUriError saying what is wrong with it."""
    text = text.strip()
    if not text:
        raise NwcUriError("no connection URI given: paste the nostr+walletconnect:// URI from your wallet")
    scheme, sep, _ = text.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise NwcUriError("not a wallet connection URI: it must start with nostr+walletconnect://")
    try:
        parts = urlsplit("nwc://" + text.split("://", 1)[1])
    except ValueError:  # e.g. an unclosed [ read as an IPv6 address
        raise NwcUriError("the connection URI is malformed: copy the whole URI from your wallet again") from None
    pubkey = (parts.netloc or parts.path.strip("/")).lower()
    if not _HEX64.match(pubkey):
        raise NwcUriError("the wallet's public key in the URI is not 64 hex characters")
    if not _is_point(pubkey):
        raise NwcUriError("the wallet's public key in the URI is not a valid public key (no point on the curve has it): copy the URI again")
    query = parse_qs(parts.query, keep_blank_values=True)
    relays = query.get("relay", [])
    if not relays or not any(r.strip() for r in relays):
        raise NwcUriError("the URI names no relay (relay=wss://…); copy the whole URI from your wallet")
    checked: list[str] = []
    for relay in relays:
        try:
            checked.append(check_relay_url(relay))
        except (RelayError, ValueError):
            raise NwcUriError(f"the URI's relay {safe_line(relay)[:80]!r} is not a ws:// or wss:// address") from None
    secrets = query.get("secret", [])
    if len(secrets) != 1 or not secrets[0]:
        raise NwcUriError("the URI has no secret (secret=…); copy the whole URI from your wallet")
    secret = secrets[0].lower()
    if not _HEX64.match(secret) or not 0 < int(secret, 16) < _CURVE_N or not _is_scalar(secret):
        raise NwcUriError("the URI's secret is not a valid 32-byte hex key")
    lud16 = query.get("lud16", [""])[0]
    if lud16 and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", lud16):
        raise NwcUriError("the URI's lud16 is not a lightning address (name@domain)")
    return NwcUri(pubkey, tuple(dict.fromkeys(checked)), secret, lud16)


def _is_point(pubkey_hex: str) -> bool:
    """True when the x-only key (BIP-340) is on the curve."""
    from coincurve import PublicKey

    try:
        PublicKey(b"\x02" + bytes.fromhex(pubkey_hex))
    except Exception:  # noqa: BLE001 - coincurve raises ValueError or its own errors
        return False
    return True


def _is_scalar(secret_hex: str) -> bool:
    from coincurve import PrivateKey

    try:
        PrivateKey(bytes.fromhex(secret_hex))
    except Exception:  # noqa: BLE001
        return False
    return True
