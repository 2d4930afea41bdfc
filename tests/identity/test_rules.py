"""The identity rules the CLI, the Keys pane and the setup wizard share, at the service, without a screen.

Each rule here was written twice before (in ``sovtui keys`` and in a screen);
it now lives once in ``sovtui.identity`` or ``sovtui.setup`` with an error of
its own type.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sovtui.context import Context
from sovtui.identity import credentials
from sovtui.identity.access import Opening, change_passphrase, check_new_passphrase, keyring, open_or_create, opening
from sovtui.identity.credentials import CredentialBook
from sovtui.identity.errors import (
    AlreadyRevoked,
    BadValidity,
    KeyFormatError,
    LabelMismatch,
    MissingKeys,
    NotIssuedHere,
    Superseded,
)
from sovtui.identity.keys import KeyStore, needs_key_password
from sovtui.identity.vault import EmptyPassphrase, NoVault, PassphraseMismatch, Vault, WrongPassphrase
from sovtui.paths import Paths
from tests.identity.test_vault_trust import plant


def fast_vault(path: Path) -> Vault:
    return Vault(path, log_n=4)


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return fast_vault(tmp_path / "vault.json")


# --- choosing a passphrase ----------------------------------------------------------


def test_a_new_passphrase_is_never_empty_and_typed_twice_the_same() -> None:
    assert check_new_passphrase("words", "words") == "words"
    assert check_new_passphrase(None) is None  # unprotected, asked for as such
    with pytest.raises(EmptyPassphrase, match="protects nothing"):
        check_new_passphrase("", "")
    with pytest.raises(PassphraseMismatch, match="differ"):
        check_new_passphrase("words", "wrods")


def test_open_or_create_makes_the_vault_once_and_opens_the_one_there(vault: Vault, tmp_path: Path) -> None:
    with pytest.raises(EmptyPassphrase):
        open_or_create(vault, "")
    with pytest.raises(PassphraseMismatch):
        open_or_create(vault, "pw", again="wp")
    assert not vault.exists, "a refused passphrase creates nothing"
    assert open_or_create(vault, "pw", again="pw") is True
    assert vault.is_protected and vault.is_unlocked

    other = fast_vault(vault.path)  # another sovtui: the vault is there, its passphrase opens it
    with pytest.raises(WrongPassphrase):
        open_or_create(other, "not it")
    assert open_or_create(other, "pw", again="not checked: nothing is created") is False
    assert other.is_unlocked


def test_open_or_create_opens_a_vault_another_sovtui_made_a_moment_ago(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_vault(vault.path).create("pw")
    monkeypatch.setattr(Vault, "exists", property(lambda self: False))  # it looked missing, then create() met it
    assert open_or_create(vault, "pw") is False
    assert vault.is_unlocked


def test_opening_says_what_the_vault_needs(vault: Vault) -> None:
    assert opening(vault) is Opening.NO_VAULT
    vault.create("pw")
    assert opening(vault) is Opening.OPEN
    vault.lock()
    assert opening(vault) is Opening.PASSPHRASE
    vault.unlock("pw")
    fast_vault(vault.path).change_passphrase("pw", "new words")  # another sovtui re-keys it
    assert opening(vault) is Opening.PASSPHRASE_CHANGED
    assert not vault.is_unlocked, "a vault re-keyed elsewhere locks itself"
    unprotected = fast_vault(vault.path.with_name("plain.json"))
    unprotected.create(None)
    unprotected.lock()
    assert opening(unprotected) is Opening.UNPROTECTED


def test_changing_the_passphrase_checks_the_new_one(vault: Vault) -> None:
    with pytest.raises(NoVault):
        change_passphrase(vault, None, "words")
    vault.create("pw")
    before = vault.path.read_bytes()
    with pytest.raises(EmptyPassphrase):
        change_passphrase(vault, "pw", "")
    with pytest.raises(PassphraseMismatch):
        change_passphrase(vault, "pw", "words", again="wrods")
    assert vault.path.read_bytes() == before
    change_passphrase(vault, "pw", None)  # plain text, chosen as such
    assert not vault.is_protected


# --- what a screen shows --------------------------------------------------------------


def test_the_keyring_is_read_as_the_file_is_now(vault: Vault) -> None:
    assert keyring(vault) == keyring(vault).__class__(exists=False, protected=False, unlocked=False)
    vault.create("pw")
    KeyStore(vault).generate("me", "owner")
    shown = keyring(vault)
    assert (shown.exists, shown.protected, shown.unlocked, [k.label for k in shown.keys]) == (True, True, True, ["me"])
    KeyStore(_opened(vault.path)).generate("made-elsewhere", "agent")
    assert [k.label for k in keyring(vault).keys] == ["made-elsewhere", "me"]
    fast_vault(vault.path).change_passphrase("pw", "new words")
    changed = keyring(vault)
    assert (changed.unlocked, changed.keys) == (False, [])
    assert "changed by another sovtui" in changed.notice


def _opened(path: Path) -> Vault:
    other = fast_vault(path)
    other.unlock("pw")
    return other


# --- keys ---------------------------------------------------------------------------------


def test_an_ncryptsec_needs_its_own_password() -> None:
    assert needs_key_password("  NCRYPTSEC1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p")
    assert not needs_key_password("nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5")


def test_a_key_is_deleted_only_with_its_label_typed_again(vault: Vault) -> None:
    vault.create("pw")
    store = KeyStore(vault)
    store.generate("me", "owner")
    with pytest.raises(LabelMismatch, match="does not match"):
        store.delete("me", confirm="m")
    assert [k.label for k in store.list()] == ["me"]
    store.delete("me", confirm="me")
    assert store.list() == []


def test_an_entry_the_vault_refuses_can_still_be_deleted_by_its_label(vault: Vault) -> None:
    vault.create("pw")
    plant(vault.path)  # plain text in a protected vault: every read refuses the vault
    store = KeyStore(vault)
    assert store.deletable("evil") is None
    store.delete("evil", confirm="evil")
    assert store.list() == []


# --- credentials -----------------------------------------------------------------------


@pytest.fixture
def keys(vault: Vault) -> KeyStore:
    vault.create("pw")
    store = KeyStore(vault)
    store.generate("me", "owner")
    return store


def test_a_credential_needs_an_owner_key_and_an_agent_key(keys: KeyStore) -> None:
    with pytest.raises(MissingKeys, match="needs an owner key and an agent key") as caught:
        credentials.signers(keys)
    assert caught.value.missing == "agent"
    keys.generate("bot", "agent")
    owners, agents = credentials.signers(keys)
    assert ([k.label for k in owners], [k.label for k in agents]) == (["me"], ["bot"])


@pytest.mark.parametrize("text", ["", "0", "-3", "1.5", "thirty", "３０"])
def test_the_validity_is_a_whole_number_of_days(text: str) -> None:
    with pytest.raises(BadValidity):
        credentials.parse_days(text)


def test_the_validity_as_typed() -> None:
    assert credentials.parse_days(" 30 ") == 30


def test_a_limit_no_credential_could_hold_is_refused_before_signing(keys: KeyStore) -> None:
    keys.generate("bot", "agent")
    with pytest.raises(KeyFormatError, match="more sats than there will ever be"):
        credentials.issue(keys, "me", "bot", credentials.MAX_SATS + 1, "day")


def test_the_book_issues_and_keeps(keys: KeyStore, tmp_path: Path) -> None:
    keys.generate("bot", "agent")
    book = CredentialBook(tmp_path / "credentials")
    event = book.issue(keys, "me", "bot", 1_000, "day", expires_days=3)
    assert [c.id for c in book.live()] == [event["id"]]


def test_revoking_is_refused_when_void_and_finds_the_issuer(keys: KeyStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys.generate("bot", "agent")
    book = CredentialBook(tmp_path / "credentials")
    old = credentials.parse(book.issue(keys, "me", "bot", 1_000, "day"))
    issued = time.time()
    with monkeypatch.context() as later:
        later.setattr(time, "time", lambda: issued + 1.01)  # a newer version a second later: a later created_at
        new = credentials.parse(book.issue(keys, "me", "bot", 2_000, "day"))
    assert new.created_at > old.created_at
    with pytest.raises(Superseded, match="revoke the newer one"):
        book.check_revocable(old)
    book.revoke(keys, new)  # the owner key is found in the vault
    assert book.state_of(new) == "revoked"
    with pytest.raises(AlreadyRevoked):
        book.revoke(keys, new)


def test_only_a_key_in_this_vault_that_issued_it_can_revoke(keys: KeyStore, tmp_path: Path) -> None:
    keys.generate("bot", "agent")
    credential = credentials.parse(credentials.issue(keys, "me", "bot", 1_000, "day"))
    elsewhere = fast_vault(tmp_path / "elsewhere.json")
    elsewhere.create("pw")
    with pytest.raises(NotIssuedHere, match="only its owner can revoke it"):
        CredentialBook(tmp_path / "credentials").revoke(KeyStore(elsewhere), credential)


def test_a_revocation_handed_over_counts(keys: KeyStore, tmp_path: Path) -> None:
    keys.generate("bot", "agent")
    credential = credentials.parse(credentials.issue(keys, "me", "bot", 1_000, "day"))
    revocation = json.dumps(credentials.revoke(keys, "me", credential))
    book = CredentialBook(tmp_path / "credentials")
    assert book.state_of(credential) == "live"
    assert book.state_of(credential, revocation=revocation) == "revoked"


# --- the setup wizard's services ----------------------------------------------------------


@pytest.fixture
def fast_ctx(ctx: Context, xdg: Paths) -> Context:
    xdg.ensure()
    ctx.__dict__["vault"] = fast_vault(xdg.config_dir / "vault.json")
    return ctx


def test_the_owner_key_needs_a_real_passphrase_for_a_new_vault(fast_ctx: Context) -> None:
    from sovtui.setup import create_owner_key

    with pytest.raises(EmptyPassphrase):
        create_owner_key(fast_ctx, "me", "")
    with pytest.raises(PassphraseMismatch):
        create_owner_key(fast_ctx, "me", "pw", again="wp")
    assert not fast_ctx.vault.exists
    info = create_owner_key(fast_ctx, "me", "pw", again="pw")
    assert info.role == "owner" and fast_ctx.vault.is_protected


def test_an_agent_is_signed_by_the_owner_key_and_a_refused_limit_leaves_no_key(fast_ctx: Context) -> None:
    from sovtui.setup import create_agent, create_owner_key

    fast_ctx.vault.create("pw")
    with pytest.raises(MissingKeys, match="owner"):
        create_agent(fast_ctx, "agent", 1_000, "day")
    create_owner_key(fast_ctx, "me", "pw")
    with pytest.raises(KeyFormatError, match="positive number of sats"):
        create_agent(fast_ctx, "agent", 0, "day")
    assert fast_ctx.vault.roles() == ["owner"], "no agent key is made for a credential that is refused"
    made = create_agent(fast_ctx, "agent", 1_000, "day")
    assert (made.label, made.owner) == ("agent", "me")
    assert [c.id for c in CredentialBook(fast_ctx.paths.data_dir / "credentials").live()] == [made.credential["id"]]
