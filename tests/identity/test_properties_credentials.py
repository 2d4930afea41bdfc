"""Properties of credential checking: only the exact signed credential verifies, and nothing raises but KeyFormatError."""

from __future__ import annotations

import copy
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from sovtui.identity import credentials
from sovtui.identity.errors import KeyFormatError
from sovtui.nostr.events import public_key_of, sign_event
from tests.parser_properties import PARSERS, hostile_text

OWNER = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"
AGENT = public_key_of("3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683")
NOW = int(time.time())
VALID = sign_event(
    OWNER,
    credentials.KIND,
    "This agent is authorised to spend up to 10,000 sats per day.",
    [
        ["d", credentials.D_PREFIX + AGENT],
        ["p", AGENT],
        ["limit", "10000", "sat", "day"],
        ["expiration", str(NOW + 3650 * 86400)],
        ["t", "sovtui-credential"],
    ],
    created_at=NOW - 60,
)
REVOCATION = sign_event(OWNER, 5, "revoked", [["e", VALID["id"]], ["a", f"30078:{VALID['pubkey']}:{credentials.D_PREFIX}{AGENT}"], ["k", "30078"]], created_at=NOW)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
    st.text("0123456789abcdefABCDEF", min_size=60, max_size=130),
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(hostile_text, inner, max_size=5), max_leaves=15)
event_like = st.dictionaries(st.one_of(st.sampled_from(credentials.EVENT_FIELDS), hostile_text), json_values, max_size=9)


def _signed_part(event: Any) -> Any:
    return {k: event.get(k) for k in credentials.EVENT_FIELDS} if isinstance(event, dict) else event


def _changed_string(draw: st.DrawFn, text: str) -> str:
    how = draw(st.sampled_from(["hex", "hex", "char", "upper", "cut", "grow", "pad", "replace"]))
    if how == "hex" and text:  # one digit for another: still well formed, so only the id or signature check can tell
        where = draw(st.integers(0, len(text) - 1))
        return text[:where] + draw(st.sampled_from("0123456789abcdef").filter(lambda c: c != text[where])) + text[where + 1 :]
    if how == "char" and text:
        where = draw(st.integers(0, len(text) - 1))
        return text[:where] + draw(st.characters(exclude_categories=())) + text[where + 1 :]
    if how == "upper":
        return text.upper()
    if how == "cut":
        return text[: draw(st.integers(0, max(0, len(text) - 1)))]
    if how == "grow":
        return text + draw(hostile_text.filter(bool))
    if how == "pad":
        return draw(st.sampled_from([" ", "\n", "\u200b", "0"])) + text
    return draw(hostile_text)


@st.composite
def mutations(draw: st.DrawFn, original: dict[str, Any]) -> Any:
    """A copy of ``original`` changed in one to three places, as a holder or a peer could change it."""
    event = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(credentials.EVENT_FIELDS))
        action = draw(st.sampled_from(["value", "tweak", "tweak", "tweak", "delete", "extra", "tag", "tag", "tag", "wrap"]))
        if not isinstance(event, dict):
            break
        if action == "value":
            event[field] = draw(json_values)
        elif action == "delete":
            event.pop(field, None)
        elif action == "extra":
            event[draw(hostile_text.filter(lambda k: k not in credentials.EVENT_FIELDS))] = draw(json_values)
        elif action == "wrap":
            event = draw(st.sampled_from([[event], ["EVENT", event], json.dumps(event), json.dumps(event, ensure_ascii=False)]))
        elif action == "tag" and isinstance(event.get("tags"), list) and event["tags"]:
            tags = event["tags"]
            i = draw(st.integers(0, len(tags) - 1))
            kind = draw(st.sampled_from(["element", "drop", "insert", "swap", "whole"]))
            if kind == "element" and isinstance(tags[i], list) and tags[i]:
                j = draw(st.integers(0, len(tags[i]) - 1))
                value = tags[i][j]
                tags[i][j] = _changed_string(draw, value) if isinstance(value, str) and draw(st.booleans()) else draw(json_values)
            elif kind == "drop":
                del tags[i]
            elif kind == "insert":
                tags.insert(i, draw(st.lists(hostile_text, max_size=4)))
            elif kind == "swap":
                j = draw(st.integers(0, len(tags) - 1))
                tags[i], tags[j] = tags[j], tags[i]
            else:
                tags[i] = draw(json_values)
        elif field in event:  # "tweak": a near miss of the right value
            value = event[field]
            if isinstance(value, str):
                event[field] = _changed_string(draw, value)
            elif isinstance(value, int):
                event[field] = draw(st.sampled_from([value + 1, value - 1, -value, float(value), str(value), value * 10**30, True]))
    return event


@PARSERS
@given(mutations(VALID))
def test_only_the_exact_credential_verifies(mutated: Any) -> None:
    try:
        credential = credentials.parse(mutated)
    except KeyFormatError as exc:
        assert str(exc) and "\n" not in str(exc)
        event("refused: " + " ".join(str(exc).split(":")[-1].split()[:4]))
        return
    event("verified (the same signed event)")
    assert credential.event == VALID and credential.id == VALID["id"], "a changed credential verified"
    assert (credential.limit_sats, credential.agent, credential.owner) == (10_000, AGENT, VALID["pubkey"])


def test_the_valid_one_verifies_with_or_without_extra_fields() -> None:
    assert credentials.parse(VALID).event == VALID
    assert credentials.parse(json.dumps(VALID)).event == VALID
    assert credentials.parse({**VALID, "relays": ["wss://x"], "seen_on": 3}).event == VALID


@PARSERS
@given(st.one_of(event_like, json_values))
def test_random_json_never_verifies(data: Any) -> None:
    for given_as in (data, json.dumps(data)):
        try:
            credentials.parse(given_as)
        except KeyFormatError:
            continue
        raise AssertionError(f"{given_as!r} verified")


@PARSERS
@given(st.one_of(hostile_text, st.binary().map(lambda b: b.decode("latin-1"))))
def test_random_text_is_a_key_format_error(text: str) -> None:
    try:
        credentials.parse(text)
    except KeyFormatError:
        return
    raise AssertionError("random text verified")


@PARSERS
@given(mutations(REVOCATION))
def test_only_the_exact_revocation_revokes(mutated: Any) -> None:
    credential = credentials.parse(VALID)
    if credentials.revokes(mutated, credential):
        assert _signed_part(mutated) == REVOCATION or _signed_part(json.loads(mutated) if isinstance(mutated, str) else mutated) == REVOCATION


@PARSERS
@given(st.lists(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()), mutations(VALID).map(lambda e: json.dumps(e).encode())), max_size=6))
def test_the_book_reads_any_folder(files: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for i, raw in enumerate(files):
            (Path(folder) / f"{i}.json").write_bytes(raw)
        (Path(folder) / f"{VALID['id']}.json").write_text(json.dumps(VALID))  # as keep() writes it, without its fsync
        book = credentials.CredentialBook(Path(folder))
        assert [(c.id, state) for c, state in book.all()] in ([(VALID["id"], "live")], [(VALID["id"], "revoked")])
        assert book.state_of(credentials.parse(VALID)) in ("live", "revoked")


signable_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
near_tags = st.one_of(
    st.lists(signable_text, min_size=1, max_size=5),
    st.tuples(st.sampled_from(["d", "p", "limit", "expiration", "t"]), st.lists(signable_text, max_size=4)).map(lambda t: [t[0], *t[1]]),
    st.tuples(st.sampled_from(["limit"]), st.one_of(st.integers(-5, 10**20).map(str), signable_text), st.sampled_from(["sat", "msat", "SAT"]), st.sampled_from([*credentials.PERIODS, "year", ""])).map(list),
    st.just(["t", "sovtui-credential"]),
    st.just(["p", AGENT]),
    st.just(["d", credentials.D_PREFIX + AGENT]),
    st.integers(-(10**3), 10**16).map(lambda n: ["expiration", str(n)]),
)


@st.composite
def credential_tags(draw: st.DrawFn) -> list[list[str]]:
    """The tags of a real credential, some dropped or replaced, others added, in any order."""
    base = [t for t in VALID["tags"] if draw(st.integers(0, 9)) > 0]  # each kept nine times in ten
    extra = draw(st.lists(near_tags, max_size=3))
    return draw(st.permutations(base + extra))


@PARSERS
@given(credential_tags(), st.sampled_from([credentials.KIND, credentials.KIND, credentials.KIND, 5, 1, 30079]))
def test_a_signed_event_with_any_tags_is_a_credential_only_when_they_agree(tags: list[list[str]], kind: int) -> None:
    """The owner's signature is good: what is left to judge is the kind and the tags."""
    signed = sign_event(OWNER, kind, "x", tags, created_at=NOW)
    try:
        credential = credentials.parse(signed)
    except KeyFormatError as exc:
        assert "\n" not in str(exc)
        event("refused: " + " ".join(str(exc).split()[:5]))
        return
    event("a credential")
    named = lambda name: [t for t in tags if t[0] == name]  # noqa: E731
    assert kind == credentials.KIND and ["t", "sovtui-credential"] in [t[:2] for t in tags]
    assert all(len(named(n)) == 1 for n in ("p", "d", "limit", "expiration"))
    assert named("p")[0][1] == credential.agent == AGENT or len(credential.agent) == 64
    assert named("d")[0][1] == credentials.D_PREFIX + credential.agent
    assert 0 < credential.limit_sats <= credentials.MAX_SATS and credential.period in credentials.PERIODS
    assert str(credential.limit_sats) == named("limit")[0][1] and str(credential.expires_at) == named("expiration")[0][1]
    credential.describe(), credential.to_dict(), credential.expires_on  # noqa: B018 - showing it never raises
