"""Properties of the NIP-19 and NIP-49 decoders: whatever is pasted, a value or KeyFormatError, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pynostr.bech32 import CHARSET, Encoding, bech32_encode, convertbits

from sovtui.identity import nip19, nip49
from sovtui.identity.errors import KeyFormatError, WrongPassword
from tests.parser_properties import PARSERS, hostile_chars, hostile_text

PREFIXES = ["npub", "nsec", "note", "nprofile", "ncryptsec", "nevent", "naddr", "lnbc", "bc", "x", ""]
DECODERS = {
    "npub": nip19.npub_to_hex,
    "nsec": nip19.nsec_to_hex,
    "note": nip19.note_to_hex,
    "nprofile": nip19.decode_nprofile,
    "ncryptsec": nip49.key_security,
}

key32 = st.binary(min_size=32, max_size=32)


def bech32_of(prefix: str, data: bytes, spec: Encoding = Encoding.BECH32) -> str:
    words = convertbits(data, 8, 5, True)
    assert words is not None
    return bech32_encode(prefix, words, spec)


#: Text a user or a peer could hand over: any Unicode (lone surrogates too), bech32-looking text, real bech32.
any_text = hostile_text
bech32_looking = st.builds(
    lambda prefix, upper, body: (prefix + "1" + body).upper() if upper else prefix + "1" + body,
    st.sampled_from(PREFIXES),
    st.booleans(),
    st.text(alphabet=CHARSET + "1bio", max_size=120),
)
real_bech32 = st.builds(
    bech32_of,
    st.sampled_from(PREFIXES[:-1]),
    st.binary(max_size=200),
    st.sampled_from([Encoding.BECH32, Encoding.BECH32M]),
)
pasted = st.one_of(any_text, bech32_looking, real_bech32, real_bech32.map(lambda s: "  nostr:" + s + "\n"))


@PARSERS
@given(pasted, st.sampled_from(sorted(DECODERS)))
def test_decoders_return_a_value_or_a_key_format_error(text: str, kind: str) -> None:
    try:
        DECODERS[kind](text)
    except KeyFormatError as exc:
        message = str(exc)
        assert message and "\n" not in message
        assert text.strip() not in message or len(text.strip()) < 5, "an error never repeats what was pasted"


@PARSERS
@given(pasted, st.text(max_size=20))
def test_generic_decode_and_prefix(text: str, expected: str) -> None:
    try:
        nip19.decode(text, expected or "npub")
    except KeyFormatError:
        pass


@PARSERS
@given(key32)
def test_npub_nsec_note_round_trip(data: bytes) -> None:
    hex_ = data.hex()
    assert nip19.npub_to_hex(nip19.hex_to_npub(hex_)) == hex_
    assert nip19.nsec_to_hex(nip19.hex_to_nsec(hex_)) == hex_
    assert nip19.note_to_hex(nip19.hex_to_note(hex_)) == hex_
    assert nip19.npub_to_hex(nip19.hex_to_npub(hex_).upper()) == hex_, "bech32 in capitals (as in a QR code) is the same"
    assert nip19.npub_to_hex("nostr:" + nip19.hex_to_npub(hex_)) == hex_, "a NIP-21 URI"


@PARSERS
@given(key32, st.data())
def test_one_changed_character_is_always_caught(data: bytes, draw: st.DataObject) -> None:
    npub = nip19.hex_to_npub(data.hex())
    where = draw.draw(st.integers(min_value=5, max_value=len(npub) - 1))
    other = draw.draw(st.sampled_from(CHARSET).filter(lambda c: c != npub[where]))
    with pytest.raises(KeyFormatError):
        nip19.npub_to_hex(npub[:where] + other + npub[where + 1 :])


@PARSERS
@given(key32, st.lists(st.text(hostile_chars, max_size=80).filter(lambda s: len(s.encode("utf-8", "surrogatepass")) <= 255), max_size=4))
def test_nprofile_round_trip(pubkey: bytes, relays: list[str]) -> None:
    try:
        encoded = nip19.encode_nprofile(pubkey.hex(), relays)
    except KeyFormatError:
        assert any(not _is_utf8(r) for r in relays), "only text that cannot be UTF-8 is refused"
        return
    profile = nip19.decode_nprofile(encoded)
    assert profile == nip19.Profile(pubkey.hex(), tuple(relays))


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@PARSERS
@given(st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=255)), max_size=6))
def test_nprofile_tlvs_any_order_any_type(tlvs: list[tuple[int, bytes]]) -> None:
    """Unknown TLV types are ignored, as NIP-19 says; a missing or wrong-sized key is an error."""
    raw = b"".join(bytes([kind, len(value)]) + value for kind, value in tlvs)
    keys = [value for kind, value in tlvs if kind == 0]
    try:
        profile = nip19.decode_nprofile(bech32_of("nprofile", raw))
    except KeyFormatError:
        assert not keys or any(len(k) != 32 for k in keys)
        return
    assert keys and profile.pubkey == keys[-1].hex() and all(len(k) == 32 for k in keys)


@PARSERS
@given(st.binary(max_size=200), st.data())
def test_nprofile_cut_anywhere(raw: bytes, draw: st.DataObject) -> None:
    try:
        nip19.decode_nprofile(bech32_of("nprofile", raw))
    except KeyFormatError:
        pass


# --- NIP-49 ----------------------------------------------------------------------------------------

#: log_n values cheap to try (or refused before scrypt runs): never the 64 MiB-4 GiB a real one asks.
cheap_log_n = st.one_of(st.integers(0, 6), st.integers(23, 255))


@st.composite
def ncryptsec_payloads(draw: st.DrawFn) -> bytes:
    version = draw(st.one_of(st.just(nip49.VERSION), st.integers(0, 255)))
    log_n = draw(cheap_log_n)
    rest = draw(st.one_of(st.binary(min_size=89, max_size=89), st.binary(max_size=120)))
    return bytes([version, log_n]) + rest


@PARSERS
@given(st.one_of(pasted, ncryptsec_payloads().map(lambda raw: bech32_of("ncryptsec", raw))), st.text(hostile_chars, max_size=30))
def test_decrypt_returns_a_key_or_a_domain_error(text: str, password: str) -> None:
    if text.lower().startswith("ncryptsec1"):
        try:
            data = nip19.decode(text, "ncryptsec")
        except KeyFormatError:
            data = b""
        assume(len(data) < 2 or data[1] <= 6 or data[1] > 22)  # the cheap ones only
    try:
        secret = nip49.decrypt(text, password)
    except (KeyFormatError, WrongPassword) as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert len(secret) == 64


@PARSERS
@given(key32, st.text(hostile_chars, max_size=40), st.integers(1, 5), st.sampled_from([nip49.INSECURE, nip49.SECURE, nip49.UNKNOWN]))
def test_encrypt_decrypt_round_trip(secret: bytes, password: str, log_n: int, security: int) -> None:
    try:
        encrypted = nip49.encrypt(secret.hex(), password, log_n=log_n, key_security=security)
    except KeyFormatError:
        assert not _is_utf8(password), "only a password that cannot be UTF-8 is refused"
        return
    assert len(nip19.decode(encrypted, "ncryptsec")) == 91
    assert nip49.decrypt(encrypted, password) == secret.hex()
    assert nip49.key_security(encrypted) == security


@PARSERS
@given(key32, st.data())
def test_a_changed_ncryptsec_never_decrypts_to_another_key(secret: bytes, draw: st.DataObject) -> None:
    encrypted = nip49.encrypt(secret.hex(), "pw", log_n=2)
    raw = bytearray(nip19.decode(encrypted, "ncryptsec"))
    where = draw.draw(st.integers(2, 90))  # the version byte and log_n are covered above
    raw[where] ^= draw.draw(st.integers(1, 255))
    with pytest.raises((KeyFormatError, WrongPassword)):
        nip49.decrypt(bech32_of("ncryptsec", bytes(raw)), "pw")
