"""``sovtui paths``: where every file lives."""

from __future__ import annotations

import argparse

from sovtui.cli.output import print_json, print_pairs
from sovtui.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "paths",
        help="show the config, data and state folders and the config file",
        description="Print where sovtui keeps its files (XDG_* variables move them).",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    paths = ctx.paths.as_dict()
    if args.json:
        print_json(paths)
    else:
        print_pairs(paths)
    return 0
