"""Sats as people type them, and the one line when they are not."""

from __future__ import annotations

import pytest

from sovtui.amounts import parse_sats
from sovtui.errors import UsageError


@pytest.mark.parametrize(("text", "sats"), [("10000", 10_000), (" 10,000 ", 10_000), ("10_000", 10_000), ("0", 0)])
def test_what_people_type(text: str, sats: int) -> None:
    assert parse_sats(text) == sats


def test_blank_means_what_the_caller_says() -> None:
    assert parse_sats("  ", "budget", empty=0) == 0
    with pytest.raises(UsageError, match="^the amount is a whole number of sats$"):
        parse_sats("")


@pytest.mark.parametrize("text", ["ten", "1.5", "-5", "5k"])
def test_not_a_whole_number_names_the_field(text: str) -> None:
    with pytest.raises(UsageError, match="^the limit is a whole number of sats$"):
        parse_sats(text, "limit")
