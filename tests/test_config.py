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
