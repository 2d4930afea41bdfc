"""Where a streaming paragraph may be cut: the pure rules behind the pieces."""

from __future__ import annotations

from sovtui.ui.widgets.paragraph_cut import balanced, find_cut, source_offset


def test_a_plain_paragraph_is_cut_at_the_start_of_its_last_line() -> None:
    text = " ".join(f"w{n}" for n in range(40))  # 159 characters: two lines at 80
    at, cut = find_cut(text, text, 80)  # type: ignore[misc]
    assert at == cut and text[at:].startswith("w") and text[at - 1] == " "
    assert len(text[:at].rstrip()) <= 80 and len(text[at:]) <= 80


def test_one_line_is_not_cut() -> None:
    assert find_cut("short text", "short text", 80) is None
    assert find_cut("anything", "anything", 0) is None


def test_the_cut_in_the_source_skips_the_markup_the_rendered_text_dropped() -> None:
    source = "some **bold** and `code` then the rest"
    plain = "some bold and code then the rest"
    at = plain.index("then")
    assert source[source_offset(plain, at, source) :] == "then the rest"  # type: ignore[misc]


def test_soft_breaks_and_indents_line_up_with_one_space() -> None:
    source = "first line\n   second line"
    plain = "first line second line"
    assert source[source_offset(plain, plain.index("second"), source) :] == "second line"  # type: ignore[misc]


def test_text_the_walk_cannot_explain_refuses_the_cut() -> None:
    source = "a [link](https://example.com) then more"
    plain = "a link then more"
    assert source_offset(plain, plain.index("then"), source) is None


def test_an_open_emphasis_code_span_or_link_is_never_cut() -> None:
    assert balanced("plain words, **bold** and *em* and `code` and ~~gone~~ ")
    assert not balanced("**bold still open ")
    assert not balanced("`code still open ")
    assert not balanced("[a link text ")
    assert not balanced("an entity &amp; ")
    assert not balanced("an escape \\* ")
    assert not balanced("a lone * star ")  # strict: it might open an emphasis


def test_a_cut_that_would_split_an_emphasis_moves_to_an_earlier_line() -> None:
    words = [f"w{n}" for n in range(60)]
    words[30] = "**bold"  # opens on the second line, closes on the third
    words[59] = "end**"
    source = " ".join(words)
    plain = source.replace("**", "")
    at, cut = find_cut(plain, source, 80)  # type: ignore[misc]
    assert at < plain.index("bold") < plain.index("w50"), "the first line break, not the last"
    assert "**" not in source[:cut] and source[cut:].count("**") == 2
