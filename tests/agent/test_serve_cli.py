"""`sovtui agent service` writes a systemd user unit; `agent serve` refuses plainly what it cannot do;
the status file reads as the TUI and doctor show it; [agents.NAME] relays and allow round-trip."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sovtui.agent.serve import parse_allowed, read_status, serve_relays, status_path
from sovtui.config import AgentConfig, Config, load_config, save_config
from sovtui.errors import UsageError
from sovtui.files import file_mode
from sovtui.identity import nip19


def test_service_writes_a_user_unit_with_load_credential(cli, ctx, keys, tmp_path):
    ctx.update_config(lambda c: c.agents.__setitem__("bot", AgentConfig(relays=["wss://relay.example"])))
    refused = cli("agent", "service", "bot", "--passphrase-file", str(tmp_path / "bot pass"))
    assert refused.returncode == 2 and "no spaces or quotes" in refused.stderr
    result = cli("agent", "service", "bot", "-m", "qwen3:4b", "--passphrase-file", str(tmp_path / "bot.pass"))
    assert result.returncode == 0, result.stderr
    unit = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user" / "sovtui-agent-bot.service"
    text = unit.read_text()
    assert f"LoadCredential=passphrase:{tmp_path / 'bot.pass'}\n" in text
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert "agent serve bot -m qwen3:4b --passphrase-file %d/passphrase" in exec_start
    assert "Restart=on-failure" in text and "WantedBy=default.target" in text
    assert "agent pass phrase" not in text and file_mode(unit) == 0o600
    assert "systemctl --user daemon-reload" in result.stdout
    assert "systemctl --user enable --now sovtui-agent-bot.service" in result.stdout
    assert "chmod 600" in result.stdout  # the passphrase file is not there yet
    data = json.loads(cli("agent", "service", "bot", "--json").stdout)
    assert data["unit"] == str(unit) and data["commands"][1] == "systemctl --user enable --now sovtui-agent-bot.service"
    assert data["passphrase_file"] == str(ctx.paths.config_dir / "bot.pass")


def test_serve_without_relays_says_where_to_set_them(cli, ctx, keys, monkeypatch):
    monkeypatch.setenv("SOVTUI_PASSPHRASE", "agent pass phrase")
    result = cli("agent", "serve", "bot")
    assert result.returncode == 2 and "[agents.bot] relays" in result.stderr
    assert "SOVTUI_PASSPHRASE" not in os.environ or os.environ["SOVTUI_PASSPHRASE"] == "agent pass phrase"  # the fixture's copy


def test_relays_come_from_the_flag_then_the_agent_then_nostr(ctx):
    ctx.update_config(lambda c: setattr(c.nostr, "relays", ["wss://nostr.example"]))
    assert serve_relays(ctx, "bot") == ["wss://nostr.example"]
    ctx.update_config(lambda c: c.agents.__setitem__("bot", AgentConfig(relays=["wss://agent.example"])))
    assert serve_relays(ctx, "bot") == ["wss://agent.example"]
    assert serve_relays(ctx, "bot", ["ws://127.0.0.1:9"]) == ["ws://127.0.0.1:9"]
    with pytest.raises(Exception, match="not a relay address"):
        serve_relays(ctx, "bot", ["http://nope"])


def test_allow_takes_npubs_and_hex_and_refuses_the_rest():
    key = "ab" * 32
    assert parse_allowed([nip19.hex_to_npub(key), key.upper()]) == {key}
    with pytest.raises(UsageError, match="not an npub"):
        parse_allowed(["npub1nope\x1b[31m"])


def test_agent_relays_and_allow_round_trip(tmp_path):
    path = tmp_path / "config.toml"
    config = Config()
    config.agents["bot"] = AgentConfig(relays=["wss://a.example"], allow=["npub1xyz"])
    config.agents["plain"] = AgentConfig()
    save_config(config, path)
    assert load_config(path) == config
    assert "allow" not in path.read_text().split("[agents.plain]")[1]  # empty lists are not written


def test_status_reads_running_stopped_and_damaged(ctx):
    path = status_path(ctx.paths.state_dir, "bot")
    assert not read_status(ctx.paths.state_dir, "bot").running
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), "since": 1.0, "last_activity": 2.0, "stopped": None, "relays": ["ws://x\x1b"]}))
    status = read_status(ctx.paths.state_dir, "bot")
    assert status.running and status.relays == ("ws://x",) and "served since" in status.describe()
    path.write_text(json.dumps({"pid": os.getpid(), "since": 1.0, "stopped": 3.0}))
    assert not read_status(ctx.paths.state_dir, "bot").running
    path.write_text("{broken")
    assert read_status(ctx.paths.state_dir, "bot").describe() == "not served"
