"""What can be wrong with a key a user pastes, in words they can act on.

Messages never contain the key material itself.
"""

from __future__ import annotations

from sovtui.errors import SovtuiError


class KeyFormatError(SovtuiError):
    """Input that is not the key it claims to be."""

    exit_code = 2


class WrongPassword(SovtuiError):
    """The password does not open this ncryptsec."""

    exit_code = 2


class LabelMismatch(SovtuiError):
    """A deletion confirmed with a label other than the key's."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__("the label typed does not match: nothing was deleted")


class CredentialRefused(SovtuiError):
    """A credential that cannot be issued or revoked as asked."""

    exit_code = 2


class MissingKeys(CredentialRefused):
    """A credential needs an owner key to sign it and an agent key to name; ``missing`` says which is not there."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"a credential needs an owner key and an agent key: make the missing {missing} key")
        self.missing = missing


class AlreadyRevoked(CredentialRefused):
    def __init__(self) -> None:
        super().__init__("this credential is already revoked")


class Superseded(CredentialRefused):
    """Revoking an old version would revoke its newer version too (the revocation names the address)."""

    def __init__(self) -> None:
        super().__init__("a newer credential for this agent replaces this one, so it is void already: revoke the newer one")


class NotIssuedHere(CredentialRefused):
    def __init__(self) -> None:
        super().__init__("the key that issued this credential is not in your vault: only its owner can revoke it")


class BadValidity(CredentialRefused):
    def __init__(self) -> None:
        super().__init__("the validity is a whole number of days, at least 1")
