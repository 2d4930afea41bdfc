"""The vault: encrypted at rest, a clear error for a wrong passphrase, nothing lost."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sovtui.identity import nip19
from sovtui.identity.vault import SecretNotFound, Vault, VaultLocked, WrongPassphrase

SECRET_HEX = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"
NSEC = nip19.hex_to_nsec(SECRET_HEX)
NWC = "nostr+walletconnect://b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4?relay=wss%3A%2F%2Frelay.example&secret=71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"

# Tests use a small scrypt cost; the default (16) is checked in test_nip19_nip49.
LOG_N = 4


def make(tmp_path: Path, passphrase: str | None = "correct horse") -> Vault:
    vault = Vault(tmp_path / "vault.json", log_n=LOG_N)
    vault.create(passphrase)
    vault.put_key("me", SECRET_HEX, role="owner", pubkey="7e7e")
    vault.put_secret("nwc:alby", NWC)
    return vault


def test_round_trip_after_reopening(tmp_path: Path) -> None:
    make(tmp_path)
    again = Vault(tmp_path / "vault.json", log_n=LOG_N)
    assert again.exists and again.is_protected and not again.is_unlocked
    with pytest.raises(VaultLocked):
        again.get_secret("nwc:alby")
    again.unlock("correct horse")
    assert again.get_secret("nwc:alby") == NWC
    assert again.secret_key("me") == SECRET_HEX
    assert again.keys() == {"me": {"role": "owner", "pubkey": "7e7e", "created": again.keys()["me"]["created"]}}


def test_nothing_secret_is_on_disk_with_a_passphrase(tmp_path: Path) -> None:
    vault = make(tmp_path)
    text = vault.path.read_text()
    for secret in (SECRET_HEX, NSEC, NWC, "71a8c14c1407c113601079c4302dab36", "correct horse"):
        assert secret not in text
    assert "ncryptsec1" in text
    assert stat.S_IMODE(os.stat(vault.path).st_mode) == 0o600


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    make(tmp_path)
    vault = Vault(tmp_path / "vault.json", log_n=LOG_N)
    with pytest.raises(WrongPassphrase, match="^wrong passphrase$"):
        vault.unlock("battery staple")
    assert not vault.is_unlocked


def test_lock_forgets_everything(tmp_path: Path) -> None:
    vault = make(tmp_path)
    assert vault.secret_key("me") == SECRET_HEX  # opened once, then kept while unlocked
    vault.lock()
    assert vault._opened == {} and vault._passphrase is None and vault._key is None
    with pytest.raises(VaultLocked):
        vault.secret_key("me")


def test_a_key_is_opened_once_per_unlock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ncryptsec costs a scrypt: signing twice must not pay it twice."""
    from sovtui.identity import nip49

    make(tmp_path)
    vault = Vault(tmp_path / "vault.json", log_n=LOG_N)
    vault.unlock("correct horse")
    calls: list[str] = []
    real = nip49.decrypt
    monkeypatch.setattr(nip49, "decrypt", lambda text, password: calls.append(text) or real(text, password))
    assert vault.secret_key("me") == vault.secret_key("me") == SECRET_HEX
    assert len(calls) == 1
    vault.lock()
    vault.unlock("correct horse")
    vault.secret_key("me")
    assert len(calls) == 2


def test_unprotected_mode_is_explicit_and_still_private(tmp_path: Path) -> None:
    vault = make(tmp_path, passphrase=None)
    assert not vault.is_protected
    reopened = Vault(tmp_path / "vault.json", log_n=LOG_N)
    reopened.unlock(None)
    assert reopened.get_secret("nwc:alby") == NWC
    assert stat.S_IMODE(os.stat(vault.path).st_mode) == 0o600


def test_change_passphrase_re_encrypts_everything(tmp_path: Path) -> None:
    vault = make(tmp_path)
    vault.change_passphrase("correct horse", "new words")
    reopened = Vault(tmp_path / "vault.json", log_n=LOG_N)
    with pytest.raises(WrongPassphrase):
        reopened.unlock("correct horse")
    reopened.unlock("new words")
    assert reopened.secret_key("me") == SECRET_HEX and reopened.get_secret("nwc:alby") == NWC


def test_a_crash_while_changing_the_passphrase_leaves_the_old_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault = make(tmp_path)
    before = vault.path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        vault.change_passphrase("correct horse", "new words")
    monkeypatch.undo()
    assert vault.path.read_bytes() == before
    reopened = Vault(tmp_path / "vault.json", log_n=LOG_N)
    reopened.unlock("correct horse")
    assert reopened.secret_key("me") == SECRET_HEX


def test_missing_names(tmp_path: Path) -> None:
    vault = make(tmp_path)
    with pytest.raises(SecretNotFound):
        vault.get_secret("nwc:other")
    vault.delete_secret("nwc:alby")
    assert vault.list_secrets() == []
