"""NIP-19 and NIP-49 against the published vectors, and every bad input."""

from __future__ import annotations

import pytest

from sovtui.identity import nip19, nip49
from sovtui.identity.errors import KeyFormatError, WrongPassword

NPUB = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
NPUB_HEX = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
NSEC = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
NSEC_HEX = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"
NPROFILE = (
    "nprofile1qqsrhuxx8l9ex335q7he0f09aej04zpazpl0ne2cgukyawd24mayt8gpp4mhxue69uhhytnc9e3k7mgpz4mhxue69uhkg6nzv9ejuumpv34kytnrdaksjlyr9p"
)
NCRYPTSEC = (
    "ncryptsec1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p"
)


def test_nip19_vectors_both_ways() -> None:
    assert nip19.npub_to_hex(NPUB) == NPUB_HEX and nip19.hex_to_npub(NPUB_HEX) == NPUB
    assert nip19.nsec_to_hex(NSEC) == NSEC_HEX and nip19.hex_to_nsec(NSEC_HEX) == NSEC
    assert nip19.hex_to_npub("3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d") == (
        "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"
    )


def test_nprofile_vector_and_round_trip() -> None:
    profile = nip19.decode_nprofile(NPROFILE)
    assert profile.pubkey == "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"
    assert profile.relays == ("wss://r.x.com", "wss://djbas.sadkb.com")
    assert nip19.encode_nprofile(profile.pubkey, profile.relays) == NPROFILE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (NPUB, "that is an npub (public key), not an nsec (secret key)"),
        (NSEC[:-1] + ("q" if NSEC[-1] != "q" else "p"), "checksum does not match"),
        (nip19.encode("nsec", bytes(31)), "an nsec holds 32 bytes, this one 31"),
        ("lnbc1xyz", "got text starting 'lnbc'"),
        ("not a key", "not bech32"),
        ("", "got nothing"),
    ],
)
def test_bad_nsec_inputs_are_named(text: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        nip19.nsec_to_hex(text)


def test_error_messages_never_echo_the_key() -> None:
    with pytest.raises(KeyFormatError) as info:
        nip19.npub_to_hex(NSEC)
    assert NSEC not in str(info.value) and NSEC[5:20] not in str(info.value)


def test_nip49_vector_decrypts() -> None:
    assert nip49.decrypt(NCRYPTSEC, "nostr") == "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683"


def test_nip49_wrong_password() -> None:
    with pytest.raises(WrongPassword, match="wrong password"):
        nip49.decrypt(NCRYPTSEC, "nostr!")


def test_nip49_password_is_nfkc_normalised() -> None:
    assert nip49.normalize("\u212b\u2126\u1e9b\u0323") == bytes([0xC3, 0x85, 0xCE, 0xA9, 0xE1, 0xB9, 0xA9])
    encrypted = nip49.encrypt(NSEC_HEX, "\u212b\u2126\u1e9b\u0323", log_n=4)
    assert nip49.decrypt(encrypted, "\u00c5\u03a9\u1e69") == NSEC_HEX


def test_nip49_round_trip_layout() -> None:
    encrypted = nip49.encrypt(NSEC_HEX, "pw", log_n=4, key_security=nip49.SECURE)
    data = nip19.decode(encrypted, "ncryptsec")
    assert len(data) == 91 and data[0] == 2 and data[1] == 4
    assert nip49.key_security(encrypted) == nip49.SECURE
    assert nip49.decrypt(encrypted, "pw") == NSEC_HEX


def test_default_strength_is_log_n_16() -> None:
    assert nip49.DEFAULT_LOG_N == 16


# --- issue 14: what the property tests found, pinned --------------------------------------------------


def test_a_short_ncryptsec_is_an_error_not_an_index_error() -> None:
    with pytest.raises(KeyFormatError, match="91 bytes"):
        nip49.key_security("ncryptsec106gcj8")


def test_an_ncryptsec_asking_for_log_n_0_is_damaged() -> None:
    raw = bytearray(nip19.decode(nip49.encrypt(NSEC_HEX, "pw", log_n=4), "ncryptsec"))
    raw[1] = 0
    with pytest.raises(KeyFormatError, match="log_n 0"):
        nip49.decrypt(nip19.encode("ncryptsec", bytes(raw)), "pw")


def test_a_password_that_is_not_unicode_is_refused_clearly() -> None:
    with pytest.raises(KeyFormatError, match="not valid Unicode"):
        nip49.encrypt(NSEC_HEX, "pw\ud800", log_n=4)
    with pytest.raises(KeyFormatError, match="not valid Unicode"):
        nip49.decrypt(NCRYPTSEC, "\udcff")


def test_the_start_of_a_mistyped_secret_is_not_repeated() -> None:
    pasted = "0x" + NSEC_HEX  # a "1" inside makes everything before it look like a bech32 prefix
    with pytest.raises(KeyFormatError) as info:
        nip19.nsec_to_hex(pasted)
    assert NSEC_HEX[:6] not in str(info.value)


def test_nip21_uris_long_text_and_notes() -> None:
    assert nip19.npub_to_hex("nostr:" + NPUB) == NPUB_HEX
    assert nip19.note_to_hex(nip19.hex_to_note(NPUB_HEX)) == NPUB_HEX
    with pytest.raises(KeyFormatError, match="5000"):
        nip19.npub_to_hex("npub1" + "q" * 6000)
    with pytest.raises(KeyFormatError, match="64 hex digits"):
        nip19.hex_to_npub("ab")
