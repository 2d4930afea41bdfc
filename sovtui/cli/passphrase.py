"""Getting the vault passphrase without putting it in argv or shell history.

In order: ``--passphrase-file PATH``, the ``SOVTUI_PASSPHRASE`` variable (for
scripts), else a prompt on the terminal (getpass, no echo). With no terminal
and neither of the others, a clear error. A passphrase file that group or
others may read or change is refused, as ssh refuses such a private key.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sovtui.errors import UsageError

if TYPE_CHECKING:
    from sovtui.context import Context


def add_passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--passphrase-file", metavar="PATH", help="read the vault passphrase from the first line of PATH")


def get_passphrase(args: argparse.Namespace, *, prompt: str = "vault passphrase: ", confirm: bool = False) -> str:
    path = getattr(args, "passphrase_file", None)
    if path:
        return read_passphrase_file(Path(path).expanduser())
    if "SOVTUI_PASSPHRASE" in os.environ:
        return os.environ["SOVTUI_PASSPHRASE"]
    return ask(prompt, confirm=confirm, what="the vault passphrase", hint="set SOVTUI_PASSPHRASE or use --passphrase-file")


def read_passphrase_file(path: Path) -> str:
    """The first line of ``path``, refused (as ssh refuses a private key) if others may read or change it."""
    try:
        with path.open(encoding="utf-8") as handle:
            info = os.fstat(handle.fileno())
            # A pipe (--passphrase-file <(pass show sovtui)) is private to us; a file must be too.
            if stat.S_ISREG(info.st_mode) and (info.st_mode & 0o077 or info.st_uid != os.getuid()):
                if info.st_uid != os.getuid():
                    raise UsageError(f"{path} belongs to another user: the passphrase in it was not used")
                raise UsageError(
                    f"{path} can be read or changed by others (mode {stat.S_IMODE(info.st_mode):04o}): "
                    f"run chmod 600 {path}; the passphrase in it was not used"
                )
            return handle.read().splitlines()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        raise UsageError(f"cannot read a passphrase from {path}") from None


def ask(prompt: str, *, confirm: bool = False, what: str, hint: str) -> str:
    import getpass

    if not sys.stdin.isatty():
        raise UsageError(f"{what} is needed and there is no terminal to ask on: {hint}")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != first:
        raise UsageError("the two entries differ; nothing was changed")
    return first


def unlock_headless(ctx: Context, args: argparse.Namespace, passphrase: str | None, *, no_passphrase: str) -> None:
    """Open the vault where no terminal can be asked (``agent serve``, ``mcp``).

    The passphrase comes from ``--passphrase-file``, else ``passphrase`` (the
    caller took SOVTUI_PASSPHRASE out of the environment first thing); with
    neither, UsageError(``no_passphrase``): what to do, for this command.
    """
    from sovtui.identity.access import Opening, opening
    from sovtui.identity.vault import NoVault

    needs = opening(ctx.vault)
    if needs is Opening.NO_VAULT:
        raise NoVault("you have no keys yet: create one with 'sovtui keys new --label me'")
    if needs is Opening.OPEN:
        return
    if needs is Opening.UNPROTECTED:
        ctx.vault.unlock(None)
        return
    if args.passphrase_file:
        passphrase = read_passphrase_file(Path(args.passphrase_file).expanduser())
    if passphrase is None:
        raise UsageError(no_passphrase)
    ctx.vault.unlock(passphrase)
