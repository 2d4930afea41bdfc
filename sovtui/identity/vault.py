"""The vault: every secret sovtui holds, encrypted at rest with one passphrase.

One JSON file (mode 0600) in the config folder. With a passphrase, secret
keys are stored only as NIP-49 ``ncryptsec`` and every other secret (an NWC
connection string, say) as XChaCha20-Poly1305 under a key derived by scrypt
from the same passphrase; a small sealed check value tells a wrong
passphrase from a damaged file. Without one, the vault is explicitly
*unprotected*: plain text, still 0600, and ``sovtui doctor`` counts it
against the user.

The passphrase lives only in memory while the vault is unlocked and is never
written, logged or put in an error message.

Several sovtui processes share the file (a TUI in one SSH session, a CLI in
another), so an unlocked ``Vault`` keeps no copy of the entries: every read
reads the file as it is now, and every change is lock, read again, check the
file is still under the key we hold, apply the one change, write atomically.
If another process changed the passphrase, the change is refused with
``VaultChanged`` and the vault locks itself: it must be unlocked again with
the new passphrase. Changing the passphrase reads, re-encrypts and writes
under the lock, in one atomic write: it completes or leaves the old file.

A protected vault never holds plain text, so a plain entry in one was put
there by something other than sovtui: it is refused, never served.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sovtui.errors import SovtuiError
from sovtui.files import atomic_write, locked
from sovtui.identity import nip49
from sovtui.text import is_safe

FORMAT = 1
CHECK = b"sovtui vault"
#: The most scrypt memory a vault file may ask for (log_n 20: 1 GiB); sovtui writes 16.
MAX_LOG_N = 20
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: What a key's label may be (``sovtui.identity.keys.check_label`` says it to the user).
LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_PUBKEY = re.compile(r"^(?:[0-9a-f]{2}){1,32}$")
_CREATED = re.compile(r"^[0-9A-Za-z:+.-]{0,40}$")


class VaultError(SovtuiError):
    pass


class NoVault(VaultError):
    """There is no vault file yet: the first key made creates it."""


class EmptyPassphrase(VaultError):
    """An empty passphrase was chosen: it protects nothing (an unprotected vault is asked for as such)."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__("an empty passphrase protects nothing: choose one")


class PassphraseMismatch(VaultError):
    """A new passphrase typed twice, differently."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__("the two passphrases differ: nothing was changed")


class VaultLocked(VaultError):
    def __init__(self) -> None:
        super().__init__("the vault is locked: unlock it with your passphrase first")


class WrongPassphrase(VaultError):
    exit_code = 2

    def __init__(self) -> None:
        super().__init__("wrong passphrase")


class SecretNotFound(VaultError):
    pass


class VaultChanged(VaultError):
    """Another process re-keyed the vault since we unlocked it; we hold a key that no longer fits."""

    def __init__(self) -> None:
        super().__init__("the vault's passphrase was changed by another sovtui: unlock it again")


class VaultExists(VaultError):
    pass


class UntrustedEntry(VaultError):
    """An entry the vault refuses to serve; ``section`` and ``name`` say which, so it can be removed."""

    def __init__(self, message: str, section: str, name: str) -> None:
        super().__init__(message)
        self.section = section
        self.name = name


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _seal_id(data: dict[str, Any]) -> tuple[Any, ...]:
    """What ties a vault file to one key: the same values mean the same passphrase opens it."""
    if not data["protected"]:
        return ("unprotected",)
    kdf = data["kdf"]
    return ("scrypt", kdf["salt"], kdf["log_n"], data["check"])


class Vault:
    def __init__(self, path: Path, *, log_n: int = nip49.DEFAULT_LOG_N) -> None:
        self.path = Path(path)
        self.log_n = log_n
        self._passphrase: str | None = None
        self._key: bytes | None = None
        #: ``_seal_id`` of the file when it was unlocked: a change is applied only to that vault.
        self._sealed_as: tuple[Any, ...] | None = None
        self._unlocked = False
        #: ncryptsec -> secret hex, for keys already used since the unlock. Each
        #: ncryptsec costs a scrypt (about 0.2 s) to open; the passphrase that
        #: opens them is held until lock() anyway, and both are dropped together.
        self._opened: dict[str, str] = {}

    # --- reading the file -------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def _damaged(self, what: str) -> VaultError:
        return VaultError(f"{self.path}: {what}; the file was left as it is")

    def _read(self) -> dict[str, Any]:
        """The file as it is now, its shape checked (entries are checked by ``_check_entries``)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NoVault(f"there is no vault yet ({self.path}): create one first") from None
        except (OSError, ValueError, RecursionError) as exc:
            raise self._damaged(f"cannot read the vault ({exc.__class__.__name__})") from None
        if not isinstance(data, dict) or type(data.get("format")) is not int or data["format"] != FORMAT:
            raise self._damaged("not a vault this sovtui can read")
        if type(data.get("protected")) is not bool or not isinstance(data.get("keys"), dict) or not isinstance(data.get("secrets"), dict):
            raise self._damaged("the vault is damaged (protected, keys or secrets)")
        if data["protected"]:
            kdf = data.get("kdf")
            try:
                assert isinstance(kdf, dict) and kdf.get("name") == "scrypt"
                assert type(kdf.get("log_n")) is int and 1 <= kdf["log_n"] <= MAX_LOG_N
                assert isinstance(kdf.get("salt"), str) and len(_unb64(kdf["salt"])) >= 8
                assert isinstance(data.get("check"), str) and len(_unb64(data["check"])) > 24
            except (AssertionError, ValueError):
                raise self._damaged("the vault's passphrase settings (kdf, check) are damaged") from None
        return data

    def _entry_problem(self, data: dict[str, Any], section: str, name: str, entry: Any) -> VaultError | None:
        """Why an entry cannot be served, or None."""
        what = f"the key {name!r}" if section == "keys" else f"the secret {name!r}"
        if not isinstance(entry, dict):
            return self._damaged(f"{what} is damaged")
        plain = "hex" if section == "keys" else "plain"
        sealed = "ncryptsec" if section == "keys" else "sealed"
        if data["protected"] and plain in entry:
            fix = f"'sovtui keys rm {name}'" if section == "keys" else "delete that entry from the file"
            return UntrustedEntry(
                f"{self.path}: {what} is in plain text in a passphrase-protected vault, which sovtui never writes "
                f"(it may have been planted): refusing the vault until it is removed ({fix})",
                section,
                name,
            )
        wanted = sealed if data["protected"] else plain
        if not isinstance(entry.get(wanted), str) or (not data["protected"] and section == "keys" and not _HEX64.match(entry[wanted])):
            return self._damaged(f"{what} is damaged")
        # What is shown without the passphrase (label, role, pubkey, date) is not sealed, so it is
        # held to the shapes sovtui writes: nothing else reaches a terminal from here.
        if section == "keys":
            facts = (entry.get("role"), entry.get("pubkey"), entry.get("created", ""))
            if (
                not LABEL.match(name)
                or facts[0] not in ("owner", "agent")
                or not isinstance(facts[1], str) or not _PUBKEY.match(facts[1])
                or not isinstance(facts[2], str) or not _CREATED.match(facts[2])
            ):
                return self._damaged(f"{what} is damaged")
        elif not is_safe(name, one_line=True):
            return self._damaged(f"{what} is damaged")
        return None

    def _check_entries(self, data: dict[str, Any]) -> None:
        for section in ("keys", "secrets"):
            for name, entry in data[section].items():
                problem = self._entry_problem(data, section, name, entry)
                if problem is not None:
                    raise problem

    @property
    def is_protected(self) -> bool:
        return bool(self._read()["protected"])

    def roles(self) -> list[str]:
        """The role of every key, read without the passphrase (roles are not secret); refused entries do not count."""
        data = self._read()
        return [str(entry["role"]) for name, entry in data["keys"].items() if self._entry_problem(data, "keys", name, entry) is None]

    def public_keys(self) -> dict[str, tuple[str, str]]:
        """Each key's label, role and public key, read without the passphrase (public facts); refused entries do not count.

        Unauthenticated until the vault is opened: good for counting (``sovtui doctor``), not for trusting.
        """
        data = self._read()
        return {str(name): (str(entry["role"]), str(entry.get("pubkey", ""))) for name, entry in data["keys"].items()
                if self._entry_problem(data, "keys", name, entry) is None}

    @property
    def is_unlocked(self) -> bool:
        return self._unlocked

    def still_current(self) -> bool:
        """True if unlocked and the file is still under the key held; otherwise locks and says False."""
        if not self._unlocked:
            return False
        try:
            self._current()
        except VaultChanged:
            return False
        return True

    def _current(self) -> dict[str, Any]:
        """The file as it is now, checked to be under the key we hold (else lock and VaultChanged)."""
        if not self._unlocked:
            raise VaultLocked()
        data = self._read()
        if _seal_id(data) != self._sealed_as:
            self.lock()
            raise VaultChanged()
        return data

    def _trusted(self) -> dict[str, Any]:
        data = self._current()
        self._check_entries(data)
        return data

    # --- opening ----------------------------------------------------------------

    def create(self, passphrase: str | None) -> None:
        """A new, empty vault; ``None`` makes it explicitly unprotected. VaultExists if there is one."""
        data, key = self._fresh(passphrase)  # scrypt before the lock: others are not kept waiting
        with locked(self.path):
            if self.path.exists():
                raise VaultExists(f"{self.path}: a vault already exists here (another sovtui may have just made it): unlock it instead")
            atomic_write(self.path, json.dumps(data, indent=1))
        self._open(data, passphrase, key)

    def _fresh(self, passphrase: str | None) -> tuple[dict[str, Any], bytes | None]:
        data: dict[str, Any] = {"format": FORMAT, "protected": passphrase is not None, "keys": {}, "secrets": {}}
        if passphrase is None:
            return data, None
        salt = os.urandom(16)
        key = nip49.derive_key(passphrase, salt, self.log_n)
        data["kdf"] = {"name": "scrypt", "log_n": self.log_n, "r": 8, "p": 1, "salt": _b64(salt)}
        data["check"] = self._seal(key, CHECK)
        return data, key

    def _key_for(self, data: dict[str, Any], passphrase: str | None) -> bytes | None:
        """The key that opens ``data`` (None when unprotected); WrongPassphrase if it does not."""
        if not data["protected"]:
            return None
        if passphrase is None:
            raise WrongPassphrase()
        kdf = data["kdf"]
        key = nip49.derive_key(passphrase, _unb64(kdf["salt"]), kdf["log_n"])
        if self._open_box(key, data["check"]) != CHECK:
            raise WrongPassphrase()
        return key

    def unlock(self, passphrase: str | None) -> None:
        data = self._read()
        key = self._key_for(data, passphrase)
        self._open(data, passphrase if data["protected"] else None, key)

    def _open(self, data: dict[str, Any], passphrase: str | None, key: bytes | None) -> None:
        self._passphrase = passphrase
        self._key = key
        self._sealed_as = _seal_id(data)
        self._opened = {}
        self._unlocked = True

    def lock(self) -> None:
        self._passphrase = None
        self._key = None
        self._sealed_as = None
        self._opened = {}
        self._unlocked = False

    def _change(self, apply: Callable[[dict[str, Any]], None], *, check_entries: bool = True) -> None:
        """Lock, read the file again, check it is under our key, apply one change, write atomically."""
        with locked(self.path):
            data = self._current()
            if check_entries:
                self._check_entries(data)
            apply(data)
            atomic_write(self.path, json.dumps(data, indent=1))

    # --- sealing ----------------------------------------------------------------

    @staticmethod
    def _seal(key: bytes, plaintext: bytes) -> str:
        from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt

        nonce = os.urandom(24)
        return _b64(nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, b"sovtui", nonce, key))

    @staticmethod
    def _open_box(key: bytes, sealed: str) -> bytes | None:
        """The plaintext, or None if ``sealed`` is not a box this key made."""
        from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt
        from nacl.exceptions import CryptoError

        try:
            raw = _unb64(sealed)
            if len(raw) <= 24:
                return None
            return crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], b"sovtui", raw[:24], key)
        except (CryptoError, ValueError, TypeError):
            return None

    def _secret_in(self, data: dict[str, Any], key: bytes | None, name: str) -> str:
        entry = data["secrets"].get(name)
        if entry is None:
            raise SecretNotFound(f"no secret named {name!r} in the vault")
        if not data["protected"]:
            return str(entry["plain"])
        assert key is not None
        value = self._open_box(key, entry["sealed"])
        try:
            if value is not None:
                return value.decode("utf-8")
        except UnicodeDecodeError:
            pass
        raise self._damaged(f"the secret {name!r} is damaged and cannot be decrypted")

    def _secret_key_in(self, data: dict[str, Any], passphrase: str | None, label: str) -> str:
        entry = data["keys"].get(label)
        if entry is None:
            raise SecretNotFound(f"no key labelled {label!r}")
        if not data["protected"]:
            return str(entry["hex"])
        assert passphrase is not None
        sealed = str(entry["ncryptsec"])
        if sealed not in self._opened:
            try:
                self._opened[sealed] = nip49.decrypt(sealed, passphrase)
            except (SovtuiError, ValueError):
                raise self._damaged(f"the key {label!r} is damaged or not under this vault's passphrase") from None
        return self._opened[sealed]

    # --- secrets ------------------------------------------------------------------

    def put_secret(self, name: str, value: str) -> None:
        if not self._unlocked:
            raise VaultLocked()
        key = self._key
        entry = {"plain": value} if key is None else {"sealed": self._seal(key, value.encode("utf-8"))}

        def apply(data: dict[str, Any]) -> None:
            data["secrets"][name] = entry

        self._change(apply)

    def get_secret(self, name: str) -> str:
        return self._secret_in(self._trusted(), self._key, name)

    def delete_secret(self, name: str) -> None:
        def apply(data: dict[str, Any]) -> None:
            if data["secrets"].pop(name, None) is None:
                raise SecretNotFound(f"no secret named {name!r} in the vault")

        self._change(apply, check_entries=False)  # removing an entry serves nothing: a refused one can go too

    def has_secret(self, name: str) -> bool:
        """Whether a secret of that name is kept, read without the passphrase (names are not secret).

        Unauthenticated until the vault is opened: good for knowing whether to ask for the passphrase.
        """
        return self.exists and name in self._read()["secrets"]

    def list_secrets(self) -> list[str]:
        return sorted(self._trusted()["secrets"])

    # --- secret keys --------------------------------------------------------------

    def put_key(self, label: str, secret_key_hex: str, *, role: str, pubkey: str) -> None:
        """Keep a new secret key: as ncryptsec with a passphrase, hex without. Never replaces one."""
        if not self._unlocked:
            raise VaultLocked()
        entry: dict[str, Any] = {"role": role, "pubkey": pubkey, "created": datetime.now(timezone.utc).isoformat()}
        if self._passphrase is None:
            entry["hex"] = secret_key_hex
        else:  # scrypt before the lock: others are not kept waiting
            entry["ncryptsec"] = nip49.encrypt(secret_key_hex, self._passphrase, log_n=self.log_n)

        def apply(data: dict[str, Any]) -> None:
            # Checked here, under the lock: two processes adding the same label cannot both win.
            if label in data["keys"]:
                raise VaultError(f"a key labelled {label!r} already exists")
            if any(e.get("pubkey") == pubkey for e in data["keys"].values()):
                raise VaultError("this key is already in the vault under another label")
            data["keys"][label] = entry

        self._change(apply)

    def keys(self) -> dict[str, dict[str, Any]]:
        """Labels and public facts (role, pubkey, created); no secrets."""
        return {label: {k: v for k, v in e.items() if k in ("role", "pubkey", "created")} for label, e in self._trusted()["keys"].items()}

    def secret_key(self, label: str) -> str:
        return self._secret_key_in(self._trusted(), self._passphrase, label)

    def delete_key(self, label: str) -> None:
        def apply(data: dict[str, Any]) -> None:
            if data["keys"].pop(label, None) is None:
                raise SecretNotFound(f"no key labelled {label!r}")

        self._change(apply, check_entries=False)  # removing an entry serves nothing: a refused one can go too

    # --- passphrase ---------------------------------------------------------------

    def change_passphrase(self, old: str | None, new: str | None) -> None:
        """Re-encrypt everything under ``new`` (None: unprotected): read, re-encrypt, write, all under the lock."""
        with locked(self.path):
            data = self._read()
            if self._unlocked and _seal_id(data) != self._sealed_as:
                self.lock()
                raise VaultChanged()
            key = self._key_for(data, old)
            self._check_entries(data)
            passphrase = old if data["protected"] else None
            secrets = {name: self._secret_in(data, key, name) for name in data["secrets"]}
            keys = {label: (self._secret_key_in(data, passphrase, label), entry) for label, entry in data["keys"].items()}
            fresh, new_key = self._fresh(new)
            for name, value in secrets.items():
                fresh["secrets"][name] = {"plain": value} if new_key is None else {"sealed": self._seal(new_key, value.encode("utf-8"))}
            for label, (secret_hex, entry) in keys.items():
                kept = {k: entry[k] for k in ("role", "pubkey", "created") if k in entry}
                if new is None:
                    kept["hex"] = secret_hex
                else:
                    kept["ncryptsec"] = nip49.encrypt(secret_hex, new, log_n=self.log_n)
                fresh["keys"][label] = kept
            atomic_write(self.path, json.dumps(fresh, indent=1))  # the one moment the file changes
        self._open(fresh, new, new_key)
