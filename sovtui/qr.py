"""QR codes drawn with text, for npubs and invoices, in a terminal or a TUI.

segno makes the code; each text line shows two rows of modules with the
half-block characters, so a code fits a 24-line terminal. Dark modules are
drawn as spaces on a light line (and light ones as blocks), so the code reads
correctly on a dark terminal, which is what most people use over SSH.
"""

from __future__ import annotations


def qr_lines(data: str, *, border: int = 1) -> list[str]:
    import segno

    code = segno.make(data, error="l")
    rows = [list(row) for row in code.matrix_iter(border=border)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    glyph = {(0, 0): "█", (0, 1): "▀", (1, 0): "▄", (1, 1): " "}
    return ["".join(glyph[(bool(top), bool(bottom))] for top, bottom in zip(upper, lower)) for upper, lower in zip(rows[::2], rows[1::2])]
