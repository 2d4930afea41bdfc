"""Opening the vault and choosing its passphrase: the rules every front end meets.

``sovtui keys`` on the command line, the Keys pane, the vault gate the other
panes use and the setup wizard all create the vault, open it, show what is
in it and change its passphrase. What each may accept is decided here, once;
they only ask for the words and show a refusal (each a ``VaultError`` of its
own type, so a front end can add its own hint: a flag, a key to press).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from sovtui.identity.keys import KeyInfo, KeyStore
from sovtui.identity.vault import EmptyPassphrase, NoVault, PassphraseMismatch, Vault, VaultChanged, VaultExists


class Opening(Enum):
    """What opening the vault needs now."""

    NO_VAULT = "no vault"
    #: Unlocked, and still under the key held (no other sovtui re-keyed it since).
    OPEN = "open"
    #: Kept in plain text: it opens without a passphrase.
    UNPROTECTED = "unprotected"
    PASSPHRASE = "passphrase"
    #: It was open, but another sovtui changed the passphrase since: it locked itself.
    PASSPHRASE_CHANGED = "passphrase changed"


def opening(vault: Vault) -> Opening:
    """What it takes to open ``vault`` now (an unlocked vault re-keyed elsewhere locks itself here)."""
    if not vault.exists:
        return Opening.NO_VAULT
    was_unlocked = vault.is_unlocked
    if vault.still_current():
        return Opening.OPEN
    if not vault.is_protected:
        return Opening.UNPROTECTED
    return Opening.PASSPHRASE_CHANGED if was_unlocked else Opening.PASSPHRASE


def check_new_passphrase(passphrase: str | None, again: str | None = None) -> str | None:
    """A passphrase chosen for a new vault or a re-key, checked; None asks for an unprotected vault.

    The empty string is never a passphrase (``EmptyPassphrase``): plain text
    is chosen as such, with None, never by pressing enter. ``again``, when the
    user typed it twice, must be the same (``PassphraseMismatch``).
    """
    if passphrase is None:
        return None
    if passphrase == "":
        raise EmptyPassphrase()
    if again is not None and again != passphrase:
        raise PassphraseMismatch()
    return passphrase


def open_or_create(vault: Vault, passphrase: str | None, *, again: str | None = None) -> bool:
    """Create the vault under ``passphrase`` (checked as a new one), or open the one there; True if made here.

    If the vault exists (another sovtui may have made it a moment ago), it is
    opened with the same passphrase: the right one, or ``WrongPassphrase``; an
    unprotected one opens without. Nothing is ever created over a vault.
    """
    if not vault.exists:
        check_new_passphrase(passphrase, again)
        try:
            vault.create(passphrase)
            return True
        except VaultExists:
            pass  # made by another sovtui between the look and the lock: open that one
    if not vault.still_current():
        vault.unlock(passphrase if vault.is_protected else None)
    return False


def change_passphrase(vault: Vault, old: str | None, new: str | None, *, again: str | None = None) -> None:
    """Re-encrypt every secret under ``new`` (None: unprotected), checked as a new passphrase."""
    if not vault.exists:
        raise NoVault("there is no vault yet: making the first key creates it")
    check_new_passphrase(new, again)
    vault.change_passphrase(old, new)


def lock_if_idle(vault: Vault, lock_after_minutes: float, idle_seconds: float) -> bool:
    """Lock an open vault after ``lock_after_minutes`` (0: never) without use; True if it locked now."""
    if lock_after_minutes <= 0 or not vault.is_unlocked or idle_seconds < lock_after_minutes * 60:
        return False
    vault.lock()
    return True


@dataclass(frozen=True)
class Keyring:
    """The vault as a screen shows it, read from the file as it is now."""

    exists: bool
    protected: bool
    unlocked: bool
    #: The keys, when the vault is open ([] when locked or missing).
    keys: list[KeyInfo] = field(default_factory=list)
    #: Why an open vault locked itself (another sovtui changed its passphrase), else "".
    notice: str = ""


def keyring(vault: Vault) -> Keyring:
    """What the vault holds now: a key made in another shell shows; a vault re-keyed there locks.

    A damaged file, or an entry the vault refuses, raises its ``VaultError``.
    """
    try:
        exists = vault.exists
        protected = exists and vault.is_protected
        keys = KeyStore(vault).list() if exists and vault.is_unlocked else []
    except VaultChanged as exc:
        return Keyring(exists=True, protected=True, unlocked=False, notice=str(exc))
    return Keyring(exists, protected, vault.is_unlocked, keys)
