"""``sovtui models``: list, pull, remove, inspect and unload models on a host.

With ``--host builtin`` (or when the built-in engine is the default host)
the models are GGUF files in the data folder (``inference/gguf.py``):
``add`` puts one there, ``pull hf:OWNER/REPO:QUANT`` downloads one from
Hugging Face (``inference/hf.py``), ``rm`` deletes it, and a running engine
is restarted to serve the change.

Names, families, templates and pull status lines come from the host: they are
printed through ``safe_line`` (tables via ``print_table``), never as they are.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING

from sovtui.cli.common import add_host_option, add_json_option, confirm, is_tty, run
from sovtui.cli.output import print_json, print_table
from sovtui.context import Context
from sovtui.errors import UsageError
from sovtui.text import safe_line

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Coroutine
    from typing import Any

    from sovtui.inference.types import LoadedModel, ModelInfo, PullProgress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list, pull, remove and inspect models", description="Manage the models on a host: Ollama, the built-in engine, or an OpenAI-compatible server (list and show only).")
    parser.set_defaults(group_parser=parser)
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION")

    p = sub.add_parser("list", aliases=["ls"], help="installed models")
    add_host_option(p)
    add_json_option(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser(
        "pull",
        help="download a model (progress; ctrl+c cancels, run again to resume)",
        description="Download a model onto an Ollama host, or for the built-in engine a GGUF file from Hugging Face "
        "(hf:OWNER/REPO:QUANT --host builtin: over the public internet, checked against the sha256 Hugging Face lists).",
    )
    p.add_argument("name", help="e.g. qwen3:0.6b, or hf:Qwen/Qwen3-0.6B-GGUF:Q4_K_M for the built-in engine")
    p.add_argument("--name", dest="as_name", metavar="NAME", help="built-in engine: the name to keep the model under")
    add_host_option(p)
    p.set_defaults(handler=cmd_pull)

    p = sub.add_parser(
        "add",
        help="add a GGUF file to the built-in engine (hard-linked, or copied)",
        description="Add a GGUF model file to the built-in engine's models (the data folder's models/). "
        "The file is checked to be GGUF; it is hard-linked when it can be, so it takes no second copy of the space.",
    )
    p.add_argument("file", help="a .gguf file")
    p.add_argument("--name", help="the model's name (default: the file's name without .gguf)")
    add_json_option(p)
    p.set_defaults(handler=cmd_add)

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

    p = sub.add_parser(
        "default", help="make a model the default for chats",
        description="Make a model the default for new chats. With --host, that host becomes the default host too.",
    )
    p.add_argument("name")
    add_host_option(p)
    p.set_defaults(handler=cmd_default)

    p = sub.add_parser("suggest", help="models that fit this machine's memory")
    add_host_option(p)
    add_json_option(p)
    p.set_defaults(handler=cmd_suggest)


def _size(n: int) -> str:
    from sovtui.inference.types import human_size

    return human_size(n)


def _builtin(ctx: Context, host: str | None) -> bool:
    from sovtui.inference.builtin import is_builtin

    return is_builtin(host, ctx.config)


def _refresh_engine(ctx: Context) -> None:
    """A running built-in engine serves what the folder now holds (it restarts)."""
    server = ctx.builtin_server()
    if server.managed_pid() is not None:
        print("restarting the built-in engine to serve the change...", file=sys.stderr)
        run(server.refresh())


def cmd_list_builtin(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.gguf import list_models

    models = list_models(ctx.paths)
    if args.json:
        print_json([m.to_dict() for m in models])
        return 0
    if not models:
        print(
            "no models for the built-in engine: add a GGUF file with 'sovtui models add FILE.gguf', "
            "or see 'sovtui models suggest --host builtin'",
            file=sys.stderr,
        )
        return 0
    rows = [
        [m.name, _size(m.size), m.parameter_size, m.quantization, m.architecture, m.modified.astimezone().strftime("%Y-%m-%d %H:%M") if m.modified else ""]
        for m in models
    ]
    print_table(rows, ["NAME", "SIZE", "PARAMS", "QUANT", "FAMILY", "MODIFIED"])
    return 0


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    from pathlib import Path

    from sovtui.inference.gguf import add_model

    tty = is_tty(sys.stderr)

    def progress(done: int, total: int) -> None:
        if tty:
            sys.stderr.write(f"\r\x1b[2Kcopying {100 * done / max(total, 1):5.1f}% of {_size(total)}")
            sys.stderr.flush()

    model, how = add_model(ctx.paths, Path(args.file), args.name, progress=progress)
    if tty and how == "copied":
        sys.stderr.write("\n")
    if args.json:
        print_json({**model.to_dict(), "how": how})
    else:
        print(f"added {safe_line(model.name)} ({how}; {_size(model.size)} {safe_line(model.quantization)}): chat with it: sovtui chat --host builtin -m {safe_line(model.name)}")
    _refresh_engine(ctx)
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    if _builtin(ctx, args.host):
        return cmd_list_builtin(args, ctx)

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


def _show_pull(pulls: AsyncIterator[PullProgress]) -> Coroutine[Any, Any, None]:
    """Print a pull's progress: a bar on a terminal, a line a second otherwise."""
    tty = is_tty(sys.stderr)

    async def go() -> None:
        last_line = ""
        last_print = 0.0
        async for progress in pulls:
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

    return go()


def cmd_pull_builtin(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.hf import endpoint, parse_ref, pull

    ref = parse_ref(args.name)
    print(
        f"downloading {ref} from Hugging Face ({safe_line(endpoint())}: the public internet; it sees which model, never a prompt)",
        file=sys.stderr,
    )
    try:
        run(_show_pull(pull(ctx.paths, ref, args.as_name)))
    except KeyboardInterrupt:
        print(f"\npull of {ref} cancelled: run the same command to resume", file=sys.stderr)
        return 130
    from sovtui.inference.gguf import list_models

    newest = max(list_models(ctx.paths), key=lambda m: m.modified.timestamp() if m.modified else 0)
    print(f"{safe_line(newest.name)} is ready for the built-in engine: sovtui chat --host builtin -m {safe_line(newest.name)}")
    _refresh_engine(ctx)
    return 0


def cmd_pull(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.hf import is_hf_ref
    from sovtui.inference.models import check_model_name

    hf = args.name.strip().lower().startswith("hf:")
    if _builtin(ctx, args.host) or (hf and args.host is None):
        if not is_hf_ref(args.name):
            raise UsageError("the built-in engine downloads GGUF models from Hugging Face: name one as hf:OWNER/REPO:QUANT (see 'sovtui models suggest --host builtin')")
        return cmd_pull_builtin(args, ctx)
    if hf:
        raise UsageError("hf:OWNER/REPO models are for the built-in engine: add --host builtin (Ollama pulls hf.co/OWNER/REPO:QUANT itself)")
    if args.as_name:
        raise UsageError("--name is for the built-in engine's models (--host builtin); Ollama keeps a model under the name it is pulled by")
    args.name = check_model_name(args.name)
    target = ctx.host(args.host)
    print(f"pulling {args.name} onto {safe_line(target.label)}", file=sys.stderr)

    async def pulls() -> AsyncIterator[PullProgress]:
        async with ctx.backend(args.host) as backend:
            async for progress in backend.pull(args.name):
                yield progress

    try:
        run(_show_pull(pulls()))
    except KeyboardInterrupt:
        print(f"\npull of {args.name} cancelled: run the same command to resume", file=sys.stderr)
        return 130
    print(f"{args.name} is ready on {target.name}")
    return 0


def cmd_rm(args: argparse.Namespace, ctx: Context) -> int:
    if _builtin(ctx, args.host):
        from sovtui.inference.gguf import model_path, remove_model

        path = model_path(ctx.paths, args.name)
        if not args.yes:
            if not is_tty(sys.stdin):
                raise UsageError(f"not deleting {args.name} without confirmation: add --yes")
            if not confirm(f"delete the built-in engine's model {args.name} ({path})?"):
                print("nothing deleted", file=sys.stderr)
                return 1
        remove_model(ctx.paths, args.name)
        print(f"deleted {args.name} from the built-in engine")
        _refresh_engine(ctx)
        return 0
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
    if args.host is None:
        print(f"default model: {safe_line(name)}")
    else:
        target = ctx.host(args.host)
        where = "new chats go there" if not os.environ.get("OLLAMA_HOST") else "new chats go there once OLLAMA_HOST is unset"
        # The name given (a pool is named as a pool; ctx.host gives its first member, for the locality).
        print(f"default model: {safe_line(name)} on {safe_line(args.host)} ({target.locality.label}): {where}")
    return 0


def cmd_suggest(args: argparse.Namespace, ctx: Context) -> int:
    from sovtui.inference.suggest import builtin_suggestions, suggestions

    found = builtin_suggestions() if _builtin(ctx, args.host) else suggestions()
    if args.json:
        print_json([{"name": s.name, "why": s.why} for s in found])
    else:
        for s in found:
            print(f"{s.name}  {s.why}")
    return 0
