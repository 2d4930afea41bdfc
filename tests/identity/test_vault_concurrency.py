"""Several sovtui processes share one vault: no change is lost, none is undone.

Real ``sovtui`` processes run against the same XDG folders, the way a TUI in
one SSH session, a CLI in another and an agent service share them. A
long-lived ``Vault`` object stands in for the TUI: it was unlocked before the
other processes changed the file, and must neither undo their changes nor
keep working under a passphrase that is no longer the vault's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sovtui.files import locked
from sovtui.identity.vault import Vault, VaultChanged, VaultError, VaultExists, VaultLocked, WrongPassphrase
from sovtui.paths import Paths
from tests.conftest import ROOT

PASSPHRASE = "a long vault passphrase"
PASS = {"SOVTUI_PASSPHRASE": PASSPHRASE}
NWC = "nostr+walletconnect://b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4?relay=wss%3A%2F%2Frelay.example&secret=71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"
AT_ONCE = 6
AGENT_HEX = "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683"
AGENT_PUB = "672a31bfc59d3f04548ec9b7daeeba2f61814e8ccc40448045007f5479f693a3"


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    from tests.egress import egress_env

    env = dict(os.environ)
    env.update(egress_env())
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env.get("PYTHONPATH", "")))
    env.update(extra or {})
    return env


def start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m sovtui ARGS`` started, not waited for: several run at once."""
    return subprocess.Popen(
        [sys.executable, "-m", "sovtui", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(env)
    )


def start_python(code: str) -> subprocess.Popen[str]:
    """Another process using the vault module directly (as the wallet service does)."""
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def all_succeed(procs: list[subprocess.Popen[str]]) -> None:
    results = [finish(p) for p in procs]
    failed = [(rc, err.strip()) for rc, _, err in results if rc != 0]
    assert not failed, failed


def vault_path(xdg: Paths) -> Path:
    return xdg.config_dir / "vault.json"


def stale_vault(xdg: Paths, passphrase: str | None = PASSPHRASE) -> Vault:
    """A vault created and unlocked in this process, as a TUI left open holds it."""
    vault = Vault(vault_path(xdg), log_n=4)
    vault.create(passphrase)
    vault.put_key("tui", "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa", role="owner",
                  pubkey="7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e")
    return vault


def labels_on_disk(xdg: Paths, passphrase: str | None = PASSPHRASE) -> list[str]:
    fresh = Vault(vault_path(xdg))
    fresh.unlock(passphrase)
    return sorted(fresh.keys())


def test_six_keys_new_at_once_keep_six_keys(xdg: Paths) -> None:
    stale_vault(xdg)
    procs = [start_cli("keys", "new", "--label", f"k{i}", env=PASS) for i in range(AT_ONCE)]
    all_succeed(procs)
    assert labels_on_disk(xdg) == sorted(["tui", *(f"k{i}" for i in range(AT_ONCE))])


def test_six_keys_new_at_once_on_no_vault_make_one_vault_with_six_keys(xdg: Paths) -> None:
    """Creating races creating: one creates, the others open what it made."""
    procs = [start_cli("keys", "new", "--label", f"k{i}", env=PASS) for i in range(AT_ONCE)]
    all_succeed(procs)
    assert labels_on_disk(xdg) == sorted(f"k{i}" for i in range(AT_ONCE))


def test_create_checks_existence_under_the_lock(xdg: Paths) -> None:
    """A create that saw no file must not overwrite a vault made while it waited for the lock."""
    path = vault_path(xdg)
    mine = Vault(path, log_n=4)
    errors: list[BaseException] = []

    def create() -> None:
        try:
            mine.create("mine")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with locked(path):
        worker = threading.Thread(target=create)
        worker.start()
        time.sleep(0.5)  # it checks, finds no vault, waits for the lock
        other = Vault(path.parent / "other.json", log_n=4)
        other.create("theirs")
        other.put_key("theirs", "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa", role="owner", pubkey="7e7e")
        os.replace(other.path, path)
    worker.join(30)
    assert len(errors) == 1 and isinstance(errors[0], VaultExists), errors
    assert str(path) in str(errors[0]) and "already" in str(errors[0])
    assert not mine.is_unlocked
    survivor = Vault(path)
    survivor.unlock("theirs")
    assert list(survivor.keys()) == ["theirs"]


def test_a_second_create_is_a_clear_error(xdg: Paths) -> None:
    stale_vault(xdg)
    with pytest.raises(VaultExists, match="already exists"):
        Vault(vault_path(xdg), log_n=4).create("other words")
    assert labels_on_disk(xdg) == ["tui"]


def test_a_long_lived_vault_does_not_undo_another_process_keys_new(xdg: Paths) -> None:
    tui = stale_vault(xdg)
    assert finish(start_cli("keys", "new", "--label", "fromcli", env=PASS))[0] == 0
    assert sorted(tui.keys()) == ["fromcli", "tui"]  # reads see the file as it is now
    tui.put_secret("nwc:alby", NWC)
    assert labels_on_disk(xdg) == ["fromcli", "tui"]


def test_a_long_lived_vault_does_not_undo_another_process_put_secret_or_delete(xdg: Paths) -> None:
    tui = stale_vault(xdg)
    tui.put_secret("nwc:old", NWC)
    code = (
        "from pathlib import Path\n"
        "from sovtui.identity.vault import Vault\n"
        f"v = Vault(Path({str(vault_path(xdg))!r}))\n"
        f"v.unlock({PASSPHRASE!r})\n"
        f"v.put_secret('nwc:other', {NWC!r})\n"
        "v.delete_secret('nwc:old')\n"
    )
    rc, _, err = finish(start_python(code))
    assert rc == 0, err
    assert tui.list_secrets() == ["nwc:other"]
    assert tui.get_secret("nwc:other") == NWC
    tui.put_key("late", AGENT_HEX, role="agent", pubkey=AGENT_PUB)
    fresh = Vault(vault_path(xdg))
    fresh.unlock(PASSPHRASE)
    assert fresh.list_secrets() == ["nwc:other"]  # the deleted one stays deleted, the new one stays
    assert sorted(fresh.keys()) == ["late", "tui"]

    rc, _, err = finish(start_cli("keys", "rm", "late", "--confirm", "late", env=PASS))
    assert rc == 0, err
    tui.put_secret("nwc:third", NWC)
    assert labels_on_disk(xdg) == ["tui"]


def test_after_another_process_changes_the_passphrase_the_stale_vault_must_unlock_again(xdg: Paths) -> None:
    tui = stale_vault(xdg)
    before_change = vault_path(xdg).read_bytes()
    rc, _, err = finish(start_cli("keys", "passwd", env={**PASS, "SOVTUI_NEW_PASSPHRASE": "brand new words"}))
    assert rc == 0, err
    after_change = vault_path(xdg).read_bytes()
    assert after_change != before_change
    with pytest.raises(VaultChanged, match="passphrase was changed by another sovtui"):
        tui.put_secret("nwc:alby", NWC)
    assert vault_path(xdg).read_bytes() == after_change, "nothing written under the old passphrase"
    assert not tui.is_unlocked
    with pytest.raises(VaultLocked):
        tui.keys()
    with pytest.raises(WrongPassphrase):
        Vault(vault_path(xdg)).unlock(PASSPHRASE)  # the old passphrase opens nothing
    tui.unlock("brand new words")
    tui.put_secret("nwc:alby", NWC)
    assert labels_on_disk(xdg, "brand new words") == ["tui"]


def test_every_operation_of_a_stale_vault_notices_the_new_passphrase(xdg: Paths) -> None:
    tui = stale_vault(xdg)
    tui.put_secret("nwc:alby", NWC)
    other = Vault(vault_path(xdg), log_n=4)
    for operation in (
        lambda: tui.keys(),
        lambda: tui.list_secrets(),
        lambda: tui.get_secret("nwc:alby"),
        lambda: tui.secret_key("tui"),
        lambda: tui.delete_secret("nwc:alby"),
        lambda: tui.delete_key("tui"),
        lambda: tui.put_key("x", AGENT_HEX, role="agent", pubkey=AGENT_PUB),
        lambda: tui.change_passphrase(PASSPHRASE, "a third one"),
    ):
        tui.lock()
        tui.unlock(PASSPHRASE)
        other.change_passphrase(PASSPHRASE, "in between")
        with pytest.raises(VaultChanged):
            operation()
        other.change_passphrase("in between", PASSPHRASE)
    assert labels_on_disk(xdg) == ["tui"]


def test_a_stale_unprotected_vault_does_not_write_plain_text_into_a_protected_one(xdg: Paths) -> None:
    tui = stale_vault(xdg, passphrase=None)
    Vault(vault_path(xdg), log_n=4).change_passphrase(None, "now protected")
    with pytest.raises(VaultChanged):
        tui.put_secret("nwc:alby", NWC)
    text = vault_path(xdg).read_text()
    assert NWC not in text and '"plain"' not in text and '"hex"' not in text


def test_the_change_is_made_under_the_lock(xdg: Paths) -> None:
    """A writer holding the lock is waited for: its change is read, then ours is applied."""
    tui = stale_vault(xdg)
    path = vault_path(xdg)
    done = threading.Event()

    def put() -> None:
        tui.put_secret("nwc:mine", NWC)
        done.set()

    with locked(path):
        worker = threading.Thread(target=put)
        worker.start()
        time.sleep(0.3)
        assert not done.is_set(), "the write waits for the lock"
        data = json.loads(path.read_text())
        other = Vault(path, log_n=4)
        other.unlock(PASSPHRASE)
        sealed = other._seal(other._key, NWC.encode())  # type: ignore[arg-type]
        data["secrets"]["nwc:theirs"] = {"sealed": sealed}
        path.write_text(json.dumps(data))
    worker.join(30)
    assert done.is_set()
    assert tui.list_secrets() == ["nwc:mine", "nwc:theirs"]


def test_vault_changed_is_a_vault_error() -> None:
    assert issubclass(VaultChanged, VaultError) and issubclass(VaultExists, VaultError)
