"""``sovtui agent``: agents that act with their own key and money, within the credential their owner signed.

An agent is an agent key (``sovtui keys new --label bot --role agent``), a
live credential from an owner key (``sovtui keys credential issue``) and a
wallet (``[agents.NAME] wallet``; with one wallet connected, that one). Its
model calls Alby's wallet tools (get_info, get_balance, make_invoice,
pay_invoice, lookup_invoice, list_transactions) and get_public_key and
sign_note. Payments pass the credential's limit, the wallet's budget and
your approval: below ``approve_under`` sats without asking, else a y/N
prompt on the terminal, and refused when nobody is there to ask.
Everything a model, a wallet or an invoice says is shown with its control
characters removed. See docs/agents.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TextIO

from sovtui.cli.common import add_host_option, add_json_option, described, run
from sovtui.cli.output import print_json, print_table
from sovtui.cli.passphrase import add_passphrase_option, unlock_headless
from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.text import safe_line, safe_text

if TYPE_CHECKING:
    from sovtui.agent.guard import ApprovalRequest


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("agent", help="agents that pay, invoice and sign within their credential", description=described(__doc__))
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

    p = sub.add_parser("serve", help="answer the owner's private Nostr messages (NIP-17), until stopped",
                       description=SERVE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help="the agent key's label")
    p.add_argument("--relay", action="append", metavar="URL",
                   help="a relay to take messages on (repeatable; default: [agents.NAME] relays, else [nostr] relays)")
    p.add_argument("-m", "--model", help="a model that can use tools (default: [agents.NAME] model, else [inference] model)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("service", help="write a systemd user unit that runs 'agent serve NAME', and say how to enable it",
                       description=SERVICE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help="the agent key's label")
    p.add_argument("--relay", action="append", metavar="URL", help="passed to 'agent serve' (repeatable)")
    p.add_argument("-m", "--model", help="passed to 'agent serve'")
    p.add_argument("--passphrase-file", metavar="PATH",
                   help="the file systemd hands the service as a credential (default: NAME.pass in sovtui's config folder)")
    add_json_option(p)
    p.set_defaults(handler=cmd_service)

    p = sub.add_parser("log", help="what the agent did: every tool call, its arguments and outcome")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=50, help="the newest N (default 50; 0: all)")
    add_json_option(p)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_log)


SERVE_HELP = """\
Run the agent as a long-lived service: it takes NIP-17 private messages (gift
wraps) addressed to its key on its relays, from its owner (the issuer of its
live credential) and the keys in [agents.NAME] allow, and answers each with
its model, tools and limits, end to end encrypted. Anyone else is ignored.
A payment that needs approval is asked by message: reply `yes CODE` to pay.

The vault is unlocked headless: --passphrase-file PATH, or SOVTUI_PASSPHRASE
(removed from the environment at once). SIGTERM or ctrl+c finishes the reply
in flight, saves and exits 0. Logs go to stderr (the journal under systemd).
See docs/agents.md, "Reaching your agent".
"""

SERVICE_HELP = """\
Write ~/.config/systemd/user/sovtui-agent-NAME.service, which runs
'sovtui agent serve NAME' under your user's systemd: restarted on failure,
logging to the journal, the vault passphrase handed over by systemd's
LoadCredential from a file only you can read (never in the unit or argv).
Prints the two commands that enable and start it.
"""


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


def owner_terminal() -> Any:
    """A terminal to ask the owner on: /dev/tty when this runs on one (stdin may carry the prompt), else None."""
    if not (sys.stdin.isatty() or sys.stderr.isatty()):
        return None
    try:
        return open("/dev/tty", "r+", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by the caller
    except OSError:
        return sys.stdin if sys.stdin.isatty() else None


def terminal_approver(terminal: TextIO) -> Callable[[ApprovalRequest], Awaitable[bool]]:
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
    terminal = owner_terminal()
    runner = AgentRunner(ctx, args.name, approve=terminal_approver(terminal) if terminal is not None else None,
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


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    import asyncio
    import logging
    import os
    import signal

    # Out of the environment before anything else runs: no child, no crash report, no /proc/PID/environ reader later.
    passphrase = os.environ.pop("SOVTUI_PASSPHRASE", None)
    from sovtui.agent.agents import load_agent
    from sovtui.agent.serve import AgentService, serve_relays

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("sovtui agent serve: %(message)s"))
    serve_log = logging.getLogger("sovtui.agent.serve")
    serve_log.addHandler(handler)
    serve_log.setLevel(logging.INFO)
    try:
        unlock_headless(ctx, args, passphrase, no_passphrase=(
            "the vault passphrase is needed to serve an agent: use --passphrase-file PATH (mode 0600) or set SOVTUI_PASSPHRASE"))
        passphrase = None
        agent = load_agent(ctx, args.name)
        relays = serve_relays(ctx, args.name, args.relay)
        service = AgentService(ctx, agent.name, relays=relays, model=args.model)

        async def go() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            try:
                await service.run(stop)
            finally:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)

        run(go())
        print(f"sovtui agent serve: stopped; answered {service.answered} message(s)", file=sys.stderr)
    finally:
        serve_log.removeHandler(handler)
    return 0


def _systemd_quote(word: str) -> str:
    if word and all(c.isalnum() or c in "/._-:=@+%" for c in word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def service_unit(ctx: Context, name: str, *, command: list[str], passphrase_file: str | None,
                 relays: list[str] | None = None, model: str | None = None) -> str:
    """The text of the systemd user unit that runs ``agent serve NAME``."""
    import os

    argv = [*command, "agent", "serve", name]
    for url in relays or []:
        argv += ["--relay", url]
    if model:
        argv += ["-m", model]
    lines = ["[Unit]", f"Description=sovtui agent {name}: answers its owner's private Nostr messages",
             "After=network-online.target", "Wants=network-online.target", "", "[Service]", "Type=simple"]
    if passphrase_file:
        if any(c.isspace() or c in "\"'\\" for c in passphrase_file):
            raise UsageError(f"systemd cannot load a credential from {safe_line(passphrase_file)!r}: "
                             "choose a passphrase file whose path has no spaces or quotes")
        lines.append(f"LoadCredential=passphrase:{passphrase_file.replace('%', '%%')}")
        argv += ["--passphrase-file", "%d/passphrase"]
    lines.append("ExecStart=" + " ".join(_systemd_quote(w) for w in argv))
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        if os.environ.get(variable):
            lines.append(f"Environment={_systemd_quote(variable + '=' + os.environ[variable])}")
    lines += ["Environment=PYTHONUNBUFFERED=1", "Restart=on-failure", "RestartSec=10", "TimeoutStopSec=15",
              "", "[Install]", "WantedBy=default.target", ""]
    return "\n".join(lines)


def cmd_service(args: argparse.Namespace, ctx: Context) -> int:
    import os
    import shutil
    from pathlib import Path

    from sovtui.agent.serve import serve_relays
    from sovtui.files import atomic_write
    from sovtui.identity.access import Opening, opening

    serve_relays(ctx, args.name, args.relay)  # a unit that cannot start is refused now, not in the journal later
    needs = opening(ctx.vault)
    passphrase_file: str | None = None
    if needs is not Opening.UNPROTECTED:
        path = Path(args.passphrase_file).expanduser() if args.passphrase_file else ctx.paths.config_dir / f"{args.name}.pass"
        passphrase_file = str(path.absolute())
    found = shutil.which("sovtui")
    command = [found] if found else [sys.executable, "-m", "sovtui"]
    unit_name = f"sovtui-agent-{args.name}.service"
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    folder = config_home / "systemd" / "user"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    unit = folder / unit_name
    atomic_write(unit, service_unit(ctx, args.name, command=command, passphrase_file=passphrase_file,
                                    relays=args.relay, model=args.model), private_dir=False)
    commands = ["systemctl --user daemon-reload", f"systemctl --user enable --now {unit_name}"]
    passphrase_ready = passphrase_file is None or Path(passphrase_file).is_file()
    if args.json:
        print_json({"unit": str(unit), "name": unit_name, "passphrase_file": passphrase_file,
                    "passphrase_file_exists": passphrase_ready, "commands": commands})
        return 0
    print(f"wrote {unit}")
    if passphrase_file and not passphrase_ready:
        print(f"put the vault passphrase in {passphrase_file} first (one line), then: chmod 600 {passphrase_file}")
    print("enable and start it with:")
    for line in commands:
        print(f"  {line}")
    print(f"follow it with: journalctl --user -u {unit_name} -f")
    return 0
