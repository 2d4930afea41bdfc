"""Properties of the one gate every incoming event passes (sovtui.nostr.events.check_event / is_valid).

A signed event verifies, as a dict and after a JSON round trip; change any
byte of it on the wire and it does not, unless the change left the event the
same (whitespace, an escape written another way); and nothing but EventError
ever comes out of it, whatever a relay sends.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from sovtui.nostr.events import EventError, check_event, compute_id, is_valid, public_key_of, sign_event
from tests.parser_properties import PARSERS, hostile_text

FIELDS = ("id", "pubkey", "created_at", "kind", "tags", "content", "sig")
ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # secp256k1's: a secret key is below it
secrets = st.integers(1, ORDER - 1).map(lambda n: n.to_bytes(32, "big"))
signable = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
events = st.builds(
    lambda secret, kind, content, tags, created_at: sign_event(secret.hex(), kind, content, tags, created_at=created_at),
    secrets,
    st.integers(0, 65535),
    signable,
    st.lists(st.lists(signable, min_size=1, max_size=4), max_size=5),
    st.integers(1, 2**40),
)
SAMPLE = sign_event("67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa", 1, 'a note "quoted"\n\ttabbed é \u2028', [["p", "ab" * 32]], created_at=1_700_000_000)


@PARSERS
@given(events)
def test_a_signed_event_verifies_and_its_id_is_nip01s(signed: dict[str, Any]) -> None:
    assert check_event(signed) == signed["id"]
    assert is_valid(json.loads(json.dumps(signed))) and is_valid(json.loads(json.dumps(signed, ensure_ascii=False)))
    assert compute_id(signed["pubkey"], signed["created_at"], signed["kind"], signed["tags"], signed["content"]) == signed["id"]


@PARSERS
@given(st.one_of(events, st.just(SAMPLE)), st.data())
def test_changing_any_byte_on_the_wire_breaks_it(signed: dict[str, Any], draw: st.DataObject) -> None:
    wire = bytearray(json.dumps(signed, ensure_ascii=draw.draw(st.booleans())).encode("utf-8"))
    where = draw.draw(st.integers(0, len(wire) - 1))
    # Mostly a byte that keeps it JSON (a hex digit, a printable character) so the checks, not the parser, decide.
    replacement = st.one_of(st.sampled_from(b"0123456789abcdef"), st.integers(0x20, 0x7E), st.integers(0, 255))
    wire[where] = draw.draw(replacement.filter(lambda b: b != wire[where]))
    try:
        received = json.loads(bytes(wire))
    except (ValueError, RecursionError):
        event("no longer JSON")
        return
    if is_valid(received):
        event("still valid: the same event")
        assert {k: received[k] for k in FIELDS} == signed, "a changed event verified"
    else:
        event("refused")


@PARSERS
@given(events, st.sampled_from(FIELDS), st.data())
def test_changing_any_field_breaks_it(signed: dict[str, Any], field: str, draw: st.DataObject) -> None:
    changed = dict(signed)
    value = signed[field]
    if isinstance(value, str) and value and draw.draw(st.booleans()):
        i = draw.draw(st.integers(0, len(value) - 1))
        changed[field] = value[:i] + draw.draw(st.characters(exclude_categories=()).filter(lambda c: c != value[i])) + value[i + 1 :]
    else:
        changed[field] = draw.draw(st.one_of(st.none(), st.integers(), hostile_text, st.lists(st.lists(hostile_text)), st.floats()))
    try:
        check_event(changed)
    except EventError as exc:
        assert "\n" not in str(exc)
        return
    assert changed == signed, "a changed event verified"


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.one_of(st.sampled_from(FIELDS), hostile_text), inner, max_size=8),
    max_leaves=20,
)


@PARSERS
@given(st.one_of(json_values, st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=5)))
def test_anything_a_relay_sends_is_an_answer_not_an_exception(data: Any) -> None:
    assert is_valid(data) is False
    try:
        check_event(data)
    except EventError:
        return
    raise AssertionError("random data verified")


def test_a_well_formed_event_off_the_curve_or_with_surrogates_is_refused() -> None:
    off_curve = "ff" * 32  # not the x coordinate of any point
    body = dict(SAMPLE, pubkey=off_curve)
    body["id"] = compute_id(off_curve, body["created_at"], body["kind"], body["tags"], body["content"])
    assert not is_valid(body)
    assert not is_valid(dict(SAMPLE, content="\ud800"))
    assert not is_valid(dict(SAMPLE, created_at=True)) and not is_valid(dict(SAMPLE, kind=65536))
    assert public_key_of("67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa") == SAMPLE["pubkey"]


def test_every_byte_of_one_event_changed_in_turn() -> None:
    """Exhaustive for one event: every position of its wire form, changed to two other bytes."""
    wire = json.dumps(SAMPLE, ensure_ascii=False).encode("utf-8")
    tried = refused = 0
    for where in range(len(wire)):
        for byte in {ord("0") if wire[where] != ord("0") else ord("1"), ord("x"), wire[where] ^ 0x20}:
            if byte == wire[where]:
                continue
            changed = wire[:where] + bytes([byte]) + wire[where + 1 :]
            tried += 1
            try:
                received = json.loads(changed)
            except ValueError:
                refused += 1
                continue
            if is_valid(received):
                assert {k: received[k] for k in FIELDS} == SAMPLE, f"byte {where} changed to {byte:#x} still verified"
            else:
                refused += 1
    assert tried > 3 * len(wire) * 0.9 and refused > tried * 0.95
