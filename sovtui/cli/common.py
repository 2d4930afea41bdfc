"""Options and helpers shared by command groups."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def described(doc: str | None) -> str:
    """A command module's docstring as its ``--help`` text: ``code`` spans in plain quotes.

    The docstring says what the command group does for developers and users
    alike; argparse prints it as written, so reST's double backquotes would
    reach the terminal.
    """
    return re.sub(r"``(.+?)``", r"'\1'", doc or "", flags=re.DOTALL)


def add_host_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        metavar="NAME",
        help="a host named in config.toml (default: OLLAMA_HOST, else [inference] host)",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def run(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio  # here, not above: commands that read files (``chats list``) start about 25 ms sooner

    return asyncio.run(coro)


def is_tty(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def confirm(question: str) -> bool:
    """Ask on the terminal; only called when stdin is a TTY."""
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Columns aligned with two spaces, like ``ollama list``."""
    widths = [max(map(len, map(str, column))) for column in zip(headers, *rows)]
    # One %-formatting per row (each cell left-justified to its width, as str.ljust does): ``sovtui chats list``
    # aligns thousands of rows, about twice as fast as joining ljust-ed cells.
    line = "  ".join(f"%-{width}s" for width in widths)
    return "\n".join([(line % tuple(row[: len(widths)])).rstrip() for row in (headers, *rows)])
