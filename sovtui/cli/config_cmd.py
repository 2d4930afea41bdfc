"""``sovtui config check|edit|show``: the settings file."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess

from sovtui.config import ConfigStore, to_dict
from sovtui.context import Context
from sovtui.errors import ConfigError, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="check, show or edit config.toml",
        description="Work with config.toml (see `sovtui paths` for where it is).",
    )
    parser.set_defaults(group_parser=parser)
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION")

    check = sub.add_parser("check", help="validate config.toml (exit 2 if it is broken)")
    check.set_defaults(handler=run_check)

    edit = sub.add_parser("edit", help="open config.toml in $EDITOR, then check it")
    edit.set_defaults(handler=run_edit)

    show = sub.add_parser("show", help="print the settings in effect, defaults included")
    show.add_argument("--json", action="store_true", help="print a JSON object")
    show.set_defaults(handler=run_show)


def run_check(args: argparse.Namespace, ctx: Context) -> int:
    path = ctx.paths.config_file
    ctx.store.load()  # raises ConfigError (exit 2) with the one-line reason
    if path.exists():
        print(f"{path}: ok")
    else:
        print(f"{path}: not created yet (defaults in effect): ok")
    return 0


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    data = to_dict(ctx.config)
    if args.json:
        from sovtui.cli.output import print_json

        print_json(data)
    else:
        from sovtui.config import dump_config

        print(dump_config(ctx.config), end="")
    return 0


def _editor() -> list[str]:
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            return shlex.split(value)
    for fallback in ("editor", "nano", "vi"):
        found = shutil.which(fallback)
        if found:
            return [found]
    raise UsageError("no editor found: set $EDITOR (for example EDITOR=nano)")


def run_edit(args: argparse.Namespace, ctx: Context) -> int:
    store: ConfigStore = ctx.store
    if not store.exists():
        store.create_default()
    command = _editor() + [str(store.path)]
    try:
        subprocess.run(command, check=False)
    except FileNotFoundError:
        raise UsageError(f"cannot run the editor {command[0]!r}: set $EDITOR") from None
    try:
        store.load()
    except ConfigError as exc:
        raise ConfigError(f"{exc}; run `sovtui config edit` again to fix it") from None
    print(f"{store.path}: ok")
    return 0
