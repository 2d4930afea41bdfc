"""``sovtui backend``: the model server on this machine: status, start, stop.

``ollama serve`` for an Ollama host; with ``--host builtin``, the built-in
engine (llama-cpp-python's server, ``sovtui/inference/builtin.py``).
"""

from __future__ import annotations

import argparse
import sys

from sovtui.cli.common import add_host_option, add_json_option, is_tty, run
from sovtui.cli.output import print_json, print_pairs
from sovtui.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backend", help="status, start and stop the model server (Ollama, or --host builtin)",
        description="The Ollama server sovtui talks to, or with --host builtin the built-in engine (llama-cpp-python).",
    )
    parser.set_defaults(group_parser=parser)
    sub = parser.add_subparsers(dest="backend_command", metavar="ACTION")

    p = sub.add_parser("status", help="is it answering, which version, did sovtui start it")
    add_host_option(p)
    add_json_option(p)
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("start", help="start 'ollama serve' here if nothing answers (keeps running afterwards)")
    add_host_option(p)
    p.set_defaults(handler=cmd_start)

    p = sub.add_parser("stop", help="stop the server sovtui started (never one it did not)")
    add_host_option(p)
    p.set_defaults(handler=cmd_stop)


def _not_installed(ctx: Context, host: str | None) -> str:
    from sovtui.inference.builtin import install_command, is_builtin

    if is_builtin(host, ctx.config):
        return f"not installed (install with: {install_command()})"
    return "not found (install from https://ollama.com/download)"


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    server = ctx.server(args.host)
    status = run(server.status())
    if args.json:
        print_json({**status.to_dict(), "state": status.summary})
        return 0
    # The version is the server's own words: print_pairs shows each value as one safe line.
    print_pairs(
        {
            "host": f"{status.host} ({status.locality})",
            "url": status.url,
            "state": status.summary,
            "version": status.version or "-",
            "binary": status.binary or _not_installed(ctx, args.host),
            "log": status.log,
        }
    )
    return 0


def cmd_start(args: argparse.Namespace, ctx: Context) -> int:
    server = ctx.server(args.host)
    tty = is_tty(sys.stderr)
    shown = {"last": -1}

    def progress(message: str, elapsed: float) -> None:
        second = int(elapsed)
        if second != shown["last"]:
            shown["last"] = second
            if tty:
                sys.stderr.write(f"\r\x1b[2K{message}... {second}s")
                sys.stderr.flush()
            else:
                print(f"{message}... {second}s", file=sys.stderr, flush=True)

    try:
        status = run(server.start(progress))
    finally:
        if tty and shown["last"] >= 0:
            sys.stderr.write("\n")
    engine = server.engine
    if status.managed:
        print(f"{engine} is running at {status.url} (started by sovtui, pid {status.pid}); log: {status.log}")
    else:
        print(f"{engine} is already running at {status.url} (not started by sovtui)")
    return 0


def cmd_stop(args: argparse.Namespace, ctx: Context) -> int:
    print(run(ctx.server(args.host).stop()))
    return 0
