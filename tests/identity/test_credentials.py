"""Agent credentials: issued by an owner key, verifiable by anyone, revocable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sovtui.identity import credentials
from sovtui.identity.errors import KeyFormatError
from sovtui.identity.keys import KeyStore
from sovtui.identity.vault import Vault


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    vault = Vault(tmp_path / "vault.json", log_n=4)
    vault.create("pw")
    keys = KeyStore(vault)
    keys.generate("me", "owner")
    keys.generate("bot", "agent")
    keys.generate("other", "owner")
    return keys


def test_issue_and_verify(store: KeyStore) -> None:
    event = credentials.issue(store, "me", "bot", 10_000, "day", expires_days=7)
    credential = credentials.parse(json.dumps(event))
    assert (credential.owner, credential.agent) == (store.get("me").pubkey, store.get("bot").pubkey)
    assert (credential.limit_sats, credential.period, credential.expired) == (10_000, "day", False)
    assert "10,000 sats per day" in event["content"]


def test_a_changed_limit_fails_verification(store: KeyStore) -> None:
    event = credentials.issue(store, "me", "bot", 10_000, "day")
    event["tags"] = [["limit", "1000000", "sat", "day"] if t[0] == "limit" else t for t in event["tags"]]
    with pytest.raises(KeyFormatError, match="changed after signing"):
        credentials.parse(event)


def test_only_its_owner_can_revoke(store: KeyStore) -> None:
    credential = credentials.parse(credentials.issue(store, "me", "bot", 500, "week"))
    with pytest.raises(KeyFormatError, match="only its owner can revoke it"):
        credentials.revoke(store, "other", credential)
    revocation = credentials.revoke(store, "me", credential)
    assert credentials.revokes(revocation, credential)
    forged = dict(revocation, pubkey=store.get("other").pubkey)
    assert not credentials.revokes(forged, credential)


def test_roles_and_values_are_checked(store: KeyStore) -> None:
    with pytest.raises(KeyFormatError, match="issued by an owner key"):
        credentials.issue(store, "bot", "me", 1, "day")
    with pytest.raises(KeyFormatError, match="positive number of sats"):
        credentials.issue(store, "me", "bot", 0, "day")
    with pytest.raises(KeyFormatError, match="expected day, week or month"):
        credentials.issue(store, "me", "bot", 5, "year")


def test_the_book_counts_live_credentials(store: KeyStore, tmp_path: Path) -> None:
    book = credentials.CredentialBook(tmp_path / "credentials")
    live = credentials.issue(store, "me", "bot", 100, "day")
    book.keep(live)
    assert [c.id for c in book.live()] == [live["id"]]
    book.keep(credentials.revoke(store, "me", credentials.parse(live)))
    assert book.live() == []
    assert [(c.id, state) for c, state in book.all()] == [(live["id"], "revoked")]


def test_cli_issue_verify_revoke(cli, tmp_path: Path) -> None:
    env = {"SOVTUI_PASSPHRASE": "pw"}
    cli("keys", "new", "--label", "me", env=env)
    cli("keys", "new", "--label", "bot", "--role", "agent", env=env)
    issued = cli("keys", "credential", "issue", "--owner", "me", "--agent", "bot", "--limit", "10000", "--period", "day", env=env)
    assert issued.returncode == 0, issued.stderr
    path = tmp_path / "cred.json"
    path.write_text(issued.stdout)
    report = json.loads(cli("keys", "credential", "verify", str(path), "--json").stdout)
    assert report["valid"] and report["limit_sats"] == 10_000 and report["agent"].startswith("npub1")
    revoked = cli("keys", "credential", "revoke", str(path), "--owner", "me", env=env)
    rev = tmp_path / "rev.json"
    rev.write_text(revoked.stdout)
    result = cli("keys", "credential", "verify", str(path), "--revocation", str(rev))
    assert result.returncode == 1 and result.stdout.startswith("REVOKED")
    # A revocation kept on this machine counts without being handed over, as in the Keys pane.
    result = cli("keys", "credential", "verify", str(path))
    assert result.returncode == 1 and result.stdout.startswith("REVOKED")
    assert json.loads(cli("keys", "credential", "verify", str(path), "--json").stdout)["revoked"] is True
    listed = json.loads(cli("keys", "credential", "list", "--json").stdout)
    assert [(c["id"], c["state"], c["limit_sats"]) for c in listed] == [(report["id"], "revoked", 10_000)]
    assert cli("keys", "credential", "list").stdout.startswith("revoked  " + report["id"][:12])
