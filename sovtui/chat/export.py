"""A conversation as a file a person keeps or shares: Markdown or JSON.

The one way to export, for ``sovtui chats export`` and the Chat pane alike:
the text is the conversation exactly as it was sent (JSON escapes what could
drive a terminal, which changes no data); the file is written atomically and
private (0600: it holds the user's prompts); the folder is the user's and is
left as it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from sovtui.chat.models import Conversation, to_markdown
from sovtui.errors import SovtuiError, UsageError
from sovtui.files import atomic_write
from sovtui.text import is_safe

Format = Literal["md", "json"]
FORMATS: tuple[Format, ...] = ("md", "json")


class ExportFailed(SovtuiError):
    """The export file cannot be written where the user asked."""


def export_text(conversation: Conversation, fmt: str = "md") -> str:
    """The conversation in ``fmt`` ("md" or "json")."""
    if fmt == "md":
        return to_markdown(conversation)
    if fmt == "json":
        data = conversation.to_dict()
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if not is_safe(text):  # DEL, C1 controls, bidi overrides: the same data, all escaped
            text = json.dumps(data, indent=2, ensure_ascii=True).replace("\x7f", "\\u007f")
        return text + "\n"
    raise UsageError(f"cannot export as {fmt!r}: choose one of {', '.join(FORMATS)}")


def export_to_file(conversation: Conversation, path: str | Path, fmt: str = "md") -> Path:
    """Write the conversation to ``path`` (``~`` expanded); the path written, or ExportFailed."""
    target = Path(path).expanduser()
    text = export_text(conversation, fmt)
    if not target.parent.is_dir():
        raise ExportFailed(f"cannot write {target}: there is no folder {target.parent}")
    try:
        atomic_write(target, text, mode=0o600, private_dir=False)
    except OSError as exc:
        raise ExportFailed(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
