"""NIP-06: a Nostr key from a BIP-39 seed phrase.

The words and their checksum are checked, and turned into a seed, by Trezor's
``mnemonic`` package (the BIP-39 reference implementation). The BIP-32 step
along ``m/44'/1237'/<account>'/0/0`` is a dozen lines of HMAC-SHA512 and
secp256k1 arithmetic on coincurve, which pynostr already brings: the maintained
``bip32`` package pins coincurve below 21, older than the one pynostr uses.

A seed phrase is a secret like an nsec: it never appears in a message.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from sovtui.identity.errors import KeyFormatError

#: SLIP-44 registers coin type 1237 for Nostr.
NOSTR_COIN_TYPE = 1237
_HARDENED = 0x80000000
_CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_WORD_COUNTS = (12, 15, 18, 21, 24)


def looks_like_seed_phrase(text: str) -> bool:
    """Several lowercase words: what a user pastes when they mean a seed phrase."""
    words = text.split()
    return len(words) >= 3 and all(re.fullmatch(r"[a-zA-Z]+", w) for w in words)


def nostr_path(account: int = 0) -> list[int]:
    return [44 | _HARDENED, NOSTR_COIN_TYPE | _HARDENED, account | _HARDENED, 0, 0]


def secret_from_seed_phrase(phrase: str, *, account: int = 0, passphrase: str = "") -> str:
    """The secret key hex NIP-06 derives from ``phrase`` for ``account``."""
    from mnemonic import Mnemonic

    if not 0 <= account < _HARDENED:
        raise KeyFormatError(f"account {account}: expected a number from 0 to {_HARDENED - 1}")
    words = phrase.lower().split()
    if len(words) not in _WORD_COUNTS:
        raise KeyFormatError(f"a seed phrase has 12, 15, 18, 21 or 24 words, this one {len(words)}")
    english = Mnemonic("english")
    unknown = sum(1 for w in words if w not in english.wordlist)
    if unknown:
        raise KeyFormatError(f"{unknown} of these words {'is' if unknown == 1 else 'are'} not in the BIP-39 English word list: check the spelling")
    normalized = " ".join(words)
    if not english.check(normalized):
        raise KeyFormatError("the seed phrase's checksum does not match: a word is wrong or out of order")
    seed = Mnemonic.to_seed(normalized, passphrase)
    return derive_private_key(seed, nostr_path(account)).hex()


def derive_private_key(seed: bytes, path: list[int]) -> bytes:
    """BIP-32 private child derivation from a master seed along ``path``."""
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    key, chain = digest[:32], digest[32:]
    _check_scalar(int.from_bytes(key, "big"))
    for index in path:
        key, chain = _child(key, chain, index)
    return key


def _child(key: bytes, chain: bytes, index: int) -> tuple[bytes, bytes]:
    from coincurve import PrivateKey

    if index & _HARDENED:
        data = b"\x00" + key + index.to_bytes(4, "big")
    else:
        data = PrivateKey(key).public_key.format(compressed=True) + index.to_bytes(4, "big")
    digest = hmac.new(chain, data, hashlib.sha512).digest()
    tweak = int.from_bytes(digest[:32], "big")
    child = (tweak + int.from_bytes(key, "big")) % _CURVE_ORDER
    # BIP-32: an invalid child (probability below 2**-127) means "use the next index".
    if tweak >= _CURVE_ORDER:
        _check_scalar(0)
    _check_scalar(child)
    return child.to_bytes(32, "big"), digest[32:]


def _check_scalar(value: int) -> None:
    if not 0 < value < _CURVE_ORDER:
        raise KeyFormatError("this seed gives an invalid key at this path (vanishingly rare): try another account")
