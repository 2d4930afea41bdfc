"""NIP-44 v2 encryption: the payloads NWC wallets and modern clients exchange.

Built on `cryptography` (HKDF, ChaCha20, HMAC) and coincurve (ECDH), both
already pulled in by pynostr, so the wallet costs no new crypto dependency.

Two readings of the spec meet here. The official test vectors (which every
deployed wallet follows) cap a plaintext at 65,535 bytes; a later revision of
the text adds a 6-byte "extended" length prefix for longer messages. We
encrypt only within the cap, so nothing we send is unreadable to a wallet
following the vectors, and we decrypt both forms, so a peer on the newer text
is still understood.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

__all__ = [
    "Nip44Error",
    "calc_padded_len",
    "decrypt",
    "encrypt",
    "get_conversation_key",
    "get_message_keys",
]

VERSION = 2
MIN_PLAINTEXT = 1
MAX_PLAINTEXT = 65535
EXTENDED_THRESHOLD = 65536
_SALT = b"nip44-v2"
# secp256k1 group order: a secret key must lie in [1, n-1].
_CURVE_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class Nip44Error(ValueError):
    """A payload or key that NIP-44 v2 says must be rejected."""


def calc_padded_len(length: int) -> int:
    """The padded size for `length` bytes: powers of two, in 32-byte chunks below 256."""
    if length <= 0:
        raise Nip44Error(f"invalid plaintext length: {length}")
    if length <= 32:
        return 32
    next_power = 1 << ((length - 1).bit_length())
    chunk = 32 if next_power <= 256 else next_power // 8
    return chunk * ((length - 1) // chunk + 1)


def get_conversation_key(private_key_hex: str, public_key_hex: str) -> bytes:
    """HKDF-extract of the unhashed ECDH x coordinate; symmetric in the two keys."""
    from coincurve import PublicKey

    try:
        secret = bytes.fromhex(private_key_hex)
        xonly = bytes.fromhex(public_key_hex)
    except ValueError as exc:
        raise Nip44Error("keys must be hex") from exc
    if len(secret) != 32 or not 0 < int.from_bytes(secret, "big") < _CURVE_N:
        raise Nip44Error("invalid secret key")
    if len(xonly) != 32:
        raise Nip44Error("invalid public key")
    try:
        point = PublicKey(b"\x02" + xonly)
        shared_x = point.multiply(secret).format(compressed=True)[1:]
    except Exception as exc:  # coincurve raises ValueError or its own errors
        raise Nip44Error("invalid public key") from exc
    return _hkdf_extract(shared_x, _SALT)


def get_message_keys(conversation_key: bytes, nonce: bytes) -> tuple[bytes, bytes, bytes]:
    """Per-message ChaCha20 key, ChaCha20 nonce and HMAC key."""
    if len(conversation_key) != 32:
        raise Nip44Error("invalid conversation key length")
    if len(nonce) != 32:
        raise Nip44Error("invalid nonce length")
    keys = _hkdf_expand(conversation_key, nonce, 76)
    return keys[0:32], keys[32:44], keys[44:76]


def encrypt(plaintext: str, conversation_key: bytes, nonce: bytes | None = None) -> str:
    """Encrypt to a base64 payload; a fresh random nonce unless one is given (tests)."""
    nonce = os.urandom(32) if nonce is None else nonce
    return _encrypt_bytes(plaintext.encode("utf-8"), conversation_key, nonce, MAX_PLAINTEXT)


def decrypt(payload: str, conversation_key: bytes) -> str:
    """Check the MAC before anything else is read, then strip the padding."""
    nonce, ciphertext, mac = _decode_payload(payload)
    chacha_key, chacha_nonce, hmac_key = get_message_keys(conversation_key, nonce)
    expected = hmac.new(hmac_key, nonce + ciphertext, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise Nip44Error("invalid MAC")
    padded = _chacha20(chacha_key, chacha_nonce, ciphertext)
    try:
        return _unpad(padded).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Nip44Error("plaintext is not UTF-8") from exc


def _encrypt_bytes(data: bytes, conversation_key: bytes, nonce: bytes, limit: int) -> str:
    chacha_key, chacha_nonce, hmac_key = get_message_keys(conversation_key, nonce)
    ciphertext = _chacha20(chacha_key, chacha_nonce, _pad(data, limit))
    mac = hmac.new(hmac_key, nonce + ciphertext, hashlib.sha256).digest()
    return base64.b64encode(bytes([VERSION]) + nonce + ciphertext + mac).decode("ascii")


def _pad(data: bytes, limit: int) -> bytes:
    length = len(data)
    if not MIN_PLAINTEXT <= length <= limit:
        raise Nip44Error(f"invalid plaintext length: {length}")
    if length >= EXTENDED_THRESHOLD:
        prefix = b"\x00\x00" + struct.pack(">I", length)
    else:
        prefix = struct.pack(">H", length)
    return prefix + data + bytes(calc_padded_len(length) - length)


def _unpad(padded: bytes) -> bytes:
    if len(padded) < 2:
        raise Nip44Error("invalid padding")
    (length,) = struct.unpack(">H", padded[:2])
    prefix = 2
    if length == 0:
        if len(padded) < 6:
            raise Nip44Error("invalid padding")
        (length,) = struct.unpack(">I", padded[2:6])
        prefix = 6
        if length < EXTENDED_THRESHOLD:
            raise Nip44Error("invalid padding")
    data = padded[prefix : prefix + length]
    if len(data) != length or len(padded) != prefix + calc_padded_len(length):
        raise Nip44Error("invalid padding")
    return data


def _decode_payload(payload: str) -> tuple[bytes, bytes, bytes]:
    if not payload or payload[0] == "#":
        raise Nip44Error("unknown encryption version")
    if len(payload) < 132:
        raise Nip44Error(f"invalid payload length: {len(payload)}")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Nip44Error("invalid base64") from exc
    if len(data) < 99:
        raise Nip44Error(f"invalid data length: {len(data)}")
    if data[0] != VERSION:
        raise Nip44Error(f"unknown encryption version {data[0]}")
    return data[1:33], data[33:-32], data[-32:]


def _hkdf_extract(ikm: bytes, salt: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def _chacha20(key: bytes, nonce: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    # cryptography takes a 16-byte nonce: a 4-byte little-endian counter (0), then the 12 bytes.
    cipher = Cipher(algorithms.ChaCha20(key, b"\x00" * 4 + nonce), mode=None)
    return cipher.encryptor().update(data)
