"""Getting the vault passphrase without putting it in argv or shell history.

In order: ``--passphrase-file PATH``, the ``SOVTUI_PASSPHRASE`` variable (for
scripts), else a prompt on the terminal (getpass, no echo). With no terminal
and neither of the others, a clear error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sovtui.errors import UsageError


def add_passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--passphrase-file", metavar="PATH", help="read the vault passphrase from the first line of PATH")


def get_passphrase(args: argparse.Namespace, *, prompt: str = "vault passphrase: ", confirm: bool = False) -> str:
    path = getattr(args, "passphrase_file", None)
    if path:
        try:
            return Path(path).expanduser().read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError):
            raise UsageError(f"cannot read a passphrase from {path}") from None
    if "SOVTUI_PASSPHRASE" in os.environ:
        return os.environ["SOVTUI_PASSPHRASE"]
    return ask(prompt, confirm=confirm, what="the vault passphrase", hint="set SOVTUI_PASSPHRASE or use --passphrase-file")


def ask(prompt: str, *, confirm: bool = False, what: str, hint: str) -> str:
    import getpass

    if not sys.stdin.isatty():
        raise UsageError(f"{what} is needed and there is no terminal to ask on: {hint}")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != first:
        raise UsageError("the two entries differ; nothing was changed")
    return first
