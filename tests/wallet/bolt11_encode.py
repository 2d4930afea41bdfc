"""A BOLT #11 writer for the tests: real, signed invoices for the wallet simulator.

It follows the writer's rules (shortest amount, minimal-length x and c, a
payment secret with the features that announce it), so what the simulator
hands out looks like what LND or CLN would.
"""

from __future__ import annotations

import hashlib
import time

from sovtui.wallet.bolt11 import CHARSET, _polymod, _hrp_expand

_PREFIX = {"bitcoin": "bc", "testnet": "tb", "signet": "tbs", "regtest": "bcrt"}


def encode(amount_msat: int | None, payment_hash: bytes, private_key: bytes, description: str = "", network: str = "regtest",
           timestamp: int | None = None, expiry: int = 3600, payment_secret: bytes | None = None) -> str:
    from coincurve import PrivateKey

    hrp = "ln" + _PREFIX[network] + _amount(amount_msat)
    words = _int_words(timestamp if timestamp is not None else int(time.time()), 7)
    words += _field("p", _bytes_words(payment_hash))
    if payment_secret is not None:
        words += _field("s", _bytes_words(payment_secret))
    words += _field("d", _bytes_words(description.encode("utf-8")))
    words += _field("x", _int_words(expiry))
    words += _field("c", _int_words(40))
    if payment_secret is not None:
        words += _field("9", _int_words(1 << 8 | 1 << 14))
    message = hrp.encode() + _words_bytes(words)
    signature = PrivateKey(private_key).sign_recoverable(message, hasher=lambda m: hashlib.sha256(m).digest())
    words += _bytes_words(signature)
    checksum = _polymod(_hrp_expand(hrp) + words + [0] * 6) ^ 1
    words += [(checksum >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[w] for w in words)


def _amount(msat: int | None) -> str:
    if msat is None:
        return ""
    for unit, size in (("", 100_000_000_000), ("m", 100_000_000), ("u", 100_000), ("n", 100)):
        if msat % size == 0:
            return f"{msat // size}{unit}"
    return f"{msat * 10}p"


def _field(tag: str, data: list[int]) -> list[int]:
    return [CHARSET.index(tag), len(data) >> 5, len(data) & 31] + data


def _int_words(value: int, length: int | None = None) -> list[int]:
    words = []
    while value:
        words.insert(0, value & 31)
        value >>= 5
    if length is not None:
        words = [0] * (length - len(words)) + words
    return words or [0]


def _bytes_words(data: bytes) -> list[int]:
    bits = len(data) * 8
    value = int.from_bytes(data, "big") << (-bits % 5)
    return _int_words(value, (bits + 4) // 5)


def _words_bytes(words: list[int]) -> bytes:
    bits = len(words) * 5
    value = 0
    for word in words:
        value = value << 5 | word
    value <<= -bits % 8
    return value.to_bytes((bits + 7) // 8, "big")
