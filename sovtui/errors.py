"""Domain errors: exceptions whose message a person can act on.

The CLI prints ``str(error)`` on one line and exits with ``exit_code``; the TUI
shows the same text as a notification or inline. Neither prints a traceback for
these, so the message must stand on its own and must never contain a secret.
"""

from __future__ import annotations


class SovtuiError(Exception):
    """Base class for every expected failure."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(SovtuiError):
    """config.toml cannot be read, parsed or holds a wrong value."""

    exit_code = 2


class UsageError(SovtuiError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2
