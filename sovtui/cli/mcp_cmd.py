"""``sovtui mcp --agent NAME``: the agent's wallet and key as a stdio MCP server.

Goose, oterm, Claude Desktop or any MCP client starts this command and talks
JSON-RPC on its stdin and stdout. It offers the agent's tools under Alby's
names (get_info, get_balance, make_invoice, pay_invoice, lookup_invoice,
list_transactions) plus get_public_key and sign_note, within the same limits
as ``sovtui agent ask``: the credential, the wallet's budget, and
``[agents.NAME] approve_under``. Nobody can be asked here (the channel is the
client's), so a payment at or above that threshold is refused, as an error
result with the reason. Every call is in ``sovtui agent log NAME``.

The vault is unlocked at start, headless: ``--passphrase-file PATH`` or the
``SOVTUI_PASSPHRASE`` variable, which is removed from the environment at
once. Nothing but MCP goes to stdout; messages go to stderr. Needs the
``mcp`` extra: pip install 'sovtui[mcp]'. See docs/agents.md, "MCP".
"""

from __future__ import annotations

import argparse
import os
import sys

from sovtui.cli.common import described
from sovtui.cli.passphrase import add_passphrase_option, unlock_headless
from sovtui.context import Context
from sovtui.errors import SovtuiError

INSTALL = "pip install 'sovtui[mcp]'"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("mcp", help="serve an agent's wallet and key to MCP clients (stdio)", description=described(__doc__),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agent", required=True, metavar="NAME", help="the agent key's label")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_mcp)


def cmd_mcp(args: argparse.Namespace, ctx: Context) -> int:
    # Out of the environment before anything else runs: no child, no crash report, no /proc/PID/environ reader later.
    passphrase = os.environ.pop("SOVTUI_PASSPHRASE", None)
    try:
        import mcp.server  # noqa: F401 - only to say plainly when the extra is missing
    except ImportError:
        raise SovtuiError(f"sovtui mcp needs the MCP SDK: {INSTALL}") from None
    import logging

    from sovtui.agent.agents import load_agent
    from sovtui.agent.mcp_server import serve_stdio
    from sovtui.cli.common import run

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="sovtui mcp: %(levelname)s %(name)s: %(message)s")
    unlock_headless(ctx, args, passphrase, no_passphrase=(
        "the vault passphrase is needed and an MCP server has no terminal to ask on: "
        "set SOVTUI_PASSPHRASE in the client's config for this server, or use --passphrase-file PATH"))
    passphrase = None
    agent = load_agent(ctx, args.agent)
    print(f"sovtui mcp: serving agent {agent.name} ({agent.state}, wallet {agent.wallet or 'none'}) on stdio", file=sys.stderr)
    try:
        run(serve_stdio(ctx, agent.name))
    except KeyboardInterrupt:
        pass
    return 0
