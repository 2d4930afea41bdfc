"""NIP-49: a secret key encrypted with a password (``ncryptsec``).

scrypt (log_n 16 by default, r 8, p 1) over the NFKC-normalised password
derives the key; XChaCha20-Poly1305 (PyNaCl: the ``cryptography`` package has
no XChaCha20) encrypts the 32-byte secret with the key-security byte as
associated data. ``hashlib.scrypt`` needs ``maxmem`` raised above its 32 MiB
default for log_n 16 and up.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata

from sovtui.identity import nip19
from sovtui.identity.errors import KeyFormatError, WrongPassword

VERSION = 0x02
DEFAULT_LOG_N = 16
#: scrypt's n = 2**log_n must be above 1; log_n 22 already takes 4 GiB (NIP-49's table stops there).
MIN_LOG_N, MAX_LOG_N = 1, 22

#: Key-security byte: handled insecurely / never known to be / not tracked.
INSECURE, SECURE, UNKNOWN = 0x00, 0x01, 0x02


def normalize(password: str) -> bytes:
    try:
        return unicodedata.normalize("NFKC", password).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate: what a terminal's invalid UTF-8 becomes in Python. No client could type it again.
        raise KeyFormatError("the password holds characters that are not valid Unicode: type it again") from None


def derive_key(password: str, salt: bytes, log_n: int) -> bytes:
    n = 1 << log_n
    return hashlib.scrypt(normalize(password), salt=salt, n=n, r=8, p=1, dklen=32, maxmem=128 * 8 * n + 64 * 1024 * 1024)


def encrypt(secret_key_hex: str, password: str, *, log_n: int = DEFAULT_LOG_N, key_security: int = UNKNOWN) -> str:
    from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt

    try:
        secret = bytes.fromhex(secret_key_hex)
    except ValueError:
        raise KeyFormatError("a secret key is 64 hex digits") from None
    if len(secret) != 32:
        raise KeyFormatError("a secret key is 32 bytes")
    if not MIN_LOG_N <= log_n <= MAX_LOG_N or key_security not in (INSECURE, SECURE, UNKNOWN):
        raise KeyFormatError(f"NIP-49 takes log_n {MIN_LOG_N}-{MAX_LOG_N} and a key-security byte 0, 1 or 2")
    salt, nonce = os.urandom(16), os.urandom(24)
    key = derive_key(password, salt, log_n)
    ad = bytes([key_security])
    ciphertext = crypto_aead_xchacha20poly1305_ietf_encrypt(secret, ad, nonce, key)
    return nip19.encode("ncryptsec", bytes([VERSION, log_n]) + salt + nonce + ad + ciphertext)


def decrypt(ncryptsec: str, password: str) -> str:
    """The secret key hex; WrongPassword if the password does not fit."""
    from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt
    from nacl.exceptions import CryptoError

    data = nip19.decode(ncryptsec, "ncryptsec")
    if len(data) != 91:
        raise KeyFormatError(f"an ncryptsec holds 91 bytes, this one {len(data)}")
    version, log_n = data[0], data[1]
    if version != VERSION:
        raise KeyFormatError(f"this ncryptsec is version {version}; sovtui reads version {VERSION}")
    if log_n > MAX_LOG_N:
        raise KeyFormatError(f"this ncryptsec asks for scrypt log_n {log_n}, more memory than sovtui will use")
    if log_n < MIN_LOG_N:
        raise KeyFormatError(f"this ncryptsec asks for scrypt log_n {log_n}, which scrypt cannot run: it is damaged")
    salt, nonce, ad, ciphertext = data[2:18], data[18:42], data[42:43], data[43:]
    key = derive_key(password, salt, log_n)
    try:
        secret = crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, ad, nonce, key)
    except CryptoError:
        raise WrongPassword("wrong password for this ncryptsec") from None
    return secret.hex()


def key_security(ncryptsec: str) -> int:
    data = nip19.decode(ncryptsec, "ncryptsec")
    if len(data) != 91:
        raise KeyFormatError(f"an ncryptsec holds 91 bytes, this one {len(data)}")
    return data[42]
