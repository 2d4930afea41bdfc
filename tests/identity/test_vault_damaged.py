"""A damaged or hostile vault file: a VaultError naming the file, never a traceback, the file untouched.

Hypothesis writes arbitrary bytes, arbitrary JSON, and a real vault with one
value anywhere in it replaced by arbitrary JSON; every way of reading it
(with and without the passphrase) must end in a VaultError, and the file must
be left byte for byte as it was.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sovtui.identity.vault import SecretNotFound, Vault, VaultError, WrongPassphrase
from tests.examples import examples

SECRET_HEX = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"
PUBKEY = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
NWC = "nostr+walletconnect://b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4?relay=wss%3A%2F%2Frelay.example&secret=71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"
PASSPHRASE = "pw"

#: Examples per property; docs/security.md quotes the total.
EXAMPLES = examples(400)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _template(protected: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        vault = Vault(Path(folder) / "vault.json", log_n=4)
        vault.create(PASSPHRASE if protected else None)
        vault.put_key("me", SECRET_HEX, role="owner", pubkey=PUBKEY)
        vault.put_secret("nwc:alby", NWC)
        return json.loads(vault.path.read_text())


TEMPLATES = {True: _template(True), False: _template(False)}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a value could be swapped (the document itself too)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def _every_read(path: Path) -> list[Callable[[], Any]]:
    vault = Vault(path, log_n=4)

    def unlocked() -> Vault:
        vault.lock()
        vault.unlock(PASSPHRASE if vault.is_protected else None)
        return vault

    return [
        lambda: vault.is_protected,
        lambda: vault.roles(),
        lambda: unlocked().keys(),
        lambda: unlocked().list_secrets(),
        lambda: unlocked().get_secret("nwc:alby"),
        lambda: unlocked().secret_key("me"),
        lambda: unlocked().put_secret("nwc:new", NWC),
        lambda: unlocked().put_key("new", "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683", role="agent", pubkey="3b3b"),
        lambda: Vault(path, log_n=4).create(PASSPHRASE),
        lambda: Vault(path, log_n=4).change_passphrase(PASSPHRASE, "new"),
    ]


def _check(folder: Path, raw: bytes, *, may_work: bool) -> None:
    path = folder / "vault.json"
    path.write_bytes(raw)
    for read in _every_read(path):
        try:
            read()
        except (WrongPassphrase, SecretNotFound):
            pass  # a damaged check value cannot be told from a wrong passphrase; a missing name is missing
        except VaultError as exc:
            message = str(exc)
            assert str(path) in message, message
            assert "\n" not in message and "Traceback" not in message
        else:
            assert may_work, "a damaged vault was read as if it were whole"
        if path.read_bytes() != raw:
            # Only a whole, readable vault may be changed, and only by the writes.
            assert may_work, "a damaged vault file was changed"
            path.write_bytes(raw)


_settings = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@_settings
@given(raw=st.binary(max_size=300))
def test_any_bytes(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _check(Path(folder), raw, may_work=False)


@_settings
@given(document=json_values)
def test_any_json(document: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _check(Path(folder), json.dumps(document).encode(), may_work=False)


@_settings
@given(protected=st.booleans(), data=st.data())
def test_a_real_vault_with_one_value_replaced(protected: bool, data: st.DataObject) -> None:
    template = TEMPLATES[protected]
    where = data.draw(st.sampled_from(_paths(template)))
    value = data.draw(json_values)
    # A scrypt cost the file asks for is honoured up to a limit; a big one is slow, not wrong.
    assume(not (where and where[-1] == "log_n" and isinstance(value, int) and not isinstance(value, bool) and 9 <= value <= 22))
    document = _replace(template, where, value)
    with tempfile.TemporaryDirectory() as folder:
        _check(Path(folder), json.dumps(document).encode(), may_work=True)


def test_a_truncated_vault(tmp_path: Path) -> None:
    whole = json.dumps(TEMPLATES[True]).encode()
    for cut in range(0, len(whole), 7):
        _check(tmp_path, whole[:cut], may_work=False)
