"""A host's API key, kept in the vault under the host's name, never in config.toml.

Local servers need none. A cloud API (or a server started with
``--api-key``) does: ``sovtui hosts key NAME`` puts it in the vault, sealed
under the passphrase like every other secret. It is read when a request to
that host is made; a locked vault that holds it is ``VaultLockedForKey``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovtui.inference.errors import VaultLockedForKey

if TYPE_CHECKING:
    from sovtui.identity.vault import Vault

#: The vault entry of a host's key: ``host-key:NAME``.
SECRET_PREFIX = "host-key:"


def secret_name(host: str) -> str:
    return SECRET_PREFIX + host


def has_key(vault: Vault, host: str) -> bool:
    """Whether the vault keeps a key for ``host`` (read without the passphrase)."""
    return vault.has_secret(secret_name(host))


def api_key(vault: Vault, host: str) -> str | None:
    """The key of ``host``, or None if it has none. An unprotected vault is opened for it."""
    if not has_key(vault, host):
        return None
    if not vault.still_current():
        if vault.is_protected:
            raise VaultLockedForKey(host)
        vault.unlock(None)
    return vault.get_secret(secret_name(host))


def set_api_key(vault: Vault, host: str, key: str) -> None:
    """Keep ``key`` for ``host`` (the vault must be open)."""
    vault.put_secret(secret_name(host), key)


def remove_api_key(vault: Vault, host: str) -> bool:
    """Forget the key of ``host``; False if there was none (the vault must be open)."""
    if not has_key(vault, host):
        return False
    vault.delete_secret(secret_name(host))
    return True
