"""BOLT #11 invoices: decode and check one before a single sat moves.

Written here rather than taken from PyPI: the ``bolt11`` package caps Python
below 3.13 and breaks with bitstring 5. Decoding is small and exact: bech32
without the 90-character limit, the amount rules of the human-readable part,
the tagged fields (skipping unknown ones and wrong-length p/h/s/n, as the
spec says), and the signature, whose recovered key is the payee. Tested
against every example, valid and invalid, in the BOLT #11 text.
"""

from __future__ import annotations

import functools

import re
import time
from dataclasses import dataclass

__all__ = ["Invoice", "InvoiceError", "decode"]

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_NETWORKS = {"bc": "bitcoin", "tb": "testnet", "tbs": "signet", "bcrt": "regtest"}
_HRP = re.compile(r"^ln(bcrt|bc|tbs|tb)(\d+)?([munp])?$")
_MSAT_PER_UNIT = {"": 100_000_000_000, "m": 100_000_000, "u": 100_000, "n": 100}
# Even (required) feature bits an invoice may carry that we understand (BOLT #9):
# var_onion_optin, payment_secret, basic_mpp, route_blinding, payment_metadata.
_KNOWN_EVEN_FEATURES = {8, 14, 16, 24, 48}
_CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_SIGNATURE_WORDS = 104  # 520 bits: 64-byte signature and a recovery id
_TIMESTAMP_WORDS = 7


class InvoiceError(ValueError):
    """An invoice that must not be paid, with the reason in plain words."""


@dataclass(frozen=True)
class Invoice:
    raw: str
    network: str
    amount_msat: int | None
    timestamp: int
    payment_hash: str
    payee: str
    expiry: int = 3600
    payment_secret: str | None = None
    description: str | None = None
    description_hash: str | None = None
    min_final_cltv_expiry: int = 18
    features: int = 0

    @property
    def amount_sat(self) -> int | None:
        """Whole sats, rounded up: a sub-sat remainder still has to be paid."""
        return None if self.amount_msat is None else -(-self.amount_msat // 1000)

    @property
    def expires_at(self) -> int:
        return self.timestamp + self.expiry

    def is_expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at


@functools.lru_cache(maxsize=64)
def decode(invoice: str) -> Invoice:
    """The invoice read and its signature checked; InvoiceError says what is wrong.

    Remembered for the last few invoices (an ``Invoice`` is frozen): a payment
    decodes the same invoice at each of its checks, and the checksum and the
    signature are the costly part.
    """
    text = invoice.strip()
    if text.lower().startswith("lightning:"):
        text = text[len("lightning:"):]
    hrp, words = _bech32_decode(text)
    network, amount_msat = _parse_hrp(hrp)
    if len(words) < _TIMESTAMP_WORDS + _SIGNATURE_WORDS:
        raise InvoiceError("the invoice is too short to hold a timestamp and a signature")
    body, signature = words[:-_SIGNATURE_WORDS], _to_bytes(words[-_SIGNATURE_WORDS:])
    timestamp = _int(body[:_TIMESTAMP_WORDS])
    fields = _tagged_fields(body[_TIMESTAMP_WORDS:])

    payment_hash = fields.get("p")
    if payment_hash is None:
        raise InvoiceError("the invoice has no payment hash")
    features = fields.get("9", 0)
    unknown = [bit for bit in range(0, features.bit_length(), 2) if features >> bit & 1 and bit not in _KNOWN_EVEN_FEATURES]
    if unknown:
        raise InvoiceError(f"the invoice requires features this wallet does not know (bit {unknown[0]})")
    if features >> 14 & 3 and "s" not in fields:
        raise InvoiceError("the invoice asks for a payment secret but carries none")
    if "d" not in fields and "h" not in fields:
        raise InvoiceError("the invoice has no description")

    message = hrp.encode() + _to_bytes(body)
    payee = _check_signature(message, signature, fields.get("n"))
    return Invoice(
        raw=text.lower(),
        network=network,
        amount_msat=amount_msat,
        timestamp=timestamp,
        payment_hash=payment_hash.hex(),
        payee=payee,
        expiry=fields.get("x", 3600),
        payment_secret=fields["s"].hex() if "s" in fields else None,
        description=fields.get("d"),
        description_hash=fields["h"].hex() if "h" in fields else None,
        min_final_cltv_expiry=fields.get("c", 18),
        features=features,
    )


# --- pieces -----------------------------------------------------------------------


def _bech32_decode(text: str) -> tuple[str, list[int]]:
    if text.lower() != text and text.upper() != text:
        raise InvoiceError("not an invoice: it mixes upper and lower case")
    text = text.lower()
    sep = text.rfind("1")
    if sep < 1 or sep + 7 > len(text):
        raise InvoiceError("not an invoice: it is not bech32 text (lnbc…)")
    hrp, data = text[:sep], text[sep + 1:]
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp) or any(c not in CHARSET for c in data):
        raise InvoiceError("not an invoice: it has characters bech32 does not use")
    words = [CHARSET.index(c) for c in data]
    if _polymod(_hrp_expand(hrp) + words) != 1:
        raise InvoiceError("the invoice's checksum is wrong: it was changed or mistyped")
    return hrp, words[:-6]


def _polymod(values: list[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(generators):
            if top >> i & 1:
                check ^= generator
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _parse_hrp(hrp: str) -> tuple[str, int | None]:
    match = _HRP.match(hrp)
    if not match:
        if hrp.startswith("ln"):
            raise InvoiceError(f"unknown network or bad amount in the invoice prefix {hrp!r}")
        raise InvoiceError("not a Lightning invoice (it should start with lnbc, lntb, lntbs or lnbcrt)")
    prefix, digits, multiplier = match.group(1), match.group(2), match.group(3) or ""
    if digits is None:
        if multiplier:
            raise InvoiceError("the invoice's amount has a multiplier but no number")
        return _NETWORKS[prefix], None
    amount = int(digits)
    if multiplier == "p":
        if amount % 10:
            raise InvoiceError("the invoice's amount is finer than a millisatoshi")
        msat = amount // 10
    else:
        msat = amount * _MSAT_PER_UNIT[multiplier]
    if msat <= 0:
        raise InvoiceError("the invoice's amount is zero")
    return _NETWORKS[prefix], msat


def _tagged_fields(words: list[int]) -> dict[str, object]:
    fields: dict[str, object] = {}
    i = 0
    while i < len(words):
        if i + 3 > len(words):
            raise InvoiceError("the invoice's fields are cut short")
        tag, length = CHARSET[words[i]], words[i + 1] * 32 + words[i + 2]
        data = words[i + 3:i + 3 + length]
        if len(data) != length:
            raise InvoiceError("the invoice's fields are cut short")
        i += 3 + length
        if tag in fields and tag != "r":
            continue  # the writer's preferred one comes first
        if tag in ("p", "h", "s") and length == 52:
            fields[tag] = _field_bytes(data)
        elif tag == "n" and length == 53:
            fields[tag] = _field_bytes(data)
        elif tag == "d":
            try:
                fields[tag] = _field_bytes(data).decode("utf-8")
            except UnicodeDecodeError:
                raise InvoiceError("the invoice's description is not UTF-8") from None
        elif tag in ("x", "c", "9"):
            fields[tag] = _int(data)
    return fields


def _check_signature(message: bytes, signature: bytes, payee: object) -> str:
    from coincurve import PublicKey

    sig, recovery_id = signature[:64], signature[64]
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if recovery_id > 3 or not (0 < r < _CURVE_ORDER and 0 < s < _CURVE_ORDER):
        raise InvoiceError("the invoice's signature is malformed")
    if isinstance(payee, bytes) and s > _CURVE_ORDER // 2:
        raise InvoiceError("the invoice's signature is not canonical (high S)")
    try:
        # Readers normalise a high S to low S and keep the recovery id, as the
        # spec's "public-key recovery with high-S signature" example expects.
        if s > _CURVE_ORDER // 2:
            sig = sig[:32] + (_CURVE_ORDER - s).to_bytes(32, "big")
        key = PublicKey.from_signature_and_message(sig + bytes([recovery_id]), message)
    except Exception:  # noqa: BLE001 - coincurve raises plain Exception on failure
        raise InvoiceError("the invoice's signature does not verify") from None
    recovered = key.format(compressed=True)
    if isinstance(payee, bytes) and recovered != payee:
        raise InvoiceError("the invoice's signature is not from the payee it names")
    return recovered.hex()


def _int(words: list[int]) -> int:
    value = 0
    for word in words:
        value = value << 5 | word
    return value


def _to_bytes(words: list[int]) -> bytes:
    """5-bit groups to bytes, the last byte padded with zero bits (as BOLT #11 signs them)."""
    bits = len(words) * 5
    value = _int(words) << (-bits % 8)
    return value.to_bytes((bits + 7) // 8, "big")


def _field_bytes(words: list[int]) -> bytes:
    """A field's bytes: the writer padded them to 5 bits, so leftover bits are dropped."""
    bits = len(words) * 5
    return (_int(words) >> (bits % 8)).to_bytes(bits // 8, "big")
