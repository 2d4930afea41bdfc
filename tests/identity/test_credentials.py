"""Agent credentials: issued by an owner key, verifiable by anyone, revocable."""

from __future__ import annotations

import json
import time
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


@pytest.mark.usefixtures("cheap_scrypt")
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


# --- issue 14, finding 2: a credential is checked field by field, revocations by id and by address ---------


def _signed(store: KeyStore, label: str, kind: int, tags: list[list[str]], *, created_at: int, content: str = "") -> dict:
    """An event signed by ``label`` at a chosen time (the store signs at 'now')."""
    from sovtui.nostr.events import sign_event

    return sign_event(store.vault.secret_key(label), kind, content, tags, created_at=created_at)


def _credential(store: KeyStore, *, created_at: int, limit: int = 10_000, agent: str | None = None, owner: str = "me") -> dict:
    agent = agent or store.get("bot").pubkey
    tags = [
        ["d", credentials.D_PREFIX + agent],
        ["p", agent],
        ["limit", str(limit), "sat", "day"],
        ["expiration", str(created_at + 30 * 86400)],
        ["t", "sovtui-credential"],
    ]
    return _signed(store, owner, credentials.KIND, tags, created_at=created_at, content="a credential")


def _a_revocation(store: KeyStore, credential: dict, *, created_at: int, owner: str = "me") -> dict:
    """A NIP-09 deletion naming the credential only by its address (kind:pubkey:d), as other clients may."""
    d = next(t[1] for t in credential["tags"] if t[0] == "d")
    address = f"{credentials.KIND}:{credential['pubkey']}:{d}"
    return _signed(store, owner, credentials.REVOCATION_KIND, [["a", address], ["k", str(credentials.KIND)]], created_at=created_at)


@pytest.mark.parametrize("blank", ["", None, 0, False, []])
def test_a_blanked_id_does_not_escape_its_revocation(store: KeyStore, tmp_path: Path, blank: object) -> None:
    book = credentials.CredentialBook(tmp_path / "credentials")
    event = credentials.issue(store, "me", "bot", 10_000, "day")
    book.keep(event)
    book.keep(credentials.revoke(store, "me", credentials.parse(event)))
    with pytest.raises(KeyFormatError, match="id"):
        credential = credentials.parse(dict(event, id=blank))
        assert book.state_of(credential) == "revoked", "the revocation is found by the recomputed id"


def test_a_missing_id_is_an_error(store: KeyStore) -> None:
    event = credentials.issue(store, "me", "bot", 10_000, "day")
    del event["id"]
    with pytest.raises(KeyFormatError, match="id"):
        credentials.parse(event)


def test_a_tampered_id_is_refused(store: KeyStore) -> None:
    event = credentials.issue(store, "me", "bot", 10_000, "day")
    other = credentials.issue(store, "me", "bot", 20_000, "day")
    for tampered in (other["id"], event["id"].upper(), event["id"][:-1] + ("0" if event["id"][-1] != "0" else "1")):
        with pytest.raises(KeyFormatError, match="id"):
            credentials.parse(dict(event, id=tampered))


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("sig", str.upper),  # the right signature in capitals: not the lowercase hex NIP-01 asks for
        ("sig", lambda s: s + "00"),
        ("sig", lambda s: s[:-2]),
        ("sig", lambda s: " " + s),
        ("id", lambda s: s + "0"),
        ("id", lambda s: s[:-1]),
        ("pubkey", str.upper),
        ("pubkey", lambda s: s[:-2]),
        ("pubkey", lambda s: "0x" + s),
    ],
)
def test_id_pubkey_and_sig_must_be_lowercase_hex_of_their_length(store: KeyStore, field: str, change) -> None:  # type: ignore[no-untyped-def]
    event = credentials.issue(store, "me", "bot", 10_000, "day")
    with pytest.raises(KeyFormatError):
        credentials.parse(dict(event, **{field: change(event[field])}))


@pytest.mark.parametrize("agent", ["ab" * 31, "AB" * 32, "ab" * 33, "g" * 64, "npub1xyz"])
def test_a_signed_credential_with_a_malformed_p_tag_is_refused(store: KeyStore, agent: str) -> None:
    event = _credential(store, created_at=1_900_000_000 - 86400, agent=agent)
    with pytest.raises(KeyFormatError, match="agent"):
        credentials.parse(event)


def test_a_second_p_tag_is_refused(store: KeyStore) -> None:
    event = _credential(store, created_at=int(time.time()))
    tags = event["tags"] + [["p", store.get("other").pubkey]]
    event = _signed(store, "me", credentials.KIND, tags, created_at=event["created_at"])
    with pytest.raises(KeyFormatError, match="agent"):
        credentials.parse(event)


def test_a_revocation_by_address_counts(store: KeyStore, tmp_path: Path) -> None:
    now = int(time.time())
    event = _credential(store, created_at=now - 100)
    credential = credentials.parse(event)
    revocation = _a_revocation(store, event, created_at=now)
    assert credentials.revokes(revocation, credential)
    book = credentials.CredentialBook(tmp_path / "credentials")
    book.keep(event)
    book.keep(revocation)
    assert book.state_of(credential) == "revoked"
    assert [state for _, state in book.all()] == ["revoked"]


def test_a_revocation_by_address_reaches_only_versions_up_to_its_time(store: KeyStore) -> None:
    now = int(time.time())
    revocation = _a_revocation(store, _credential(store, created_at=now - 100), created_at=now - 50)
    assert credentials.revokes(revocation, credentials.parse(_credential(store, created_at=now - 50))), "up to, inclusive"
    assert not credentials.revokes(revocation, credentials.parse(_credential(store, created_at=now - 10)))


def test_a_revocation_by_someone_else_or_for_another_address_does_not_count(store: KeyStore) -> None:
    now = int(time.time())
    event = _credential(store, created_at=now - 100)
    credential = credentials.parse(event)
    assert not credentials.revokes(_a_revocation(store, event, created_at=now, owner="other"), credential)
    for_other_agent = _credential(store, created_at=now - 100, agent=store.get("other").pubkey)
    assert not credentials.revokes(_a_revocation(store, for_other_agent, created_at=now), credential)
    not_a_deletion = dict(_a_revocation(store, event, created_at=now))
    not_a_deletion = _signed(store, "me", 1, not_a_deletion["tags"], created_at=now)
    assert not credentials.revokes(not_a_deletion, credential)


def test_an_older_version_of_the_same_d_is_replaced(store: KeyStore, tmp_path: Path) -> None:
    now = int(time.time())
    old, new = _credential(store, created_at=now - 100, limit=50_000), _credential(store, created_at=now - 10, limit=1_000)
    book = credentials.CredentialBook(tmp_path / "credentials")
    book.keep(old)
    book.keep(new)
    assert book.state_of(credentials.parse(old)) == "replaced"
    assert book.state_of(credentials.parse(new)) == "live"
    assert [(c.limit_sats, state) for c, state in book.all()] == [(1_000, "live"), (50_000, "replaced")]
    assert [c.limit_sats for c in book.live()] == [1_000]
    # Another owner's credential for the same agent is another address: it is not replaced.
    theirs = _credential(store, created_at=now, owner="other")
    book.keep(theirs)
    assert book.state_of(credentials.parse(new)) == "live"


def test_same_second_versions_keep_the_lowest_id(store: KeyStore, tmp_path: Path) -> None:
    now = int(time.time())
    one, two = _credential(store, created_at=now, limit=1), _credential(store, created_at=now, limit=2)
    book = credentials.CredentialBook(tmp_path / "credentials")
    book.keep(one)
    book.keep(two)
    kept, dropped = sorted((one, two), key=lambda e: e["id"])
    assert book.state_of(credentials.parse(kept)) == "live"
    assert book.state_of(credentials.parse(dropped)) == "replaced"


MALFORMED = [
    "",
    "not json",
    "[1, 2",
    "[]",
    '["EVENT", {}]',
    "null",
    "42",
    '"a string"',
    "{}",
    '{"id": "x"}',
    "[" * 100_000 + "]" * 100_000,
    '{"content": "\\ud800", "kind": 30078}',
    '{"created_at": 1' + "0" * 5000 + "}",
    '{"created_at": 1e999}',
    '{"created_at": NaN}',
]


def _mutations(event: dict) -> list[object]:
    return [
        {**event, "tags": "d"},
        {**event, "tags": [["d"], 5]},
        {**event, "tags": [[1, 2]]},
        {**event, "tags": None},
        {**event, "kind": "30078"},
        {**event, "kind": 30078.0},
        {**event, "kind": True},
        {**event, "kind": 10**40},
        {**event, "created_at": -1},
        {**event, "created_at": 10**40},
        {**event, "created_at": "1"},
        {**event, "content": None},
        {**event, "content": "\ud800"},
        {**event, "tags": event["tags"] + [["x", "\udfff"]]},
        {**event, "pubkey": None},
        {**event, "sig": 5},
        {k: v for k, v in event.items() if k != "sig"},
        {k: v for k, v in event.items() if k != "tags"},
        {k: v for k, v in event.items() if k != "pubkey"},
        [event],
    ]


@pytest.mark.parametrize("text", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_text_is_a_clear_error(text: str) -> None:
    with pytest.raises(KeyFormatError) as info:
        credentials.parse(text)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_malformed_events_are_a_clear_error(store: KeyStore) -> None:
    event = credentials.issue(store, "me", "bot", 10_000, "day")
    for mutated in _mutations(event):
        with pytest.raises(KeyFormatError) as info:
            credentials.parse(mutated)  # type: ignore[arg-type]
        assert "\n" not in str(info.value)


def test_revokes_never_raises_on_a_malformed_revocation(store: KeyStore) -> None:
    credential = credentials.parse(credentials.issue(store, "me", "bot", 10_000, "day"))
    revocation = credentials.revoke(store, "me", credential)
    for mutated in [*_mutations(revocation), None, 5, "x", {**revocation, "tags": [["a", 5]]}]:
        assert credentials.revokes(mutated, credential) is False  # type: ignore[arg-type]


def test_the_book_skips_what_it_cannot_read(store: KeyStore, tmp_path: Path) -> None:
    folder = tmp_path / "credentials"
    folder.mkdir()
    (folder / "a.json").write_text("[1, 2]")
    (folder / "b.json").write_text("[" * 100_000)
    (folder / "c.json").write_text('{"kind": 30078}')
    (folder / "d.json").write_text('{"kind": 5, "tags": 7}')
    (folder / "e.json").write_bytes(b"\xff\xfe")
    book = credentials.CredentialBook(folder)
    live = credentials.issue(store, "me", "bot", 100, "day")
    book.keep(live)
    assert [c.id for c in book.live()] == [live["id"]]
    assert book.state_of(credentials.parse(live)) == "live"


def _cli_in_process(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    from sovtui.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("text", [*MALFORMED[:12], '{"id": "' + "0" * 64 + '", "kind": 30078}'], ids=range(13))
def test_cli_verify_says_what_is_wrong_in_one_line(capsys, tmp_path: Path, text: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cred.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    code, out, err = _cli_in_process(capsys, "keys", "credential", "verify", str(path))
    assert code == 2 and out == ""
    assert err.startswith("sovtui: ") and err.count("\n") == 1 and "Traceback" not in err


def test_cli_verify_a_malformed_revocation_file(capsys, store: KeyStore, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, rev = tmp_path / "cred.json", tmp_path / "rev.json"
    path.write_text(json.dumps(credentials.issue(store, "me", "bot", 10_000, "day")))
    rev.write_text("{not json")
    code, _, err = _cli_in_process(capsys, "keys", "credential", "verify", str(path), "--revocation", str(rev))
    assert code == 2 and err.startswith("sovtui: ") and err.count("\n") == 1


def test_cli_verify_a_replaced_or_address_revoked_credential(capsys, store: KeyStore, xdg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    now = int(time.time())
    old, new = _credential(store, created_at=now - 100, limit=50_000), _credential(store, created_at=now - 10, limit=1_000)
    book = credentials.CredentialBook(xdg.data_dir / "credentials")
    book.keep(old)
    book.keep(new)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    code, out, _ = _cli_in_process(capsys, "keys", "credential", "verify", str(path))
    assert code == 1 and out.startswith("REPLACED")
    path.write_text(json.dumps(new))
    rev = tmp_path / "rev.json"
    rev.write_text(json.dumps(_a_revocation(store, new, created_at=now)))
    code, out, _ = _cli_in_process(capsys, "keys", "credential", "verify", str(path), "--revocation", str(rev))
    assert code == 1 and out.startswith("REVOKED")


def test_cli_verify_malformed_in_a_real_process(tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import run_cli

    path = tmp_path / "cred.json"
    path.write_text('{"id": "", "kind": 30078, "tags": [["d"]], ')
    result = run_cli("keys", "credential", "verify", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("sovtui: ") and result.stderr.count("\n") == 1
