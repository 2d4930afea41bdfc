"""Where a paragraph that is still streaming can be cut without anyone seeing it.

Textual lays out and wraps a Markdown paragraph as one piece: every time a
streamed reply grows, its last paragraph is parsed, wrapped and rendered again
from its first word. For the usual few lines that is nothing; for a reply that
is one long paragraph each frame costs more the longer it gets (about 0.1 s
at 30,000 characters on a small machine), and the last words reach the screen
late.

Greedy word wrapping has a property that fixes this: appending text only ever
changes the last line. So the lines above it will never move, and the
paragraph can be cut at the start of a wrapped line into a finished piece (its
text is kept, never laid out again) and a live piece that starts on the next
line, which looks exactly the same on screen and costs only its own few lines
per frame.

The cut has to be made in the Markdown *source*, and source and rendered text
differ by markup. ``find_cut`` walks both side by side and refuses any cut it
cannot prove harmless: one inside an emphasis, a code span, a link, an entity
or an escape. Refusing only means the paragraph is laid out whole, as before.
This module is pure (no Textual), so each rule is tested on its own.
"""

from __future__ import annotations

import re

from rich._wrap import divide_line

#: Characters Markdown may drop from the rendered text: emphasis, code,
#: strikethrough and link delimiters. Skipping one of these in the source is
#: how the walk lines source and rendered text up.
MARKUP = frozenset("*_`~[]()")

#: Characters whose meaning can depend on what follows a cut (an entity, an
#: escape, an autolink or inline HTML): a prefix holding one is never cut.
UNSAFE = frozenset("&\\<>")

#: Wrapped lines kept in the live piece at most: the cut is tried at the start
#: of the last few lines, latest first.
TRIES = 3


def find_cut(plain: str, source: str, width: int) -> tuple[int, int] | None:
    """Where to cut a streaming paragraph: (offset in ``plain``, offset in ``source``).

    ``plain`` is the paragraph as rendered (markup gone, white space folded),
    ``source`` its Markdown, ``width`` the cells it is wrapped to. The cut is
    at the start of one of the last wrapped lines, so everything before it is
    whole lines that will not change; None when there is no such cut that is
    provably safe.
    """
    if width <= 0:
        return None
    # Textual breaks the text at hard line breaks first, then wraps each line.
    base = plain.rfind("\n") + 1
    offsets = divide_line(plain[base:], width, fold=True)
    for offset in reversed(offsets[-TRIES:]):
        at = base + offset
        cut = source_offset(plain, at, source)
        if cut is not None and balanced(source[:cut]):
            return at, cut
    return None


def source_offset(plain: str, at: int, source: str) -> int | None:
    """The offset in ``source`` where ``plain[at:]`` begins, or None if unsure.

    Source and rendered text are walked together: equal characters advance
    both, a run of white space (a soft break, indentation) matches one space
    or a hard break, and a markup character may be skipped in the source. Any
    other difference means the two cannot be lined up safely.
    """
    i = 0
    end = len(source)
    for j in range(at):
        expected = plain[j]
        while True:
            if i >= end:
                return None
            char = source[i]
            if char == expected and not (expected == " " or expected == "\n"):
                i += 1
                break
            if expected in " \n" and char.isspace():
                while i < end and source[i].isspace():
                    i += 1
                break
            if char in MARKUP:
                i += 1
                continue
            return None
    # The cut must land between words of the source, where the next line begins.
    if i == 0 or i >= end or not source[i - 1].isspace() or source[i].isspace():
        return None
    return i


def balanced(prefix: str) -> bool:
    """True when no inline construct of ``prefix`` can still be open.

    Emphasis, code and strikethrough delimiters come in runs (``**``, a
    backtick, ``~~``), so it is runs that must pair up, not characters.
    Deliberately strict: a lone ``*`` might be a literal star, but it might
    also open an emphasis the next chunk closes, which would change how the
    lines above the cut look.
    """
    if any(char in UNSAFE for char in prefix):
        return False
    if prefix.count("[") != prefix.count("]") or prefix.count("(") != prefix.count(")"):
        return False
    return all(len(_runs(prefix, char)) % 2 == 0 for char in "*_~`")


def _runs(text: str, char: str) -> list[int]:
    """The lengths of the runs of ``char`` in ``text``."""
    return [len(run) for run in re.findall(re.escape(char) + "+", text)]
