"""config.toml: defaults, round trips, errors that name the place, nothing lost."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sovtui.config import Config, ConfigStore, HostConfig, load_config, parse_config, save_config
from sovtui.errors import ConfigError
from sovtui.files import file_mode


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "nope.toml")
    assert config == Config()
    assert config.hosts["local"].url == "http://127.0.0.1:11434"


def test_empty_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    assert load_config(path) == Config()


def test_round_trip_keeps_every_value(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config = Config()
    config.ui.theme = "sovtui-light"
    config.inference.model = "qwen3:0.6b"
    config.inference.host = "gpu-box"
    config.hosts["gpu-box"] = HostConfig(url="http://192.168.1.20:11434")
    save_config(config, path)
    assert load_config(path) == config


def test_parse_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError) as info:
        parse_config('[ui]\ntheme = "dark"\nbroken = \n', path)
    message = str(info.value)
    assert message.startswith(f"{path}:3:")
    assert "\n" not in message


def test_wrong_type_names_the_key_and_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError) as info:
        parse_config("[ui]\ntheme = 42\n", path)
    assert str(info.value) == (
        f"{path}: key 'ui.theme': expected a string, got 42 (integer) (the file was left unchanged)"
    )


def test_wrong_type_inside_a_named_host(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 'hosts.box.url': expected a string, got true"):
        parse_config("[hosts.box]\nurl = true\n", tmp_path / "c.toml")


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 'ui': expected a table, got \"x\" \(string\)"):
        parse_config('ui = "x"\n', tmp_path / "c.toml")


def test_unknown_keys_survive_a_save(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'future_top = "kept"\n'
        "[ui]\ntheme = \"sovtui-dark\"\nfont_ligatures = true\n"
        "[hosts.local]\nurl = \"http://127.0.0.1:11434\"\nnote = \"the NAS\"\n"
        "[plugins.x]\nenabled = 1\n"
    )
    store = ConfigStore(path)

    def change(config: Config) -> None:
        config.ui.theme = "sovtui-light"

    store.update(change)
    text = path.read_text()
    assert 'future_top = "kept"' in text
    assert "font_ligatures = true" in text
    assert 'note = "the NAS"' in text
    assert "[plugins.x]" in text and "enabled = 1" in text
    assert load_config(path).ui.theme == "sovtui-light"


def test_update_refuses_to_touch_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = b"[ui\ntheme = 'x'\n"
    path.write_bytes(original)
    with pytest.raises(ConfigError):
        ConfigStore(path).update(lambda config: None)
    assert path.read_bytes() == original


def test_saved_config_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    save_config(Config(), path)
    assert file_mode(path) == 0o600
    assert file_mode(path.parent) == 0o700


def test_two_writers_do_not_lose_each_others_changes(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    stores = [ConfigStore(path), ConfigStore(path)]

    def writer(index: int) -> None:
        for n in range(25):

            def change(config: Config, n: int = n) -> None:
                config.hosts[f"w{index}-{n}"] = HostConfig(url=f"http://10.0.{index}.{n}:11434")

            stores[index].update(change)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    hosts = load_config(path).hosts
    assert {f"w{i}-{n}" for i in range(2) for n in range(25)} <= set(hosts)


def test_unknown_host_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"no host named 'nas' in config.toml \(known: local\)"):
        Config().host("nas")


# --- config.toml as outside input (issue 14: property tests for every parser) ----
#
# config.toml is written by the user, an editor, a script or a newer sovtui.
# Whatever it holds, reading it gives a typed Config or one ConfigError line
# naming the file (and the line, where there is one); never a traceback, and
# a file that does not load is never written over.

import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sovtui.text import is_safe  # noqa: E402
from tests.examples import examples  # noqa: E402


def _assert_good_error(error: ConfigError, path: Path) -> None:
    message = str(error)
    assert message.startswith(f"{path}"), message
    assert "\n" not in message and is_safe(message, one_line=True), message
    assert len(message) < 400, message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[ui]\ntheme = 1979-05-27T07:32:00Z\n", r"'ui.theme': expected a string, got 1979-05-27 07:32:00\+00:00 \(date-time\)"),
        ("[ui]\ntheme = 07:32:00\n", r"expected a string, got 07:32:00 \(time\)"),
        ("[ui]\ntheme = 1979-05-27\n", r"expected a string, got 1979-05-27 \(date\)"),
        ("[backend]\nstart_timeout = " + "9" * 400 + "\n", r"'backend.start_timeout': expected a number of 0 or more, got 9{30}… \(integer\)"),
        ("# big\n[backend]\nstart_timeout = " + "9" * 5000 + "\n", r":3:\d+: a number with more than 4300 digits"),
        ("[ui]\na = " + "[" * 5000 + "]" * 5000 + "\n", r":2:\d+: arrays or tables nested too deeply"),
        ("a = " + "{b=" * 3000 + "1" + "}" * 3000 + "\n", r":1:\d+: arrays or tables nested too deeply"),
        ("[backend]\nstart_timeout = nan\n", r"'backend.start_timeout': expected a number of 0 or more, got nan \(float\)"),
        ("[backend]\nstart_timeout = inf\n", r"expected a number of 0 or more, got inf"),
        ("[vault]\nlock_after_minutes = -1.5\n", r"'vault.lock_after_minutes': expected a number of 0 or more, got -1.5"),
        ("[backend]\nstart_timeout = -1\n", r"'backend.start_timeout': expected a number of 0 or more, got -1 \(integer\)"),
        ('[hosts."a\\nb\\u001b[2J"]\nurl = 5\n', r"key 'hosts\.\"a\\nb\\u001b\[2J\"\.url': expected a string"),
        ("[ui", r":1:4: expected '\]' at the end of a table declaration"),
    ],
    ids=[
        "datetime", "time", "date", "int-too-big-for-float", "too-many-digits", "deep-arrays", "deep-tables",
        "nan", "inf", "negative-minutes", "negative-timeout", "key-with-controls",
        "end-of-document",
    ],
)
def test_what_python_cannot_take_is_a_config_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    _assert_good_error(info.value, path)
    assert re.search(expected, str(info.value)), str(info.value)


def test_a_byte_order_mark_is_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[ui]\ntheme = 'sovtui-light'\n")
    assert load_config(path).ui.theme == "sovtui-light"


def test_bytes_that_are_not_utf8_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[ui]\ntheme = '\xff'\n")
    with pytest.raises(ConfigError, match=r":2:10: not UTF-8 text"):
        load_config(path)


# Values TOML can hold, some of which the typed fields refuse.
_toml_scalars = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Lo"]), max_size=6),
    st.integers(),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.datetimes(timezones=st.timezones()) if False else st.dates(),
    st.times(),
    st.sampled_from(["day", "week", "month", "fortnight", "http://127.0.0.1:11434", "sovtui-dark"]),
)
_toml_values = st.recursive(
    _toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_KNOWN = {
    "ui": ["theme"],
    "inference": ["host", "model", "persona"],
    "backend": ["binary", "autostart", "stop_at_exit", "start_timeout"],
    "privacy": ["confirm_public"],
    "vault": ["lock_after_minutes"],
    "nostr": ["relays"],
}
_NAMED = {
    "hosts": ["url"],
    "personas": ["prompt"],
    "wallets": ["wallet_pubkey", "relays", "lud16", "network", "budget_sats", "budget_period", "max_fee_sats"],
}


@st.composite
def _config_documents(draw):  # type: ignore[no-untyped-def]
    """A dict shaped like config.toml: known sections and keys, wrong types now and then, unknown keys too."""
    doc: dict = {}
    for section, keys in _KNOWN.items():
        if draw(st.booleans()):
            doc[section] = {k: draw(_toml_values) for k in keys if draw(st.booleans())}
    for section, keys in _NAMED.items():
        if draw(st.booleans()):
            doc[section] = {
                draw(st.text(min_size=1, max_size=6)): {k: draw(_toml_values) for k in keys if draw(st.booleans())}
                for _ in range(draw(st.integers(0, 2)))
            }
    if draw(st.booleans()):
        doc[draw(st.text(min_size=1, max_size=6))] = draw(_toml_values)
    if draw(st.integers(0, 4)) == 0:
        doc[draw(st.sampled_from(sorted({**_KNOWN, **_NAMED})))] = draw(_toml_scalars)  # a section that is not a table
    return doc


_settings = settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@_settings
@given(doc=_config_documents())
def test_any_toml_document_gives_a_config_or_one_clear_error(tmp_path: Path, doc: dict) -> None:
    import tomli_w

    from sovtui.config import dump_config

    path = tmp_path / "config.toml"
    text = tomli_w.dumps(doc)
    path.write_text(text)
    try:
        config = load_config(path)
    except ConfigError as error:
        _assert_good_error(error, path)
        with pytest.raises(ConfigError):
            ConfigStore(path).update(lambda c: None)
        assert path.read_text() == text  # never written over
        return
    # What loads saves and loads back the same, unknown keys included.
    saved = dump_config(config)
    assert dump_config(parse_config(saved, path)) == saved


_valid = '[ui]\ntheme = "sovtui-dark"\n\n[hosts.local]\nurl = "http://127.0.0.1:11434"\n\n[wallets.w]\nbudget_sats = 1000\n'


@_settings
@given(
    data=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.tuples(st.integers(0, len(_valid)), st.integers(0, 8), st.binary(max_size=8)).map(
            lambda t: (_valid[: t[0]] + _valid[t[0] + t[1] :]).encode() if not t[2] else (_valid[: t[0]].encode() + t[2] + _valid[t[0] :].encode())
        ),
    )
)
def test_any_bytes_give_a_config_or_an_error_with_the_place(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except ConfigError as error:
        _assert_good_error(error, path)
        message = str(error)
        # A syntax error names the line and column; a wrong value names the key.
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", message) or ": key '" in message, message
        with pytest.raises(ConfigError):
            ConfigStore(path).update(lambda c: None)
        assert path.read_bytes() == data


def _sovtui(*args: str) -> subprocess.Popen[str]:
    import os

    from tests.conftest import ROOT
    from tests.egress import egress_env

    env = dict(os.environ)
    env.update(egress_env())
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env["PYTHONPATH"]))
    return subprocess.Popen(
        [sys.executable, "-m", "sovtui", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env,
    )


CONCURRENT_PROCESSES = 8


def test_sovtui_processes_changing_config_at_once_lose_nothing(xdg) -> None:  # type: ignore[no-untyped-def]
    """Real sovtui processes, started together against one XDG folder, each set a different persona."""
    from sovtui.config import ConfigStore as Store

    Store(xdg.config_file).update(lambda c: c.hosts.__setitem__("nas", HostConfig(url="http://10.0.0.2:11434")))
    processes = [_sovtui("personas", "set", f"p{n}", f"prompt number {n}") for n in range(CONCURRENT_PROCESSES)]
    processes.append(_sovtui("personas", "rm", "tutor"))
    processes.append(_sovtui("personas", "default", "coder"))
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    config = load_config(xdg.config_file)
    assert {f"p{n}": f"prompt number {n}" for n in range(CONCURRENT_PROCESSES)}.items() <= {
        name: persona.prompt for name, persona in config.personas.items()
    }.items()
    assert "tutor" not in config.personas
    assert config.inference.persona == "coder"
    assert config.hosts["nas"].url == "http://10.0.0.2:11434"  # what was there before is kept too
