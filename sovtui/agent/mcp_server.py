"""The agent's tools over MCP: a stdio server on the official ``mcp`` SDK (``sovtui mcp --agent NAME``).

It lists ``tools.TOOLS`` under the same names and JSON schemas the local
model is offered (Alby's MCP wallet tools, plus ``get_public_key`` and
``sign_note``), and runs every call through one ``Toolbox``: the same
credential, budget and approval checks, the same audit log. With nobody to
ask (stdin and stdout are the client's channel, not a terminal), a payment
at or above ``approve_under`` is refused; a refusal or an error comes back
as a tool result with ``isError: true`` and the reason in words, so the
client's model can explain it.

The ``mcp`` package (the ``mcp`` extra) is imported only here, and this
module only by the ``sovtui mcp`` command: no other command pays for it.
Nothing but JSON-RPC goes to stdout (the SDK points fd 1 at stderr while it
serves, so a stray print cannot corrupt the channel); logs go to stderr.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sovtui import __version__
from sovtui.agent.tools import TOOLS, Toolbox, ToolResult

if TYPE_CHECKING:
    from sovtui.context import Context

SERVER_NAME = "sovtui"


def mcp_tools() -> list[dict[str, Any]]:
    """``TOOLS`` as MCP lists them: name, description, inputSchema (the same JSON schema)."""
    return [{"name": t["function"]["name"], "description": t["function"]["description"],
             "inputSchema": t["function"]["parameters"]} for t in TOOLS]


def call_result(result: ToolResult) -> dict[str, Any]:
    """A ``ToolResult`` as an MCP CallToolResult: the JSON text the model reads, the same as structured content."""
    return {"content": [{"type": "text", "text": result.content}], "structuredContent": json.loads(result.content),
            "isError": result.outcome in ("refused", "error")}


def instructions(agent: str) -> str:
    return (f"The Lightning wallet and Nostr key of the sovtui agent {agent!r}. Amounts are in sats. Payments are "
            "limited by the credential its owner signed, the wallet's budget, and the owner's approval threshold; a "
            "refused call says why. Every call is logged.")


def build_server(toolbox: Toolbox) -> Any:
    """An ``mcp.server.Server`` whose two handlers list and call the toolbox's tools."""
    import mcp.types as types
    from mcp.server import Server

    listed = [types.Tool.model_validate(tool) for tool in mcp_tools()]

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: Any) -> Any:
        result = await toolbox.call(params.name, params.arguments or {})
        return types.CallToolResult.model_validate(call_result(result))

    return Server(SERVER_NAME, version=__version__, instructions=instructions(toolbox.agent_name),
                  on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(ctx: Context, agent: str) -> None:
    """Serve ``agent``'s tools on stdin and stdout until the client closes the channel."""
    from mcp.server.stdio import stdio_server

    async with Toolbox(ctx, agent, approve=None) as toolbox:  # nobody to ask: above approve_under is refused
        server = build_server(toolbox)
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
