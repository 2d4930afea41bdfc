"""The vault: every secret sovtui holds, encrypted at rest with one passphrase.

One JSON file (mode 0600) in the config folder. With a passphrase, secret
keys are stored only as NIP-49 ``ncryptsec`` and every other secret (an NWC
connection string, say) as XChaCha20-Poly1305 under a key derived by scrypt
from the same passphrase; a small sealed check value tells a wrong
passphrase from a damaged file. Without one, the vault is explicitly
*unprotected*: plain text, still 0600, and ``sovtui doctor`` counts it
against the user.

The passphrase lives only in memory while the vault is unlocked and is never
written, logged or put in an error message. Every write replaces the whole
file atomically, so changing the passphrase either completes or leaves the
old file: no crash can leave secrets unreadable.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sovtui.errors import SovtuiError
from sovtui.files import atomic_write, locked
from sovtui.identity import nip49

FORMAT = 1
CHECK = b"sovtui vault"


class VaultError(SovtuiError):
    pass


class VaultLocked(VaultError):
    def __init__(self) -> None:
        super().__init__("the vault is locked: unlock it with your passphrase first")


class WrongPassphrase(VaultError):
    exit_code = 2

    def __init__(self) -> None:
        super().__init__("wrong passphrase")


class SecretNotFound(VaultError):
    pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class Vault:
    def __init__(self, path: Path, *, log_n: int = nip49.DEFAULT_LOG_N) -> None:
        self.path = Path(path)
        self.log_n = log_n
        self._data: dict[str, Any] | None = None
        self._passphrase: str | None = None
        self._key: bytes | None = None
        self._unlocked = False
        #: ncryptsec -> secret hex, for keys already used since the unlock. Each
        #: ncryptsec costs a scrypt (about 0.2 s) to open; the passphrase that
        #: opens them is held until lock() anyway, and both are dropped together.
        self._opened: dict[str, str] = {}

    # --- state ----------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise VaultError("there is no vault yet: create one first") from None
        except (OSError, ValueError) as exc:
            raise VaultError(f"{self.path}: cannot read the vault ({exc.__class__.__name__}); the file was left as it is") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise VaultError(f"{self.path}: not a vault this sovtui can read; the file was left as it is")
        return data

    @property
    def is_protected(self) -> bool:
        return bool(self._read().get("protected"))

    def roles(self) -> list[str]:
        """The role of every key, read without the passphrase (roles are not secret)."""
        return [str(entry.get("role", "")) for entry in self._read().get("keys", {}).values()]

    @property
    def is_unlocked(self) -> bool:
        return self._unlocked

    # --- opening ----------------------------------------------------------------

    def create(self, passphrase: str | None) -> None:
        """A new, empty vault; ``None`` makes it explicitly unprotected."""
        if self.exists:
            raise VaultError(f"{self.path} already exists")
        data = self._fresh(passphrase)
        with locked(self.path):
            atomic_write(self.path, json.dumps(data, indent=1))
        self._open(data, passphrase)

    def _fresh(self, passphrase: str | None) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT, "protected": passphrase is not None, "keys": {}, "secrets": {}}
        if passphrase is not None:
            salt = os.urandom(16)
            key = nip49.derive_key(passphrase, salt, self.log_n)
            data["kdf"] = {"name": "scrypt", "log_n": self.log_n, "r": 8, "p": 1, "salt": _b64(salt)}
            data["check"] = self._seal(key, CHECK)
        return data

    def unlock(self, passphrase: str | None) -> None:
        data = self._read()
        if not data.get("protected"):
            self._open(data, None)
            return
        if passphrase is None:
            raise WrongPassphrase()
        kdf = data["kdf"]
        key = nip49.derive_key(passphrase, _unb64(kdf["salt"]), int(kdf["log_n"]))
        if self._open_box(key, data["check"]) != CHECK:
            raise WrongPassphrase()
        self._open(data, passphrase, key)

    def _open(self, data: dict[str, Any], passphrase: str | None, key: bytes | None = None) -> None:
        self._data = data
        self._passphrase = passphrase
        self._opened = {}
        if key is None and passphrase is not None:
            kdf = data["kdf"]
            key = nip49.derive_key(passphrase, _unb64(kdf["salt"]), int(kdf["log_n"]))
        self._key = key
        self._unlocked = True

    def lock(self) -> None:
        self._data = None
        self._passphrase = None
        self._key = None
        self._opened = {}
        self._unlocked = False

    def _require(self) -> dict[str, Any]:
        if not self._unlocked or self._data is None:
            raise VaultLocked()
        return self._data

    def _save(self) -> None:
        with locked(self.path):
            atomic_write(self.path, json.dumps(self._require(), indent=1))

    # --- sealing ----------------------------------------------------------------

    @staticmethod
    def _seal(key: bytes, plaintext: bytes) -> str:
        from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt

        nonce = os.urandom(24)
        return _b64(nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, b"sovtui", nonce, key))

    @staticmethod
    def _open_box(key: bytes, sealed: str) -> bytes | None:
        from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt
        from nacl.exceptions import CryptoError

        raw = _unb64(sealed)
        try:
            return crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], b"sovtui", raw[:24], key)
        except CryptoError:
            return None

    # --- secrets ------------------------------------------------------------------

    def put_secret(self, name: str, value: str) -> None:
        data = self._require()
        if self._key is None:
            data["secrets"][name] = {"plain": value}
        else:
            data["secrets"][name] = {"sealed": self._seal(self._key, value.encode("utf-8"))}
        self._save()

    def get_secret(self, name: str) -> str:
        entry = self._require()["secrets"].get(name)
        if entry is None:
            raise SecretNotFound(f"no secret named {name!r} in the vault")
        if "plain" in entry:
            return str(entry["plain"])
        assert self._key is not None
        value = self._open_box(self._key, entry["sealed"])
        if value is None:
            raise VaultError(f"the secret {name!r} is damaged and cannot be decrypted")
        return value.decode("utf-8")

    def delete_secret(self, name: str) -> None:
        if self._require()["secrets"].pop(name, None) is None:
            raise SecretNotFound(f"no secret named {name!r} in the vault")
        self._save()

    def list_secrets(self) -> list[str]:
        return sorted(self._require()["secrets"])

    # --- secret keys --------------------------------------------------------------

    def put_key(self, label: str, secret_key_hex: str, *, role: str, pubkey: str) -> None:
        """Keep a secret key: as ncryptsec with a passphrase, hex without."""
        data = self._require()
        entry: dict[str, Any] = {"role": role, "pubkey": pubkey, "created": datetime.now(timezone.utc).isoformat()}
        if self._passphrase is None:
            entry["hex"] = secret_key_hex
        else:
            entry["ncryptsec"] = nip49.encrypt(secret_key_hex, self._passphrase, log_n=self.log_n)
        data["keys"][label] = entry
        self._save()

    def keys(self) -> dict[str, dict[str, Any]]:
        """Labels and public facts (role, pubkey, created); no secrets."""
        return {label: {k: v for k, v in e.items() if k in ("role", "pubkey", "created")} for label, e in self._require()["keys"].items()}

    def secret_key(self, label: str) -> str:
        entry = self._require()["keys"].get(label)
        if entry is None:
            raise SecretNotFound(f"no key labelled {label!r}")
        if "hex" in entry:
            return str(entry["hex"])
        assert self._passphrase is not None
        sealed = str(entry["ncryptsec"])
        if sealed not in self._opened:
            self._opened[sealed] = nip49.decrypt(sealed, self._passphrase)
        return self._opened[sealed]

    def delete_key(self, label: str) -> None:
        if self._require()["keys"].pop(label, None) is None:
            raise SecretNotFound(f"no key labelled {label!r}")
        self._save()

    # --- passphrase ---------------------------------------------------------------

    def change_passphrase(self, old: str | None, new: str | None) -> None:
        """Re-encrypt everything under ``new`` (None: unprotected), in one atomic write."""
        self.unlock(old)
        secrets = {name: self.get_secret(name) for name in self.list_secrets()}
        keys = {label: (self.secret_key(label), entry) for label, entry in self._require()["keys"].items()}
        fresh = self._fresh(new)
        staged = Vault(self.path, log_n=self.log_n)
        staged._open(fresh, new)
        for name, value in secrets.items():
            fresh["secrets"][name] = (
                {"plain": value} if staged._key is None else {"sealed": staged._seal(staged._key, value.encode("utf-8"))}
            )
        for label, (secret_hex, entry) in keys.items():
            kept = {k: entry[k] for k in ("role", "pubkey", "created") if k in entry}
            if new is None:
                kept["hex"] = secret_hex
            else:
                kept["ncryptsec"] = nip49.encrypt(secret_hex, new, log_n=self.log_n)
            fresh["keys"][label] = kept
        with locked(self.path):
            atomic_write(self.path, json.dumps(fresh, indent=1))  # the one moment the file changes
        self._open(fresh, new, staged._key)
