"""Properties of the gift-wrap gate (sovtui.nostr.nip59.unwrap) on hostile input.

A gift wrap comes from anyone: its key is a throwaway, so a relay's or a
stranger's bytes reach ``unwrap`` at every layer. Whatever it is handed (any
JSON value, a correctly signed wrap around garbage, a genuine seal around
garbage, a real message with a byte changed), it returns a checked message or
raises GiftError, never anything else; and a message it returns is one the
author really sealed.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from sovtui.nostr import nip44, nip59
from sovtui.nostr.events import public_key_of, sign_event
from sovtui.nostr.nip59 import GiftError
from tests.parser_properties import PARSERS, hostile_text

AGENT = "7f" * 32
AGENT_PUB = public_key_of(AGENT)
OWNER = "5a" * 32
OWNER_PUB = public_key_of(OWNER)
ONE_TIME = "0c" * 32

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), hostile_text),
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(hostile_text, children, max_size=5)),
    max_leaves=20,
)
hex64 = st.sampled_from([AGENT_PUB, OWNER_PUB, "00" * 32, "ff" * 32, "ab" * 32])
event_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(hex64, hostile_text), "pubkey": st.one_of(hex64, hostile_text),
        "created_at": st.one_of(st.integers(-5, 2**60), json_values), "kind": st.one_of(st.sampled_from([13, 14, 1059]), json_values),
        "tags": st.one_of(st.lists(st.lists(hostile_text, max_size=3), max_size=3), json_values),
        "content": st.one_of(hostile_text, json_values), "sig": st.one_of(st.just("00" * 64), hostile_text),
    },
)
plaintexts = st.one_of(hostile_text.filter(bool), json_values.map(json.dumps), event_like.map(json.dumps),
                       st.integers(1, 3000).map(lambda n: "[" * n + "]" * n))


def _outcome(gift: Any) -> nip59.Unwrapped | None:
    try:
        return nip59.unwrap(gift, AGENT)
    except GiftError:
        return None


def _encrypt(text: str, secret: str, peer: str) -> str:
    return nip44.encrypt(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"), nip44.get_conversation_key(secret, peer))


@PARSERS
@given(st.one_of(json_values, event_like))
def test_anything_a_relay_sends_is_refused_with_gift_error(value: Any) -> None:
    assert _outcome(value) is None


@PARSERS
@given(plaintexts)
def test_a_signed_wrap_around_anything_never_raises_another_error(inner: str) -> None:
    gift = sign_event(ONE_TIME, 1059, _encrypt(inner, ONE_TIME, AGENT_PUB), [["p", AGENT_PUB]])
    assert _outcome(gift) is None  # nothing random is a seal signed by its author


@PARSERS
@given(plaintexts, st.booleans())
def test_a_genuine_seal_around_anything_gives_a_checked_rumor_or_gift_error(inner: str, as_owner: bool) -> None:
    sealer = OWNER if as_owner else ONE_TIME
    sealed = sign_event(sealer, 13, _encrypt(inner, sealer, AGENT_PUB), [])
    gift = sign_event(ONE_TIME, 1059, _encrypt(json.dumps(sealed), ONE_TIME, AGENT_PUB), [["p", AGENT_PUB]])
    opened = _outcome(gift)
    if opened is not None:
        event("opened")
        assert opened.sender == public_key_of(sealer)


@PARSERS
@given(hostile_text.filter(bool), st.data())
def test_a_real_message_with_a_byte_changed_is_refused_or_unchanged(content: str, data: st.DataObject) -> None:
    safe = content.encode("utf-8", "replace").decode("utf-8")
    _, (gift, _) = nip59.private_message(OWNER, AGENT_PUB, safe)
    original = nip59.unwrap(gift, AGENT)
    wire = bytearray(json.dumps(gift).encode())
    where = data.draw(st.integers(0, len(wire) - 1))
    wire[where] = data.draw(st.integers(0x20, 0x7E).filter(lambda b: b != wire[where]))
    try:
        received = json.loads(bytes(wire))
    except ValueError:
        return
    opened = _outcome(received)
    if opened is not None:
        event("still the same message")
        assert opened.rumor == original.rumor and opened.sender == OWNER_PUB
