"""The one function that makes outside text safe to show."""

from hypothesis import given
from hypothesis import strategies as st

from sovtui.text import is_safe, safe_line, safe_text


def test_escape_sequences_lose_their_escape():
    hostile = "paid\x1b[2J\x1b]52;c;bG5iYzE=\x07 ok\x9b31m"
    shown = safe_text(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown == "paid[2J]52;c;bG5iYzE= ok31m"


def test_carriage_return_cannot_overwrite_the_line():
    assert safe_text("amount: 50,000 sats\r1 sat") == "amount: 50,000 sats1 sat"
    assert safe_text("a\r\nb") == "a\nb"


def test_newlines_and_tabs_survive_in_text_but_not_in_a_line():
    assert safe_text("a\n\tb") == "a\n\tb"
    assert safe_line("a\n\tb\u2028c") == "a  b c"


def test_bidi_overrides_are_removed():
    assert safe_line("pay \u202eevil\u202c to \u2066x\u2069") == "pay evil to x"


def test_ordinary_text_is_unchanged():
    text = "Grüße, 日本語, emoji 🙂 and **markdown** `code`\n"
    assert safe_text(text) == text


@given(st.text())
def test_nothing_that_drives_a_terminal_survives(text):
    for shown in (safe_text(text), safe_line(text)):
        assert not any(ord(c) < 0x20 and c not in "\n\t" for c in shown)
        assert not any(0x7F <= ord(c) < 0xA0 for c in shown)
        assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in shown)
    assert "\n" not in safe_line(text)
    assert is_safe(safe_text(text)) and is_safe(safe_line(text), one_line=True)


@given(st.text())
def test_making_safe_twice_changes_nothing(text):
    assert safe_text(safe_text(text)) == safe_text(text)
    assert safe_line(safe_line(text)) == safe_line(text)


def test_a_lone_surrogate_becomes_a_replacement_character_that_can_be_printed():
    shown = safe_line('relay says \ud800 hi')
    assert shown == "relay says \ufffd hi"
    shown.encode("utf-8")


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())))
def test_whatever_comes_in_can_be_written_as_utf8(text):
    safe_text(text).encode("utf-8")
    safe_line(text).encode("utf-8")


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())))
def test_safe_line_skipping_printable_text_gives_what_translate_gives(text):
    from sovtui.text import _ONE_LINE

    assert safe_line(text) == text.translate(_ONE_LINE)


def test_every_character_safe_line_changes_is_unprintable():
    """Why ``safe_line`` may return printable text untouched: all its table's characters are unprintable."""
    from sovtui.text import _ONE_LINE

    assert not any(chr(code).isprintable() for code in _ONE_LINE)


def test_valid_text_replaces_lone_surrogates_and_joins_split_pairs() -> None:
    from sovtui.text import valid_text

    assert valid_text("plain ascii") == "plain ascii"
    assert valid_text("odd \ud800 title") == "odd \ufffd title"
    assert valid_text("\udc80") == "\ufffd"
    assert valid_text("\ud83d\ude00") == "\U0001f600"  # JSON's "\ud83d\ude00": one character
    assert valid_text("café \ud800").encode("utf-8") == "café \ufffd".encode("utf-8")
