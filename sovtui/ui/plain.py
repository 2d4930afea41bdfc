"""Outside text for Textual widgets that read markup: shown as it is, never parsed.

``DataTable`` cells, ``OptionList`` options and ``Static``/``Label`` contents
given as ``str`` are parsed as Textual markup. A transaction description of
``[/]`` raised MarkupError and closed the app; ``[link=...]`` made a link
the wallet chose. Text from outside goes in as a ``rich.text.Text`` built
here, with its control characters removed by the one filter in
``sovtui.text``.
"""

from __future__ import annotations

from rich.text import Text

from sovtui.text import safe_line, safe_text


def plain(text: str, *, style: str = "") -> Text:
    """One line of outside text, for a table cell, an option or a label."""
    return Text(safe_line(text), style=style, end="")


def plain_block(text: str, *, style: str = "") -> Text:
    """Several lines of outside text."""
    return Text(safe_text(text), style=style, end="")
