"""NIP-59 gift wraps and NIP-17 messages: the spec's own example, rust-nostr both ways, and every check of unwrap.

Our wraps must open in a client we did not write (nostr-sdk's UnwrappedGift),
and its ``nip17_make_private_msg`` must open in ours; a mistake shared by our
wrap and our unwrap would otherwise cancel out.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sovtui.identity import nip19
from sovtui.nostr import nip44, nip59
from sovtui.nostr.events import public_key_of, sign_event
from sovtui.nostr.nip59 import GiftError

nostr_sdk = pytest.importorskip("nostr_sdk")

VECTORS = json.loads((Path(__file__).parent / "nip17.vectors.json").read_text())
SENDER = nip19.nsec_to_hex("nsec1w8udu59ydjvedgs3yv5qccshcj8k05fh3l60k9x57asjrqdpa00qkmr89m")
RECEIVER = nip19.nsec_to_hex("nsec12ywtkplvyq5t6twdqwwygavp5lm4fhuang89c943nf2z92eez43szvn4dt")
ALICE = "11" * 32
BOB = "22" * 32
MALLORY = "33" * 32


def test_the_nip17_example_opens_for_the_receiver_and_the_senders_copy():
    to_receiver, to_sender = VECTORS
    for gift, secret in ((to_receiver, RECEIVER), (to_sender, SENDER)):
        opened = nip59.unwrap(gift, secret)
        assert opened.rumor.content == "Hola, que tal?" and opened.rumor.kind == 14
        assert opened.sender == public_key_of(SENDER)
        assert opened.rumor.tag_values("p") == [public_key_of(RECEIVER)]
        assert opened.wrap_id == gift["id"]
    with pytest.raises(GiftError, match="does not decrypt"):
        nip59.unwrap(to_receiver, SENDER)


def test_our_message_has_the_nip17_shape():
    rumor, (to_bob, to_me) = nip59.private_message(ALICE, public_key_of(BOB), "hi bob", reply_to="ab" * 32)
    now = int(time.time())
    for gift, secret, recipient in ((to_bob, BOB, public_key_of(BOB)), (to_me, ALICE, public_key_of(ALICE))):
        assert gift["kind"] == 1059 and gift["tags"] == [["p", recipient]]
        assert gift["pubkey"] not in (public_key_of(ALICE), public_key_of(BOB))  # a one-time key
        assert now - nip59.RANDOM_WINDOW <= gift["created_at"] <= now
        sealed = json.loads(nip44.decrypt(gift["content"], nip44.get_conversation_key(secret, gift["pubkey"])))
        assert sealed["kind"] == 13 and sealed["tags"] == [] and sealed["pubkey"] == public_key_of(ALICE)
        assert now - nip59.RANDOM_WINDOW <= sealed["created_at"] <= now
        inner = json.loads(nip44.decrypt(sealed["content"], nip44.get_conversation_key(secret, sealed["pubkey"])))
        assert "sig" not in inner and inner["id"] == rumor.id and inner["kind"] == 14
        assert inner["tags"] == [["p", public_key_of(BOB)], ["e", "ab" * 32]]
        assert nip59.unwrap(gift, secret).rumor == rumor
    assert to_bob["pubkey"] != to_me["pubkey"]


def test_nostr_sdk_opens_ours_and_we_open_nostr_sdks():
    phone, agent = nostr_sdk.Keys.generate(), nostr_sdk.Keys.generate()
    agent_secret, phone_hex = agent.secret_key().to_hex(), phone.public_key().to_hex()
    rumor, (to_phone, to_agent) = nip59.private_message(agent_secret, phone_hex, "the answer ✓\nline two")
    opened = nostr_sdk.UnwrappedGift.from_gift_wrap(phone, nostr_sdk.Event.from_json(json.dumps(to_phone)))
    assert opened.sender().to_hex() == agent.public_key().to_hex()
    assert opened.rumor().content() == "the answer ✓\nline two" and opened.rumor().kind().as_u16() == 14
    assert opened.rumor().id().to_hex() == rumor.id
    copy = nostr_sdk.UnwrappedGift.from_gift_wrap(agent, nostr_sdk.Event.from_json(json.dumps(to_agent)))
    assert copy.rumor().content() == "the answer ✓\nline two"

    theirs = nostr_sdk.nip17_make_private_msg(phone, agent.public_key(), "hello from the phone é")
    mine = nip59.unwrap(json.loads(theirs.as_json()), agent_secret)
    assert mine.sender == phone_hex and mine.rumor.content == "hello from the phone é" and mine.rumor.kind == 14
    assert mine.rumor.tag_values("p") == [agent.public_key().to_hex()]


def test_a_rumor_in_anothers_name_is_refused():
    # Mallory seals a rumor that claims to be Alice's: the seal's author is not the rumor's
    forged = nip59.make_rumor(public_key_of(ALICE), "pay mallory", tags=[["p", public_key_of(BOB)]])
    gift = nip59.wrap(MALLORY, public_key_of(BOB), forged)
    with pytest.raises(GiftError, match="not the rumor's author"):
        nip59.unwrap(gift, BOB)


def _wrap_raw(seal_like: dict, recipient: str) -> dict:
    one_time = nip59.ephemeral_secret()
    content = nip44.encrypt(json.dumps(seal_like), nip44.get_conversation_key(one_time, recipient))
    return sign_event(one_time, 1059, content, [["p", recipient]])


def test_every_layer_is_checked():
    bob = public_key_of(BOB)
    good = nip59.wrap(ALICE, bob, nip59.make_rumor(public_key_of(ALICE), "hi"))
    tampered = dict(good, content=good["content"][:-4] + "AAAA")
    with pytest.raises(GiftError, match="not a correctly signed event"):
        nip59.unwrap(tampered, BOB)
    with pytest.raises(GiftError, match="not of kind 1059"):
        nip59.unwrap(sign_event(ALICE, 4, "x", [["p", bob]]), BOB)
    # a seal whose signature is wrong, or a kind 1 in its place
    sealed = nip59.seal(ALICE, bob, nip59.make_rumor(public_key_of(ALICE), "hi"))
    with pytest.raises(GiftError, match="seal is not a correctly signed"):
        nip59.unwrap(_wrap_raw(dict(sealed, sig="00" * 64), bob), BOB)
    with pytest.raises(GiftError, match="not of kind 13"):
        nip59.unwrap(_wrap_raw(sign_event(ALICE, 1, sealed["content"], []), bob), BOB)
    # a rumor whose id is not its content's
    rumor = nip59.make_rumor(public_key_of(ALICE), "hi").to_dict() | {"id": "00" * 32}
    content = nip44.encrypt(json.dumps(rumor), nip44.get_conversation_key(ALICE, bob))
    with pytest.raises(GiftError, match="id does not match"):
        nip59.unwrap(_wrap_raw(sign_event(ALICE, 13, content, []), bob), BOB)
    # the wrap is JSON but the seal inside is not
    not_json = nip44.encrypt("{nope", nip44.get_conversation_key(nip59.ephemeral_secret(), bob))
    with pytest.raises(GiftError):
        nip59.unwrap(sign_event(nip59.ephemeral_secret(), 1059, not_json, [["p", bob]]), BOB)


def test_long_text_is_split_whole_and_each_part_fits_a_wrap():
    text = ("word " * 3000 + "\n\n") * 6 + "é" * 20_000
    parts = nip59.split_message(text)
    assert "".join(parts) == text and len(parts) > 2
    for part in parts:
        _, (gift, _) = nip59.private_message(ALICE, public_key_of(BOB), part)
        assert nip59.unwrap(gift, BOB).rumor.content == part
    assert nip59.split_message("short") == ["short"] and nip59.split_message("") == [""]
    with pytest.raises(GiftError, match="too long"):
        nip59.private_message(ALICE, public_key_of(BOB), "x" * 40_000)


def test_relay_list_and_profile_events():
    relays = nip59.dm_relays_event(ALICE, ["wss://a.example", "ws://127.0.0.1:7777"])
    assert relays["kind"] == 10050 and relays["tags"] == [["relay", "wss://a.example"], ["relay", "ws://127.0.0.1:7777"]]
    parsed = nostr_sdk.nip17_extract_relay_list(nostr_sdk.Event.from_json(json.dumps(relays)))
    assert [str(u) for u in parsed] == ["wss://a.example", "ws://127.0.0.1:7777"]
    profile = nip59.profile_event(ALICE, name="bot", about="sovtui agent of npub1x")
    assert profile["kind"] == 0 and json.loads(profile["content"]) == {"name": "bot", "about": "sovtui agent of npub1x"}
