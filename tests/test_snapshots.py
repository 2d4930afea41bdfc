"""Snapshots of the shell: fixed sizes, no clock, no blinking cursor, no paths."""

from __future__ import annotations


def test_shell_80x24(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_shell_120x40(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40))


def test_shell_light_theme_on_wallet(snap_compare, make_app, xdg) -> None:
    xdg.config_dir.mkdir(parents=True)
    xdg.config_file.write_text('[ui]\ntheme = "sovtui-light"\n')
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["f4"])
