"""``sovtui mcp --agent NAME`` as a real process, driven by the official ``mcp`` client over stdio.

Under the egress guard, against the real test relay and the wallet
simulator: the same tools, limits, refusals and audit log as ``agent ask``.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from sovtui.agent.audit import AuditLog
from sovtui.agent.tools import TOOLS
from sovtui.wallet.bolt11 import decode
from sovtui.wallet.ledger import SETTLED
from tests.agent.conftest import PASSPHRASE
from tests.conftest import ROOT
from tests.wallet.simulator import merchant_invoice

pytest.importorskip("mcp")

#: The wallet tools of Alby's MCP server, by name.
ALBY = {"get_info", "get_balance", "make_invoice", "pay_invoice", "lookup_invoice", "list_transactions"}


def server_env(**extra: str) -> dict[str, str]:
    from tests.egress import egress_env

    env = dict(os.environ)
    env.update(egress_env())
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env["PYTHONPATH"]))
    env.update(extra)
    return env


async def session_calls(calls: list[tuple[str, dict[str, Any]]], env: dict[str, str] | None = None) -> tuple[list[Any], list[Any], str]:
    """Start the server, list its tools, make ``calls`` in order; (tools, results, the server's stderr)."""
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "sovtui", "mcp", "--agent", "bot"], env=env or server_env())
    with tempfile.TemporaryFile("w+") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            results = [await session.call_tool(name, arguments) for name, arguments in calls]
        errlog.seek(0)
        return tools, results, errlog.read()


def body(result: Any) -> dict[str, Any]:
    (block,) = result.content
    data = json.loads(block.text)
    assert result.structured_content == data
    return data


async def test_the_same_tools_limits_refusals_and_log_as_agent_ask(ctx, agent_setup):
    sim, service = agent_setup["sim"], agent_setup["service"]
    small, _ = merchant_invoice(200, "within every limit")
    above, _ = merchant_invoice(600, "above approve_under")
    over, _ = merchant_invoice(1_200, "over the credential")
    tools, results, stderr = await session_calls([
        ("get_balance", {}),
        ("pay_invoice", {"invoice": small}),
        ("pay_invoice", {"invoice": over}),
        ("pay_invoice", {"invoice": above}),
        ("get_public_key", {}),
    ])
    assert "Traceback" not in stderr, stderr
    # the same names and JSON schemas as the local model is offered; Alby's wallet tools among them
    assert {t.name: t.input_schema for t in tools} == {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
    assert ALBY <= {t.name for t in tools}
    balance, paid, over_limit, no_one_to_ask, key = results
    assert not balance.is_error and body(balance)["balance_in_sats"] == 100_000
    assert not paid.is_error and body(paid)["state"] == "paid" and body(paid)["amount_in_sats"] == 200
    assert service.ledger("main").find(decode(small).payment_hash).state == SETTLED
    # over the credential: refused, flagged as an error, with the reason the model can repeat
    assert over_limit.is_error and body(over_limit)["refused"]
    assert "over the credential's limit: 799 of 1,000 sats left today" in body(over_limit)["reason"]
    # above approve_under (500): nobody to ask over stdio, so refused
    assert no_one_to_ask.is_error and "nobody is here to ask" in body(no_one_to_ask)["reason"]
    assert sim.count("pay_invoice") == 1
    assert not key.is_error and body(key)["npub"].startswith("npub1")
    # every call is in the agent's log, as agent ask writes it
    log = AuditLog.for_agent(ctx.paths.state_dir, "bot").read()
    assert [(e.tool, e.outcome) for e in log.entries] == [
        ("get_balance", "ok"), ("pay_invoice", "ok"), ("pay_invoice", "refused"), ("pay_invoice", "refused"),
        ("get_public_key", "ok")]
    assert [e.extra.get("rule") for e in log.entries[2:4]] == ["credential", "approval"]


async def test_a_passphrase_file_and_an_unknown_tool(ctx, agent_setup, tmp_path: Path):
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)
    env = server_env()
    env.pop("SOVTUI_PASSPHRASE", None)
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, env=env,
                                   args=["-m", "sovtui", "mcp", "--agent", "bot", "--passphrase-file", str(secret)])
    with tempfile.TemporaryFile("w+") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            made = await session.call_tool("make_invoice", {"amount_in_sats": 21, "description": "tip"})
            unknown = await session.call_tool("send_everything", {})
    assert not made.is_error and body(made)["invoice"].startswith("lnbcrt")
    assert unknown.is_error and "no such tool" in body(unknown)["error"]


def test_stdout_carries_only_json_rpc_and_a_locked_vault_is_refused(agent_setup):
    """Raw JSON-RPC lines: every line on stdout is one message; without a passphrase it says so on stderr."""
    env = server_env()
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}
    lines = [init, {"jsonrpc": "2.0", "method": "notifications/initialized"},
             {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_public_key", "arguments": {}}}]
    # As a client does: stdin stays open until the last reply is in (at end of input the server stops,
    # and a call still in flight then may never be answered: that is the client hanging up, not a reply lost).
    server = subprocess.Popen([sys.executable, "-m", "sovtui", "mcp", "--agent", "bot"], env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert server.stdin is not None and server.stdout is not None
    watchdog = threading.Timer(60, server.kill)  # a server that never answers fails the test, never hangs it
    watchdog.start()
    try:
        server.stdin.write("".join(json.dumps(line) + "\n" for line in lines))
        server.stdin.flush()
        replies = []
        while len(replies) < 2:
            line = server.stdout.readline()
            assert line, "the server ended before it answered"
            replies.append(json.loads(line))  # nothing but JSON-RPC on stdout
        out, err = server.communicate(timeout=60)  # closes stdin: the server ends
    finally:
        watchdog.cancel()
        server.kill() if server.poll() is None else None
    assert server.returncode == 0, err
    assert out == ""  # nothing more after the two replies
    assert [r.get("id") for r in replies] == [1, 2]
    assert replies[1]["result"]["isError"] is False and "npub1" in replies[1]["result"]["content"][0]["text"]
    assert "serving agent bot" in err
    env.pop("SOVTUI_PASSPHRASE")
    proc = subprocess.run([sys.executable, "-m", "sovtui", "mcp", "--agent", "bot"], env=env, capture_output=True, text=True,
                          input="", timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "SOVTUI_PASSPHRASE" in proc.stderr and "Traceback" not in proc.stderr


def test_without_the_mcp_extra_it_prints_the_one_install_command(tmp_path: Path):
    fake = tmp_path / "no_mcp" / "mcp"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = server_env()
    env["PYTHONPATH"] = os.pathsep.join((str(fake.parent), env["PYTHONPATH"]))  # still under the egress guard
    result = subprocess.run([sys.executable, "-m", "sovtui", "mcp", "--agent", "bot"], env=env, capture_output=True,
                            text=True, input="", timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    assert "pip install 'sovtui[mcp]'" in result.stderr and "Traceback" not in result.stderr
