"""The command line: ``sovtui`` opens the TUI, subcommands serve scripts and SSH.

Each command group lives in its own module in this package and exposes
``register(subparsers)``; adding a group is one entry in ``COMMAND_GROUPS``.
Handlers receive ``(args, ctx)`` and return an exit code. Expected failures
are ``SovtuiError``: printed as one line on stderr, never as a traceback.
Heavy modules are imported inside handlers so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sovtui import __version__
from sovtui.errors import SovtuiError

if TYPE_CHECKING:
    from sovtui.context import Context

#: Modules in ``sovtui.cli`` that register a command group, in help order.
COMMAND_GROUPS: tuple[str, ...] = ("chat_cmd", "models_cmd", "hosts_cmd", "backend_cmd", "keys_cmd", "wallet_cmd", "agent_cmd", "mcp_cmd", "setup_cmd", "doctor_cmd", "paths_cmd", "config_cmd")
#: Which module registers each command (tests/test_cli.py checks it against ``register``): ``sovtui chats
#: list`` imports and builds only its own group, about 0.1 s less than every group's (a script's loop feels it).
COMMANDS: dict[str, str] = {
    "chat": "chat_cmd", "chats": "chat_cmd", "personas": "chat_cmd", "models": "models_cmd", "hosts": "hosts_cmd",
    "backend": "backend_cmd", "keys": "keys_cmd", "wallet": "wallet_cmd", "agent": "agent_cmd", "mcp": "mcp_cmd",
    "setup": "setup_cmd", "doctor": "doctor_cmd", "paths": "paths_cmd", "config": "config_cmd",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command group, or only of the group that registers ``command`` (a name in ``COMMANDS``)."""
    parser = argparse.ArgumentParser(
        prog="sovtui",
        description=(
            "Self-sovereign AI in the terminal: chat with models you run, hold your "
            "own Nostr keys, spend from your own Lightning wallet. "
            "Run with no command to open the app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"sovtui {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in (COMMANDS[command],) if command in COMMANDS else COMMAND_GROUPS:
        importlib.import_module(f"sovtui.cli.{name}").register(subparsers)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """``parse_args``, but the words of a prompt may come before and after its options.

    argparse takes a command's positional arguments in one go, so in ``sovtui
    agent ask bot -m llama3.1 what is my balance`` the words after ``-m`` would
    be "unrecognized". A command whose last argument is ``prompt`` gets them.
    """
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "prompt") and not any(word.startswith("-") for word in extra):
        if isinstance(args.prompt, list):
            args.prompt = [*args.prompt, *extra]
        else:
            args.prompt = " ".join([args.prompt, *extra] if args.prompt else extra)
        return args
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _open_vault(ctx: Context, args: argparse.Namespace) -> object:
    from sovtui.cli.keys_cmd import open_vault

    return open_vault(ctx, args)


def run_tui(ctx: Context) -> int:
    from sovtui.ui.app import run

    return run(ctx)


def main(argv: Sequence[str] | None = None) -> int:
    from sovtui.context import Context

    if not (sys.argv[1:] if argv is None else argv):
        # Plain ``sovtui`` opens the app: building the parser (every command group) would only delay it.
        args: argparse.Namespace | None = None
        handler = None
    else:
        words = sys.argv[1:] if argv is None else list(argv)
        args = parse(build_parser(words[0]) if words[0] in COMMANDS else build_parser(), argv)
        handler = getattr(args, "handler", None)
    try:
        ctx = Context()
        ctx.paths.ensure()  # the three folders exist and are private (0700)
        if args is not None:  # a host's API key in a locked vault: asked for as every command asks
            ctx.unlock_vault = lambda: _open_vault(ctx, args)
        if handler is None:
            if args is not None and args.command is not None:  # a group given without its subcommand
                args.group_parser.print_help(sys.stderr)
                return 2
            return run_tui(ctx)
        return int(handler(args, ctx) or 0)
    except SovtuiError as exc:
        from sovtui.text import safe_text

        # An error may quote a wallet, a relay or a model server: never their escapes.
        print(f"sovtui: {safe_text(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sovtui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``sovtui ... | head``): not an error of ours.
        sys.stderr.close()
        return 0
