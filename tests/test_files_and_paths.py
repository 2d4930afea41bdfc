"""Atomic writes, file modes and XDG folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sovtui.files import atomic_write, file_mode
from sovtui.paths import Paths


def test_xdg_variables_move_every_folder(xdg: Paths, tmp_path: Path) -> None:
    assert xdg.config_dir == tmp_path / "xdg-config" / "sovtui"
    assert xdg.data_dir == tmp_path / "xdg-data" / "sovtui"
    assert xdg.state_dir == tmp_path / "xdg-state" / "sovtui"
    assert xdg.config_file == tmp_path / "xdg-config" / "sovtui" / "config.toml"


def test_folders_are_created_private(xdg: Paths) -> None:
    xdg.ensure()
    for folder in (xdg.config_dir, xdg.data_dir, xdg.state_dir):
        assert file_mode(folder) == 0o700


def test_existing_folder_with_loose_mode_is_tightened(xdg: Paths) -> None:
    xdg.config_dir.mkdir(parents=True, mode=0o755)
    xdg.config_dir.chmod(0o755)
    xdg.ensure()
    assert file_mode(xdg.config_dir) == 0o700


def test_atomic_write_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "folder" / "f.json"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.json"]
    assert file_mode(target) == 0o600


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "folder" / "f.json"
    atomic_write(target, "precious")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(target, "half")
    monkeypatch.undo()
    assert target.read_text() == "precious"
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]
