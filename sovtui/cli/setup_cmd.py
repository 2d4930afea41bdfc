"""``sovtui setup``: open the app on the guided sovereignty setup."""

from __future__ import annotations

import argparse

from sovtui.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "setup",
        help="the guided setup: local models, your keys, your wallet, an agent",
        description="Open the app on the setup wizard, which takes you from renting AI to owning it one step at a time. "
        "Each step can be skipped and done later; 'sovtui doctor' shows where you stand.",
    )
    p.set_defaults(handler=cmd_setup)


def cmd_setup(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.ui.app import run

    return run(ctx, setup=True)
