"""NIP-44 v2 against every vector in the official file, valid and invalid."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from sovtui.nostr import nip44
from sovtui.nostr.nip44 import Nip44Error

# The official file, byte for byte: its checksum is the one NIP-44 publishes.
VECTORS_FILE = Path(__file__).with_name("nip44.vectors.json")
PUBLISHED_SHA256 = "269ed0f69e4c192512cc779e78c555090cebc7c785b609e338a62afc3ce25040"


def _vectors() -> dict:
    return json.loads(VECTORS_FILE.read_text())["v2"]


V = _vectors()


def _pub(sec_hex: str) -> str:
    from coincurve import PrivateKey

    return PrivateKey(bytes.fromhex(sec_hex)).public_key.format(compressed=True)[1:].hex()


def test_vector_file_is_the_published_one():
    assert hashlib.sha256(VECTORS_FILE.read_bytes()).hexdigest() == PUBLISHED_SHA256


@pytest.mark.parametrize("case", V["valid"]["get_conversation_key"])
def test_conversation_key_matches_vector(case):
    assert nip44.get_conversation_key(case["sec1"], case["pub2"]).hex() == case["conversation_key"]


@pytest.mark.parametrize("case", V["valid"]["get_message_keys"]["keys"])
def test_message_keys_match_vector(case):
    conversation_key = bytes.fromhex(V["valid"]["get_message_keys"]["conversation_key"])
    chacha_key, chacha_nonce, hmac_key = nip44.get_message_keys(conversation_key, bytes.fromhex(case["nonce"]))
    assert (chacha_key.hex(), chacha_nonce.hex(), hmac_key.hex()) == (
        case["chacha_key"],
        case["chacha_nonce"],
        case["hmac_key"],
    )


@pytest.mark.parametrize(("length", "padded"), V["valid"]["calc_padded_len"])
def test_padded_length_matches_vector(length, padded):
    assert nip44.calc_padded_len(length) == padded


@pytest.mark.parametrize("case", V["valid"]["encrypt_decrypt"])
def test_encrypt_decrypt_round_trip_matches_vector(case):
    key = nip44.get_conversation_key(case["sec1"], _pub(case["sec2"]))
    assert key.hex() == case["conversation_key"]
    payload = nip44.encrypt(case["plaintext"], key, bytes.fromhex(case["nonce"]))
    assert payload == case["payload"]
    reverse = nip44.get_conversation_key(case["sec2"], _pub(case["sec1"]))
    assert reverse == key
    assert nip44.decrypt(payload, reverse) == case["plaintext"]


@pytest.mark.parametrize("case", V["valid"]["encrypt_decrypt_long_msg"])
def test_long_message_matches_vector_checksums(case):
    key = bytes.fromhex(case["conversation_key"])
    plaintext = case["pattern"] * case["repeat"]
    assert hashlib.sha256(plaintext.encode()).hexdigest() == case["plaintext_sha256"]
    payload = nip44.encrypt(plaintext, key, bytes.fromhex(case["nonce"]))
    assert hashlib.sha256(payload.encode()).hexdigest() == case["payload_sha256"]
    assert nip44.decrypt(payload, key) == plaintext


@pytest.mark.parametrize("length", V["invalid"]["encrypt_msg_lengths"])
def test_encrypt_rejects_lengths_outside_the_vectors_range(length):
    with pytest.raises(Nip44Error):
        nip44.encrypt("a" * length, bytes(32), bytes(32))


@pytest.mark.parametrize("case", V["invalid"]["get_conversation_key"], ids=lambda c: c["note"])
def test_conversation_key_rejects_invalid_keys(case):
    with pytest.raises(Nip44Error):
        nip44.get_conversation_key(case["sec1"], case["pub2"])


@pytest.mark.parametrize("case", V["invalid"]["decrypt"], ids=lambda c: c["note"])
def test_decrypt_rejects_invalid_payloads(case):
    with pytest.raises(Nip44Error):
        nip44.decrypt(case["payload"], bytes.fromhex(case["conversation_key"]))


# The extended-prefix table of the newer NIP-44 text: we decrypt such payloads
# (a peer may send them) though we never produce one.
EXTENDED = [
    (65535, "6d8c2810d1e870fbaa1f0a0937126cca837a15f9260e27060c331d70a3c0bc84"),
    (65536, "b7b4edb36ba92e267d322d56d9aebc22e7fa96ff52e3c12adc07f07a43cbc616"),
    (65537, "eeb7c7c5373894ea2c1547cfd3ccb15d5a0b2d619da852e5c79df792dcc9e435"),
]


@pytest.mark.parametrize(("length", "payload_sha256"), EXTENDED)
def test_extended_prefix_payloads_are_read(length, payload_sha256):
    key = bytes.fromhex("c41c775356fd92eadc63ff5a0dc1da211b268cbea22316767095b2871ea1412d")
    nonce = bytes.fromhex("00" * 31 + "01")
    payload = nip44._encrypt_bytes(b"a" * length, key, nonce, limit=2**32 - 1)
    assert hashlib.sha256(payload.encode()).hexdigest() == payload_sha256
    assert nip44.decrypt(payload, key) == "a" * length


def test_tampered_ciphertext_fails_the_mac():
    key = bytes(range(32))
    payload = nip44.encrypt("pay 21 sats", key)
    raw = bytearray(base64.b64decode(payload))
    raw[40] ^= 1
    with pytest.raises(Nip44Error, match="MAC"):
        nip44.decrypt(base64.b64encode(bytes(raw)).decode(), key)


def test_random_nonces_differ_between_messages():
    key = bytes(range(32))
    assert nip44.encrypt("same", key) != nip44.encrypt("same", key)
