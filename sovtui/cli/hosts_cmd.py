"""``sovtui hosts``: the model servers sovtui may send prompts to.

An Ollama host (``http://gpu-box:11434``) or an OpenAI-compatible one
(llama-server, vLLM, LM Studio, a cloud API: ``http://gpu-box:8000/v1``).
``key`` reads a host's API key from stdin (no echo on a terminal) into the
vault: never argv, never config.toml. Where each host is (this machine, the
private network, the public internet) is shown beside it.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from sovtui.cli.common import add_json_option, confirm, is_tty, run
from sovtui.cli.output import print_json, print_table
from sovtui.cli.passphrase import add_passphrase_option
from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.text import safe_line

if TYPE_CHECKING:
    from sovtui.config import Config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "hosts", help="the model servers: Ollama and OpenAI-compatible (llama-server, vLLM, LM Studio)",
        description="The model servers prompts may go to: Ollama hosts, and OpenAI-compatible servers "
        "(llama.cpp's llama-server, vLLM, LM Studio, LocalAI, or a cloud API as a deliberate exception).",
    )
    parser.set_defaults(group_parser=parser)
    sub = parser.add_subparsers(dest="hosts_command", metavar="ACTION")

    p = sub.add_parser("list", aliases=["ls"], help="the hosts and pools, where each one is")
    add_json_option(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser(
        "add", help="add a host",
        description="Add a model server. The URL as the server documents it: http://gpu-box:11434 for Ollama, "
        "the OpenAI base URL (http://gpu-box:8000/v1) for the others; a URL with no path gets /v1.",
    )
    p.add_argument("name", help="the name to use with --host (letters, digits, . _ -)")
    p.add_argument("url", help="e.g. http://gpu-box:11434 or http://gpu-box:8000/v1")
    p.add_argument("--api", choices=("ollama", "openai"), help="the API it speaks (default: openai if the URL ends in /v1, else ollama)")
    p.add_argument("--replace", action="store_true", help="change a host already there")
    p.add_argument("--default", action="store_true", help="make it the host chats use by default")
    add_json_option(p)
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("rm", help="remove a host (and its API key)")
    p.add_argument("name")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_rm)

    p = sub.add_parser("test", help="ask a host for its models: does it answer, how fast, with which models")
    p.add_argument("name", nargs="?", help="default: the default host")
    add_json_option(p)
    p.set_defaults(handler=cmd_test)

    p = sub.add_parser(
        "key", help="keep a host's API key in the vault (read from stdin; an empty line removes it)",
        description="Read the host's API key from stdin (typed without echo on a terminal, or piped) and keep it in "
        "the vault, encrypted under its passphrase. An empty line removes it. Never put a key in config.toml or argv.",
    )
    p.add_argument("name")
    p.add_argument("--unprotected", action="store_true", help="when creating the vault: no passphrase (plain text, 0600)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_key)


def _has_key(ctx: Context, name: str) -> bool:
    from sovtui.errors import SovtuiError
    from sovtui.inference.keys import has_key

    try:
        return has_key(ctx.vault, name)
    except SovtuiError:
        return False


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.hostbook import host_rows

    config = ctx.config
    hosts: list[dict[str, Any]] = [
        {"name": row.name, "api": row.api, "url": row.url, "locality": row.where, "default": row.name == config.inference.host,
         "key": _has_key(ctx, row.name) if row.api == "openai" and not row.builtin else False}
        for row in host_rows(ctx)
    ]
    pools: list[dict[str, Any]] = [{"name": name, "hosts": list(pool.hosts), "default": name == config.inference.host} for name, pool in sorted(config.pools.items())]
    if args.json:
        print_json({"hosts": hosts, "pools": pools})
        return 0
    rows = [[("* " if h["default"] else "  ") + h["name"], h["api"], h["url"] or "not running", h["locality"], "yes" if h["key"] else "-"]
            for h in hosts]
    print_table(rows, ["  NAME", "API", "URL", "WHERE", "KEY"])
    if pools:
        print()
        print_table([[("* " if p["default"] else "  ") + p["name"], ", ".join(p["hosts"])] for p in pools], ["  POOL", "HOSTS (in order)"])
    return 0


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.hostbook import add_host

    target = add_host(ctx, args.name, args.url, args.api, replace=args.replace)
    if args.default:
        def change(config: Config) -> None:
            config.inference.host = target.name

        ctx.update_config(change)
    if args.json:
        print_json({"name": target.name, "api": target.api, "url": target.url, "locality": target.locality.label, "default": args.default})
        return 0
    print(f"added {safe_line(target.name)}: {target.kind} at {safe_line(target.url)} ({target.locality.label})")
    if target.locality.is_public:
        print("  on the public internet: your words leave your network; each conversation asks before its first prompt goes there")
    if target.is_openai:
        print(f"  if it needs an API key: sovtui hosts key {target.name}")
    print(f"  try it: sovtui hosts test {target.name}")
    return 0


def cmd_rm(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.hostbook import in_use, remove_host, users_of

    name = args.name
    config = ctx.config
    if name not in config.hosts:
        raise UsageError(f"no host named {name!r} in config.toml (known: {', '.join(sorted(config.hosts)) or 'none'})")
    users = users_of(config, name)
    if users:
        raise in_use(name, users)
    if not args.yes:
        if not is_tty(sys.stdin):
            raise UsageError("pass --yes to remove a host without a terminal to ask on")
        if not confirm(f"Remove the host {name} ({safe_line(config.hosts[name].url)})?"):
            print("nothing removed")
            return 1
    keyed = _has_key(ctx, name)
    if keyed:  # the key goes with its host: open the vault first, so a refusal leaves both
        from sovtui.cli.keys_cmd import open_vault

        open_vault(ctx, args)
    remove_host(ctx, name)
    if keyed:
        from sovtui.inference.keys import remove_api_key

        remove_api_key(ctx.vault, name)
    print(f"removed {safe_line(name)}" + (" and its API key" if keyed else ""))
    return 0


def cmd_test(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.hostbook import test_host

    check = run(test_host(ctx, args.name))
    if args.json:
        print_json(check.to_dict())
        return 0 if check.answering else 1
    kind = "OpenAI-compatible" if check.api == "openai" else "Ollama"
    where = f"{safe_line(check.name)}: {kind} at {safe_line(check.url)} ({check.locality})"
    if not check.answering:
        print(f"{where}: not answering", file=sys.stderr)
        print(f"sovtui: {safe_line(check.error)}", file=sys.stderr)
        return 1
    shown = ", ".join(safe_line(m) for m in check.models[:8]) + (" ..." if len(check.models) > 8 else "")
    print(f"{where}: answers in {check.latency_ms:.0f} ms with {len(check.models)} model(s){': ' + shown if shown else ''}")
    if check.api == "openai":
        print(f"  API key: {'in the vault' if check.has_key else 'none'}")
    return 0


def _read_key(name: str) -> str:
    if is_tty(sys.stdin):
        import getpass

        return getpass.getpass(f"API key for {name} (empty removes it): ")
    return sys.stdin.readline()


def cmd_key(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.cli.keys_cmd import open_vault
    from sovtui.inference.hostbook import set_key

    target = ctx.host(args.name)
    if not target.is_openai:
        raise UsageError(f"{target.name} is an Ollama host: Ollama takes no API key (only OpenAI-compatible hosts do)")
    key = _read_key(target.name).strip()
    if not key and not _has_key(ctx, target.name):
        print(f"{safe_line(target.name)} has no API key: nothing to remove")
        return 0
    open_vault(ctx, args, create=bool(key))
    if set_key(ctx, target.name, key):
        print(f"kept the API key of {safe_line(target.name)} in the vault")
    else:
        print(f"removed the API key of {safe_line(target.name)}")
    return 0
