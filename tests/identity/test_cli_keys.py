"""``sovtui keys`` as a user runs it.

The first two tests run with the real scrypt cost (log_n 16), end to end:
a vault made, keys added, exported and read back, the NIP-49 vector opened.
The rest test what the commands say and do, not the cost, and use a small
one (``cheap_scrypt``): 0.25 s a derivation, four or five a test, is most of
their time.
"""

from __future__ import annotations

import json

import pytest

from sovtui.paths import Paths

NSEC = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
NSEC_HEX = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"
NPUB = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
NCRYPTSEC = (
    "ncryptsec1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p"
)
PASS = {"SOVTUI_PASSPHRASE": "a long vault passphrase"}


def last_line(result) -> str:  # type: ignore[no-untyped-def]
    return result.stderr.strip().splitlines()[-1]


def test_new_import_list_export_and_nothing_secret_on_disk(cli, xdg: Paths) -> None:
    made = cli("keys", "new", "--label", "me", env=PASS)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("me (owner): npub1")
    imported = cli("keys", "import", "--label", "bot", "--role", "agent", input=NSEC + "\n", env=PASS)
    assert imported.stdout.strip() == f"bot (agent): {NPUB}"
    listed = json.loads(cli("keys", "list", "--json", env=PASS).stdout)
    assert [(k["label"], k["role"]) for k in listed] == [("bot", "agent"), ("me", "owner")]
    assert cli("keys", "export", "bot", "--npub", env=PASS).stdout.strip() == NPUB
    assert cli("keys", "export", "bot", "--nsec", env=PASS).stdout.strip() == NSEC
    vault = (xdg.config_dir / "vault.json").read_text()
    assert NSEC not in vault and NSEC_HEX not in vault and PASS["SOVTUI_PASSPHRASE"] not in vault
    assert oct((xdg.config_dir / "vault.json").stat().st_mode & 0o777) == "0o600"


def test_import_the_nip49_vector(cli) -> None:
    result = cli("keys", "import", "--label", "vec", input=NCRYPTSEC, env={**PASS, "SOVTUI_KEY_PASSWORD": "nostr"})
    assert result.returncode == 0, result.stderr
    exported = cli("keys", "export", "vec", "--nsec", env=PASS).stdout.strip()
    from sovtui.identity import nip19

    assert nip19.nsec_to_hex(exported) == "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683"


@pytest.mark.usefixtures("cheap_scrypt")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (NPUB, "that is an npub (public key), not a secret key"),
        (NSEC[:-2] + "qq", "checksum does not match"),
        ("abcd", "a hex secret key has 64 digits, this one 4"),
        ("", "no key on stdin"),
    ],
)
def test_bad_imports_are_one_line_and_change_nothing(cli, xdg: Paths, text: str, message: str) -> None:
    result = cli("keys", "import", "--label", "x", input=text, env=PASS)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert message in last_line(result)
    assert not (xdg.config_dir / "vault.json").exists()


@pytest.mark.usefixtures("cheap_scrypt")
def test_wrong_passphrase(cli) -> None:
    cli("keys", "new", "--label", "me", env=PASS)
    result = cli("keys", "list", env={"SOVTUI_PASSPHRASE": "nope"})
    assert result.returncode == 2 and last_line(result) == "sovtui: wrong passphrase"


@pytest.mark.usefixtures("cheap_scrypt")
def test_no_passphrase_available_is_explained(cli) -> None:
    result = cli("keys", "new", "--label", "me")
    assert result.returncode == 2
    assert "set SOVTUI_PASSPHRASE or use --passphrase-file" in last_line(result)


@pytest.mark.usefixtures("cheap_scrypt")
def test_rm_needs_the_label_typed(cli) -> None:
    cli("keys", "new", "--label", "me", env=PASS)
    assert "add --confirm me" in last_line(cli("keys", "rm", "me", env=PASS))
    assert "does not match" in last_line(cli("keys", "rm", "me", "--confirm", "you", env=PASS))
    assert cli("keys", "rm", "me", "--confirm", "me", env=PASS).returncode == 0
    assert json.loads(cli("keys", "list", "--json", env=PASS).stdout) == []


@pytest.mark.usefixtures("cheap_scrypt")
def test_sign_and_verify(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cli("keys", "import", "--label", "me", input=NSEC, env=PASS)
    signed = cli("keys", "sign", "me", "I", "own", "this", env=PASS)
    event = json.loads(signed.stdout)
    assert event["content"] == "I own this" and event["kind"] == 1
    assert cli("keys", "verify", input=signed.stdout).stdout.strip() == NPUB
    event["content"] = "I own that"
    tampered = tmp_path / "event.json"
    tampered.write_text(json.dumps(event))
    result = cli("keys", "verify", str(tampered))
    assert result.returncode != 0 and "changed after signing" in last_line(result)


@pytest.mark.usefixtures("cheap_scrypt")
def test_passwd_re_encrypts(cli) -> None:
    cli("keys", "new", "--label", "me", env=PASS)
    changed = cli("keys", "passwd", env={**PASS, "SOVTUI_NEW_PASSPHRASE": "another one"})
    assert changed.returncode == 0, changed.stderr
    assert cli("keys", "list", env=PASS).returncode == 2
    assert cli("keys", "list", env={"SOVTUI_PASSPHRASE": "another one"}).returncode == 0


@pytest.mark.usefixtures("cheap_scrypt")
def test_unprotected_vault_must_be_asked_for(cli, xdg: Paths) -> None:
    refused = cli("keys", "new", "--label", "me", env={"SOVTUI_PASSPHRASE": ""})
    assert "an empty passphrase protects nothing" in last_line(refused)
    made = cli("keys", "new", "--label", "me", "--unprotected")
    assert made.returncode == 0 and "UNPROTECTED" in made.stderr


@pytest.mark.usefixtures("cheap_scrypt")
@pytest.mark.parametrize("blank", ["", None, "0" * 64])
def test_verify_refuses_a_blanked_or_missing_id(cli, tmp_path, blank) -> None:  # type: ignore[no-untyped-def]
    """A blank id was skipped, not checked: a changed event with its id blanked verified."""
    cli("keys", "import", "--label", "me", input=NSEC, env=PASS)
    event = json.loads(cli("keys", "sign", "me", "I", "own", "this", env=PASS).stdout)
    event["content"] = "I own that"
    if blank is None:
        del event["id"]
    else:
        event["id"] = blank
    tampered = tmp_path / "event.json"
    tampered.write_text(json.dumps(event))
    result = cli("keys", "verify", str(tampered))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert last_line(result).endswith(("no id", "64 lowercase hex digits", "changed after signing"))


@pytest.mark.usefixtures("cheap_scrypt")
def test_verify_of_an_event_with_a_lone_surrogate_is_an_error_not_a_traceback(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    event = {"id": "a" * 64, "pubkey": "b" * 64, "created_at": 1, "kind": 1, "tags": [], "content": "\\ud800", "sig": "c" * 128}
    hostile = tmp_path / "event.json"
    hostile.write_text(json.dumps(event).replace("\\\\ud800", "\\ud800"))
    result = cli("keys", "verify", str(hostile))
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
