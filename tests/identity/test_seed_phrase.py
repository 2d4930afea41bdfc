"""NIP-06 seed phrases: the published vectors, BIP-32's own vector, and what a user mistypes."""

from __future__ import annotations

import pytest

from sovtui.identity import nip19
from sovtui.identity.errors import KeyFormatError
from sovtui.identity.keys import parse_secret, public_key_of
from sovtui.identity.seed_phrase import derive_private_key, secret_from_seed_phrase

# ../shared/reference/nip-06.md, "Test vectors".
NIP06_VECTORS = [
    (
        "leader monkey parrot ring guide accident before fence cannon height naive bean",
        "7f7ff03d123792d6ac594bfa67bf6d0c0ab55b6b1fdb6249303fe861f1ccba9a",
        "nsec10allq0gjx7fddtzef0ax00mdps9t2kmtrldkyjfs8l5xruwvh2dq0lhhkp",
        "17162c921dc4d2518f9a101db33695df1afb56ab82f5ff3e5da6eec3ca5cd917",
        "npub1zutzeysacnf9rru6zqwmxd54mud0k44tst6l70ja5mhv8jjumytsd2x7nu",
    ),
    (
        "what bleak badge arrange retreat wolf trade produce cricket blur garlic valid proud rude strong choose busy staff weather area salt hollow arm fade",
        "c15d739894c81a2fcfd3a2df85a0d2c0dbc47a280d092799f144d73d7ae78add",
        "nsec1c9wh8xy5eqdzln7n5t0ctgxjcrdug73gp5yj0x03gntn67h83twssdfhel",
        "d41b22899549e1f3d335a31002cfd382174006e166d3e658e3a5eecdb6463573",
        "npub16sdj9zv4f8sl85e45vgq9n7nsgt5qphpvmf7vk8r5hhvmdjxx4es8rq74h",
    ),
]


@pytest.mark.parametrize(("phrase", "secret", "nsec", "pubkey", "npub"), NIP06_VECTORS)
def test_the_nip06_vectors(phrase: str, secret: str, nsec: str, pubkey: str, npub: str) -> None:
    assert secret_from_seed_phrase(phrase) == secret
    assert nip19.hex_to_nsec(secret) == nsec
    assert public_key_of(secret) == pubkey
    assert nip19.hex_to_npub(pubkey) == npub
    # parse_secret recognises a phrase among the other formats, spacing and case aside.
    assert parse_secret("  " + phrase.upper().replace(" ", "\n ") + "\n") == secret


def test_bip32_test_vector_1() -> None:
    """BIP-32's first published vector, chain m/0'/1/2'/2/1000000000: hardened and normal steps."""
    seed = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    path = [0x80000000, 1, 0x80000002, 2, 1000000000]
    assert derive_private_key(seed, path).hex() == "471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8"
    assert derive_private_key(seed, []).hex() == "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35"


def test_another_account_is_another_key() -> None:
    phrase = NIP06_VECTORS[0][0]
    assert secret_from_seed_phrase(phrase, account=1) not in (secret_from_seed_phrase(phrase), NIP06_VECTORS[0][1])


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("leader monkey parrot ring guide accident before fence cannon height naive", "12, 15, 18, 21 or 24 words, this one 11"),
        ("leader monkey parrot ring guide accident before fence cannon height naive baen", "1 of these words is not in the BIP-39 English word list"),
        ("monkey leader parrot ring guide accident before fence cannon height naive bean", "checksum does not match"),
    ],
)
def test_a_mistyped_phrase_is_named_not_echoed(phrase: str, message: str) -> None:
    with pytest.raises(KeyFormatError) as caught:
        parse_secret(phrase)
    assert message in str(caught.value)
    assert "monkey" not in str(caught.value)


@pytest.mark.usefixtures("cheap_scrypt")
def test_import_a_seed_phrase_from_the_cli(cli) -> None:
    env = {"SOVTUI_PASSPHRASE": "a long vault passphrase"}
    phrase, _, _, _, npub = NIP06_VECTORS[1]
    result = cli("keys", "import", "--label", "seed", input=phrase + "\n", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"seed (owner): {npub}"
    second = cli("keys", "import", "--label", "seed1", "--account", "1", input=phrase + "\n", env=env)
    assert second.returncode == 0 and npub not in second.stdout
