"""``sovtui models``: list, pull, remove, inspect and unload models on a host.

Names, families, templates and pull status lines come from the host: they are
printed through ``safe_line`` (tables via ``print_table``), never as they are.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from sovtui.cli.common import add_host_option, add_json_option, confirm, is_tty, run
from sovtui.cli.output import print_json, print_table
from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.text import safe_line

if TYPE_CHECKING:
    from sovtui.inference.types import LoadedModel, ModelInfo, PullProgress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list, pull, remove and inspect models", description="Manage the models on an Ollama host.")
    parser.set_defaults(group_parser=parser)
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION")

    p = sub.add_parser("list", aliases=["ls"], help="installed models")
    add_host_option(p)
    add_json_option(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("pull", help="download a model (progress; ctrl+c cancels, run again to resume)")
    p.add_argument("name", help="e.g. qwen3:0.6b")
    add_host_option(p)
    p.set_defaults(handler=cmd_pull)

    p = sub.add_parser("rm", help="delete a model")
    p.add_argument("name")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_host_option(p)
    p.set_defaults(handler=cmd_rm)

    p = sub.add_parser("ps", help="models loaded in memory")
    add_host_option(p)
    add_json_option(p)
    p.set_defaults(handler=cmd_ps)

    p = sub.add_parser("show", help="a model's details: capabilities, context, template, license")
    p.add_argument("name")
    add_host_option(p)
    add_json_option(p)
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("cp", help="copy a model under a new name")
    p.add_argument("source")
    p.add_argument("destination")
    add_host_option(p)
    p.set_defaults(handler=cmd_cp)

    p = sub.add_parser("unload", help="free a loaded model's memory now")
    p.add_argument("name")
    add_host_option(p)
    p.set_defaults(handler=cmd_unload)

    p = sub.add_parser("default", help="make a model the default for chats")
    p.add_argument("name")
    add_host_option(p)
    p.set_defaults(handler=cmd_default)

    p = sub.add_parser("suggest", help="models that fit this machine's memory")
    add_json_option(p)
    p.set_defaults(handler=cmd_suggest)


def _size(n: int) -> str:
    from sovtui.inference.types import human_size

    return human_size(n)


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    async def go() -> list[ModelInfo]:
        async with ctx.backend(args.host) as backend:
            return await backend.list_models()

    models = run(go())
    if args.json:
        print_json(
            [
                {
                    "name": m.name,
                    "size": m.size,
                    "parameter_size": m.parameter_size,
                    "quantization": m.quantization,
                    "family": m.family,
                    "modified": m.modified.isoformat() if m.modified else None,
                    "digest": m.digest,
                }
                for m in models
            ]
        )
        return 0
    if not models:
        print("no models installed: try 'sovtui models suggest', then 'sovtui models pull NAME'", file=sys.stderr)
        return 0
    rows = [
        [m.name, _size(m.size), m.parameter_size, m.quantization, m.family, m.modified.strftime("%Y-%m-%d %H:%M") if m.modified else ""]
        for m in models
    ]
    print_table(rows, ["NAME", "SIZE", "PARAMS", "QUANT", "FAMILY", "MODIFIED"])
    return 0


def pull_line(progress: PullProgress) -> str:
    """One line of a pull's progress; the status is the host's words, made safe."""
    from sovtui.inference.types import human_duration, human_size

    status = safe_line(progress.status)
    if progress.total and progress.digest:
        return (
            f"{status}: {progress.percent:5.1f}% {human_size(progress.completed)}/"
            f"{human_size(progress.total)} {human_size(progress.speed)}/s ETA {human_duration(progress.eta)}"
        )
    return status


def cmd_pull(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.models import check_model_name

    args.name = check_model_name(args.name)
    target = ctx.host(args.host)
    tty = is_tty(sys.stderr)
    print(f"pulling {args.name} onto {safe_line(target.label)}", file=sys.stderr)

    async def go() -> None:
        async with ctx.backend(args.host) as backend:
            last_line = ""
            last_print = 0.0
            async for progress in backend.pull(args.name):
                line = pull_line(progress)
                if tty:
                    width = 30
                    filled = int(width * progress.percent / 100)
                    bar = "█" * filled + "░" * (width - filled)
                    sys.stderr.write(f"\r\x1b[2K{bar} {line}"[:200])
                    sys.stderr.flush()
                else:
                    now = time.monotonic()
                    changed = line.split(":")[0] != last_line.split(":")[0]
                    if changed or now - last_print >= 1.0 or progress.done:
                        print(line, file=sys.stderr, flush=True)
                        last_print = now
                last_line = line
            if tty:
                sys.stderr.write("\n")

    try:
        run(go())
    except KeyboardInterrupt:
        print(f"\npull of {args.name} cancelled: run the same command to resume", file=sys.stderr)
        return 130
    print(f"{args.name} is ready on {target.name}")
    return 0


def cmd_rm(args: argparse.Namespace, ctx: Context) -> int:
    target = ctx.host(args.host)
    if not args.yes:
        if not is_tty(sys.stdin):
            raise UsageError(f"not deleting {args.name} without confirmation: add --yes")
        if not confirm(f"delete {args.name} from {target.label}?"):
            print("nothing deleted", file=sys.stderr)
            return 1

    from sovtui.inference.models import delete_model

    run(delete_model(ctx, args.name, args.host))
    print(f"deleted {args.name} from {target.name}")
    return 0


def cmd_ps(args: argparse.Namespace, ctx: Context) -> int:
    async def go() -> list[LoadedModel]:
        async with ctx.backend(args.host) as backend:
            return await backend.ps()

    loaded = run(go())
    if args.json:
        print_json(
            [
                {
                    "name": m.name,
                    "size": m.size,
                    "size_vram": m.size_vram,
                    "size_ram": m.size_ram,
                    "expires_at": m.expires_at.isoformat() if m.expires_at else None,
                    "context_length": m.context_length,
                }
                for m in loaded
            ]
        )
        return 0
    if not loaded:
        print("no model is loaded", file=sys.stderr)
        return 0
    rows = [
        [m.name, _size(m.size), _size(m.size_ram), _size(m.size_vram), m.expires_at.astimezone().strftime("%H:%M:%S") if m.expires_at else ""]
        for m in loaded
    ]
    print_table(rows, ["NAME", "SIZE", "RAM", "VRAM", "UNTIL"])
    return 0


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.models import model_details

    details = run(model_details(ctx, args.name, args.host))
    data = {
        "name": details.name,
        "family": details.family,
        "parameter_size": details.parameter_size,
        "quantization": details.quantization,
        "capabilities": list(details.capabilities),
        "context_length": details.context_length,
        "template": details.template,
        "license": details.license,
        "parameters": details.parameters,
    }
    if args.json:
        print_json(data)
        return 0
    for key, value in (("name", details.name), ("family", details.family), ("parameter_size", details.parameter_size), ("quantization", details.quantization)):
        print(f"{key}: {safe_line(value)}")
    print(f"capabilities: {safe_line(', '.join(details.capabilities)) or '-'}")
    print(f"context_length: {details.context_length or '-'}")
    print(f"license: {safe_line((details.license.splitlines() or ['-'])[0])}")
    print("template:")
    for line in details.template.splitlines():
        print(f"  {safe_line(line)}")
    return 0


def cmd_cp(args: argparse.Namespace, ctx: Context) -> int:
    async def go() -> None:
        async with ctx.backend(args.host) as backend:
            await backend.copy(args.source, args.destination)

    run(go())
    print(f"copied {args.source} to {args.destination}")
    return 0


def cmd_unload(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.models import unload_model

    run(unload_model(ctx, args.name, args.host))
    print(f"unloaded {args.name}")
    return 0


def cmd_default(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.models import set_default_model

    name = run(set_default_model(ctx, args.name, args.host))
    print(f"default model: {safe_line(name)}")
    return 0


def cmd_suggest(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.suggest import suggestions

    found = suggestions()
    if args.json:
        print_json([{"name": s.name, "why": s.why} for s in found])
    else:
        for s in found:
            print(f"{s.name}  {s.why}")
    return 0
