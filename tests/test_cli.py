"""The command line as a user runs it: ``main(argv)`` with its own stdin, stdout and stderr (the ``cli`` fixture)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from sovtui import __version__
from sovtui.paths import Paths


def test_version(cli) -> None:
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"sovtui {__version__}"


def test_help_lists_the_commands(cli) -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("paths", "config"):
        assert command in result.stdout


def test_paths_follow_the_xdg_variables(cli, xdg: Paths) -> None:
    result = cli("paths")
    assert result.returncode == 0
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines == {
        "config": str(xdg.config_dir),
        "data": str(xdg.data_dir),
        "state": str(xdg.state_dir),
        "config_file": str(xdg.config_file),
    }


def test_paths_json(cli, xdg: Paths) -> None:
    result = cli("paths", "--json")
    assert json.loads(result.stdout)["config_file"] == str(xdg.config_file)


def test_config_check_without_a_file_is_ok(cli, xdg: Paths) -> None:
    result = cli("config", "check")
    assert result.returncode == 0
    assert "ok" in result.stdout
    assert not xdg.config_file.exists()


def test_config_check_valid_file(cli, xdg: Paths) -> None:
    xdg.config_dir.mkdir(parents=True)
    xdg.config_file.write_text('[ui]\ntheme = "sovtui-light"\n')
    result = cli("config", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{xdg.config_file}: ok"


def test_broken_config_is_one_line_exit_2_and_unchanged(cli, xdg: Paths) -> None:
    xdg.config_dir.mkdir(parents=True)
    original = b'[ui]\ntheme = "sovtui-dark"\n[hosts.local\nurl = "x"\n'
    xdg.config_file.write_bytes(original)
    before = xdg.config_file.stat()
    result = cli("config", "check")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"sovtui: {xdg.config_file}:3:")
    assert "Traceback" not in result.stderr
    assert xdg.config_file.read_bytes() == original
    assert xdg.config_file.stat().st_mtime_ns == before.st_mtime_ns


def test_wrong_type_is_reported_by_key(cli, xdg: Paths) -> None:
    xdg.config_dir.mkdir(parents=True)
    xdg.config_file.write_text("[inference]\nmodel = 7\n")
    result = cli("config", "check")
    assert result.returncode == 2
    assert "key 'inference.model': expected a string, got 7 (integer)" in result.stderr


def _editor_script(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-editor"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_config_edit_creates_the_file_and_checks_it(cli, xdg: Paths, tmp_path: Path) -> None:
    editor = _editor_script(tmp_path, 'printf \'[ui]\\ntheme = "sovtui-light"\\n\' > "$1"')
    result = cli("config", "edit", env={"EDITOR": editor})
    assert result.returncode == 0, result.stderr
    assert xdg.config_file.read_text() == '[ui]\ntheme = "sovtui-light"\n'
    assert stat.S_IMODE(xdg.config_file.stat().st_mode) == 0o600


def test_config_edit_that_breaks_the_file_says_so(cli, xdg: Paths, tmp_path: Path) -> None:
    editor = _editor_script(tmp_path, 'printf "[ui\\n" > "$1"')
    result = cli("config", "edit", env={"EDITOR": editor})
    assert result.returncode == 2
    assert "sovtui config edit" in result.stderr
    assert xdg.config_file.read_text() == "[ui\n"


def test_config_show_json_has_the_defaults(cli) -> None:
    result = cli("config", "show", "--json")
    data = json.loads(result.stdout)
    assert data["hosts"]["local"]["url"] == "http://127.0.0.1:11434"
    assert data["ui"]["theme"] == "sovtui-dark"


def test_every_command_help_reads_as_plain_text(cli) -> None:
    """Module docstrings serve as help: their reST ``code`` spans are shown in plain quotes."""
    import re

    listed = cli("--help").stdout
    commands = sorted(set(re.findall(r"^    (\w+)\s", listed, re.M)))
    assert {"agent", "keys", "wallet", "mcp", "models"} <= set(commands)
    for command in commands:
        text = cli(command, "--help").stdout
        assert "``" not in text, command
        assert "sovtui.text" not in text, command  # our function names are not the user's business
    assert "'sovtui keys new --label bot --role agent'" in cli("agent", "--help").stdout.replace("\n", " ")


def test_group_without_action_shows_its_help(cli) -> None:
    result = cli("config")
    assert result.returncode == 2
    assert "check" in result.stderr


def test_every_file_lands_inside_the_xdg_folders(cli, tmp_path: Path, xdg: Paths) -> None:
    editor = _editor_script(tmp_path, "true")
    cli("config", "edit", env={"EDITOR": editor})
    cli("config", "check")
    home = Path(os.environ["HOME"])
    assert list(home.iterdir()) == []
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != tmp_path and p.name != "fake-editor"]
    assert written, "config edit should have created config.toml"
    for path in written:
        assert any(path.is_relative_to(tmp_path / f"xdg-{kind}") for kind in ("config", "data", "state"))


def test_each_command_is_registered_by_the_module_named_for_it() -> None:
    import argparse
    import importlib

    from sovtui import cli

    registered = {}
    for module in cli.COMMAND_GROUPS:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"sovtui.cli.{module}").register(subparsers)
        registered.update({name: module for name in subparsers.choices})
    assert cli.COMMANDS == registered
    assert set(cli.build_parser("chats")._subparsers._group_actions[0].choices) == {"chat", "chats", "personas"}  # type: ignore[union-attr]


def test_an_error_quoting_outside_text_reaches_stderr_without_its_escapes(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sovtui import cli
    from sovtui.errors import SovtuiError

    def hostile(args, ctx):  # type: ignore[no-untyped-def]
        raise SovtuiError("the wallet said: \x1b]52;c;bG5iYzE=\x07\x1b[2J no")

    parser = cli.build_parser()
    args = parser.parse_args(["paths"])
    monkeypatch.setattr(args, "handler", hostile, raising=False)
    monkeypatch.setattr(cli, "build_parser", lambda *only: type("P", (), {"parse_known_args": lambda self, argv: (args, [])})())
    assert cli.main(["paths"]) != 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "the wallet said" in err
