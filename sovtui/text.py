"""Outside text made safe to show: the one place control characters are removed.

Text that came from outside sovtui (a model's reply, an invoice description,
a relay's or wallet's message, a credential's fields, a model or host name)
is data, never terminal instructions. An ESC in it would start an escape
sequence on the user's screen: move the cursor over the amount in a payment
confirmation, clear the screen, or (OSC 52) replace the clipboard with the
sender's own invoice. Bidi overrides would reorder what is shown so that it
reads differently from what it is.

Every string from outside goes through :func:`safe_text` (multi-line text
such as a reply) or :func:`safe_line` (one field in a row or a prompt)
before it reaches a terminal, in the CLI and in the TUI alike. Both are a
single ``str.translate`` over a table built once, so they cost next to
nothing on the streaming path.
"""

from __future__ import annotations

from typing import Final

#: C0 controls (but tab and newline), DEL, and the C1 controls (CSI, OSC, ST ...
#: have one-character forms in 0x80-0x9f that some terminals obey).
_C0: Final = [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A)]
_C1: Final = list(range(0x7F, 0xA0))
#: Bidirectional embeddings, overrides and isolates, and the Arabic letter mark:
#: they make text display in an order other than the one it is stored in.
_BIDI: Final = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]

#: A lone surrogate (from JSON's ``\ud800``) cannot be encoded: printing it
#: raises UnicodeEncodeError, so a hostile relay could crash whatever shows it.
_SURROGATES: Final[dict[int, int | None]] = {c: 0xFFFD for c in range(0xD800, 0xE000)}

_MULTILINE: Final[dict[int, int | None]] = {**_SURROGATES, **{c: None for c in (*_C0, *_C1, *_BIDI)}}
_ONE_LINE: Final[dict[int, int | None]] = {**_MULTILINE, 0x09: 0x20, 0x0A: 0x20, 0x2028: 0x20, 0x2029: 0x20}


def valid_text(text: str) -> str:
    """``text`` that can be encoded: a lone surrogate becomes U+FFFD.

    JSON can carry ``"\\ud800"`` (a model server's reply, a wallet's
    description, a conversation file another program wrote), which decodes
    to a lone surrogate that no encoder accepts: writing it to a terminal, a
    file or SQLite would fail. A surrogate pair split into two escapes is
    joined into its character. ASCII (most text) is returned as it is.
    """
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def safe_text(text: str) -> str:
    """``text`` with every control character but newline and tab removed.

    A lone surrogate becomes U+FFFD, the replacement character.

    A carriage return is removed too: on a terminal it moves the cursor back
    to the start of the line, so the rest of the line could overwrite what
    came before it (an amount, a warning).
    """
    return text.translate(_MULTILINE)


def safe_line(text: str) -> str:
    """``text`` as one line: controls removed, line and paragraph breaks and tabs become spaces.

    Text with nothing to remove is returned as it is, found by
    ``isprintable`` (a C loop, about ten times quicker than ``translate``'s
    table look-ups): every character ``translate`` would change is of a
    category that is not printable (Cc, Cf, Cs, Zl, Zp), so printable text
    comes out of it unchanged. ``sovtui chats list`` makes thousands of cells
    safe; tests/test_text.py checks the two ways agree on any text.
    """
    if text.isprintable():
        return text
    return text.translate(_ONE_LINE)


def is_safe(text: str, *, one_line: bool = False) -> bool:
    """True when showing ``text`` as it is cannot drive the terminal."""
    return text == (safe_line(text) if one_line else safe_text(text))
