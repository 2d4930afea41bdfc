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
