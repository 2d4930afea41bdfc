"""Small helpers for printing command results: text for people, JSON for scripts.

What a command prints often came from outside (a model's name, a
conversation's title, a server's version): tables go through ``safe_line``
cell by cell, and JSON escapes every character that could drive a terminal
(``\\u001b``, ``\\u009b``, ``\\u202e`` ...), which changes nothing for a
script that parses it but keeps the text inert on a screen.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from sovtui.text import is_safe, safe_line


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as JSON that is the same data and safe to show.

    ``json`` escapes the C0 controls but not DEL, the C1 controls or bidi
    overrides; when any of them is present the text is written in ASCII
    (every non-ASCII character escaped) instead, which is equally valid JSON.
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    if is_safe(text):
        return text
    return json.dumps(data, indent=indent, ensure_ascii=True, default=str).replace("\x7f", "\\u007f")


def print_json(data: Any) -> None:
    sys.stdout.write(json_text(data))
    sys.stdout.write("\n")


def print_table(rows: list[list[Any]], headers: list[str]) -> None:
    """Aligned columns (like ``ollama list``), every cell one safe line."""
    from sovtui.cli.common import table

    print(table([[safe_line(str(cell)) for cell in row] for row in rows], headers))


def print_pairs(pairs: dict[str, Any]) -> None:
    """One ``name: value`` per line."""
    for name, value in pairs.items():
        print(f"{name}: {safe_line(str(value))}")
