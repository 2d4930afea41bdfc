"""``sovtui agent``: agents that act with their own key and money, within the credential their owner signed.

An agent is an agent key (``sovtui keys new --label bot --role agent``), a
live credential from an owner key (``sovtui keys credential issue``) and a
wallet (``[agents.NAME] wallet``; with one wallet connected, that one). Its
model calls Alby's wallet tools (get_info, get_balance, make_invoice,
pay_invoice, lookup_invoice, list_transactions) and get_public_key and
sign_note. Payments pass the credential's limit, the wallet's budget and
your approval: below ``approve_under`` sats without asking, else a y/N
prompt on the terminal, and refused when nobody is there to ask.
Everything a model, a wallet or an invoice says is shown through
sovtui.text.safe_text / safe_line. See docs/agents.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TextIO

from sovtui.cli.common import add_host_option, add_json_option, run
from sovtui.cli.output import print_json, print_table
from sovtui.cli.passphrase import add_passphrase_option
from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.text import safe_line, safe_text

if TYPE_CHECKING:
    from sovtui.agent.guard import ApprovalRequest


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("agent", help="agents that pay, invoice and sign within their credential", description=__doc__)
    parser.set_defaults(group_parser=parser)
    sub = parser.add_subparsers(dest="agent_command", metavar="ACTION")

    p = sub.add_parser("list", help="every agent: owner, wallet, limit, spent and left this period, state")
    add_json_option(p)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("ask", help="one exchange with an agent, tool calls included (the prompt as an argument or on stdin)")
    p.add_argument("name", help="the agent key's label")
    p.add_argument("prompt", nargs="?", help="the prompt (default: read from stdin)")
    p.add_argument("-m", "--model", help="a model that can use tools (default: [agents.NAME] model, else [inference] model)")
    p.add_argument("--approve-under", type=int, metavar="SATS",
                   help="pay without asking below SATS for this run (never above the credential's limit or the budget)")
    add_host_option(p)
    add_json_option(p)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("log", help="what the agent did: every tool call, its arguments and outcome")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=50, help="the newest N (default 50; 0: all)")
    add_json_option(p)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_log)


def _when(moment: float) -> str:
    from sovtui.wallet.views import format_time

    return format_time(moment, "%Y-%m-%d %H:%M:%S")


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.agent.agents import list_agents
    from sovtui.cli.keys_cmd import open_vault

    open_vault(ctx, args)  # the agent keys' labels are in the vault
    rows = list_agents(ctx)
    if args.json:
        print_json([row.to_dict() for row in rows])
        return 0
    if not rows:
        print("no agent keys yet: make one with 'sovtui keys new --label bot --role agent'", file=sys.stderr)
        return 0

    def sats(value: int | None) -> str:
        return "—" if value is None else f"{value:,}"

    print_table([[r.agent.name, r.agent.state, r.owner or "—", r.agent.wallet or "—",
                  f"{sats(r.limit_sats)}/{r.period}" if r.limit_sats is not None else "—", sats(r.spent_sats), sats(r.left_sats)]
                 for r in rows], ["AGENT", "STATE", "OWNER", "WALLET", "LIMIT", "SPENT", "LEFT"])
    return 0


def _terminal() -> Any:
    """A terminal to ask the owner on: /dev/tty when this runs on one (stdin may carry the prompt), else None."""
    if not (sys.stdin.isatty() or sys.stderr.isatty()):
        return None
    try:
        return open("/dev/tty", "r+", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by the caller
    except OSError:
        return sys.stdin if sys.stdin.isatty() else None


def _approver(terminal: TextIO) -> Callable[[ApprovalRequest], Awaitable[bool]]:
    import asyncio

    async def approve(request: ApprovalRequest) -> bool:
        def ask() -> bool:
            out = terminal if terminal is not sys.stdin else sys.stderr
            for label, value in request.summary():
                out.write(f"{label:>14}: {safe_line(value)}\n")
            out.write(f"{safe_line(request.question())} [y/N] ")
            out.flush()
            answer = terminal.readline()
            return answer.strip().lower() in ("y", "yes")

        return await asyncio.to_thread(ask)

    return approve


def cmd_ask(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.agent.runner import AgentRunner
    from sovtui.chat.models import Conversation
    from sovtui.cli.keys_cmd import open_vault

    if args.approve_under is not None and args.approve_under < 0:
        raise UsageError("--approve-under is a whole number of sats, 0 or more")
    prompt = args.prompt
    if prompt is None:
        if sys.stdin.isatty():
            raise UsageError("give the prompt as an argument, or pipe it on stdin")
        prompt = sys.stdin.read()
    if not prompt.strip():
        raise UsageError("nothing to send: the prompt is empty")
    from sovtui.agent.agents import load_agent

    open_vault(ctx, args)
    load_agent(ctx, args.name)
    terminal = _terminal()
    runner = AgentRunner(ctx, args.name, approve=_approver(terminal) if terminal is not None else None,
                         approve_under=args.approve_under, model=args.model, host=args.host)
    conversation = Conversation()
    calls: list[dict[str, Any]] = []

    async def go() -> str:
        reply = ""
        async for event in runner.exchange(conversation, prompt):
            if event.kind == "content":
                reply += event.text
                if not args.json:
                    sys.stdout.write(safe_text(event.text))
                    sys.stdout.flush()
            elif event.kind == "tool_call" and event.call is not None:
                shown = ", ".join(f"{k}={_short(v)}" for k, v in event.call.arguments.items())
                print(f"  → {safe_line(event.call.name)}({safe_line(shown)})", file=sys.stderr)
            elif event.kind == "tool_result" and event.result is not None:
                calls.append(event.result.to_dict())
                print(f"  ← {safe_line(event.result.name)}: {event.result.summary()}", file=sys.stderr)
        return reply

    try:
        reply = run(go())
    finally:
        if terminal is not None and terminal is not sys.stdin:
            terminal.close()
    if args.json:
        print_json({"agent": args.name, "model": conversation.model, "host": conversation.host, "reply": reply,
                    "tool_calls": calls, "messages": [m.to_dict() for m in conversation.messages]})
    else:
        sys.stdout.write("\n")
    return 0


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:14]}…{text[-6:]}"


def cmd_log(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.agent.agents import load_agent
    from sovtui.agent.audit import AuditLog

    from sovtui.cli.keys_cmd import open_vault

    open_vault(ctx, args)
    load_agent(ctx, args.name)
    log = AuditLog.for_agent(ctx.paths.state_dir, args.name)
    read = log.read(limit=args.limit or None)
    for number in read.damaged:
        print(f"sovtui: line {number} of {log.path} is damaged and was skipped", file=sys.stderr)
    if args.json:
        print_json([e.to_dict() for e in read.entries])
        return 0
    if not read.entries:
        print(f"{args.name} has made no tool calls yet", file=sys.stderr)
        return 0
    print_table([[_when(e.time), e.tool, e.outcome, f"{e.sats:,}" if e.sats else "", e.detail[:80]] for e in read.entries],
                ["TIME", "TOOL", "OUTCOME", "SATS", "DETAIL"])
    return 0
