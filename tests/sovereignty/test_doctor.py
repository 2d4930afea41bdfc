"""``sovtui doctor``: the level, the findings and every endpoint, from real state."""

from __future__ import annotations

import json
import os

import pytest

from sovtui.paths import Paths
from tests.ollama_emulator import OllamaEmulator


def test_doctor_with_a_local_model_is_level_2(cli, ollama: OllamaEmulator, xdg: Paths) -> None:
    result = cli("doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["level"] == 2 and report["level_name"] == "local inference"
    (endpoint,) = report["endpoints"]  # nothing public: Hugging Face only when the built-in engine is in use
    assert endpoint == {"purpose": "model server (Ollama)", "name": "local", "url": ollama.url, "locality": "this machine", "public": False}
    assert not [f for f in report["findings"] if f["id"] == "loose-permissions"]


def test_doctor_with_nothing_running(cli, no_ollama: str) -> None:
    report = json.loads(cli("doctor", "--json").stdout)
    assert report["level"] == 0
    assert "ollama-missing" in {f["id"] for f in report["findings"]}
    text = cli("doctor").stdout
    assert text.startswith("sovereignty level 0 of 4: full dependence")
    assert "sovtui may contact only these addresses:" in text and no_ollama in text


def test_doctor_flags_a_public_host_without_contacting_unconfigured_ones(ollama: OllamaEmulator, xdg: Paths) -> None:
    # The public host is listed and flagged; probing it is refused by the
    # egress guard in tests, which doctor reports as not answering. A real
    # process: the refusal is logged by the child's guard and taken here.
    from tests.conftest import run_cli

    with xdg.config_file.open("a") as handle:
        handle.write('\n[hosts.cloud]\nurl = "https://203.0.113.9"\n')
    report = json.loads(run_cli("doctor", "--json").stdout)
    cloud = next(e for e in report["endpoints"] if e["name"] == "cloud")
    assert cloud["public"] and cloud["locality"] == "public internet"
    assert "public-host" in {f["id"] for f in report["findings"]}
    from tests.egress import take_child_violations

    violations = take_child_violations()
    assert violations and all("203.0.113.9" in v for v in violations), violations


def test_doctor_reports_files_other_users_can_read(cli, ollama: OllamaEmulator, xdg: Paths) -> None:
    os.chmod(xdg.config_file, 0o644)
    report = json.loads(cli("doctor", "--json").stdout)
    loose = [f for f in report["findings"] if f["id"] == "loose-permissions"]
    assert [f["next_step"] for f in loose] == [f"chmod 600 '{xdg.config_file}'"]


def test_doctor_counts_keys_without_the_passphrase(cli, ollama: OllamaEmulator) -> None:
    cli("keys", "new", "--label", "me", "--unprotected")
    report = json.loads(cli("doctor", "--json").stdout)
    ids = {f["id"] for f in report["findings"]}
    assert "keys-unprotected" in ids and "no-owner-key" not in ids


@pytest.mark.usefixtures("cheap_scrypt")
def test_doctor_lists_wallet_relays_and_reaches_level_4(cli, ollama: OllamaEmulator, relay, xdg: Paths) -> None:
    """Keys, a budgeted wallet and an agent credential, all from the CLI: the doctor agrees."""
    from tests.wallet.simulator import WalletSimulator

    sim = WalletSimulator(relay.url).start()
    try:
        env = {"SOVTUI_PASSPHRASE": "a long vault passphrase"}
        assert cli("keys", "new", "--label", "me", env=env).returncode == 0
        assert cli("wallet", "connect", "main", input=sim.uri, env=env).returncode == 0
        report = json.loads(cli("doctor", "--json").stdout)
        assert report["level"] == 3
        assert {"purpose": "wallet relay (NWC)", "name": "main", "url": relay.url, "locality": "this machine", "public": False} in report["endpoints"]
        assert "wallet-no-budget" in {f["id"] for f in report["findings"]}
        assert cli("wallet", "budget", "main", "10000").returncode == 0
        assert cli("keys", "new", "--label", "bot", "--role", "agent", env=env).returncode == 0
        issued = cli("keys", "credential", "issue", "--owner", "me", "--agent", "bot", "--limit", "1000", "--period", "day", env=env)
        assert issued.returncode == 0, issued.stderr
        report = json.loads(cli("doctor", "--json").stdout)
        # a key and a credential are not yet an agent that acts: no model here can call its tools
        assert report["level"] == 3, report["findings"]
        assert "no-tools-model" in {f["id"] for f in report["findings"]}
        ollama.add_model("qwen3:4b", family="qwen3", parameter_size="4.0B", capabilities=("completion", "tools"))
        report = json.loads(cli("doctor", "--json").stdout)
        assert report["level"] == 4, report["findings"]
        text = cli("doctor").stdout
        assert f"main           {relay.url}" in text and "(wallet relay (NWC))" in text
    finally:
        sim.stop()


def test_the_built_in_engine_as_default_host_stopped_says_how_to_start_it(cli, ctx, no_ollama: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Not "Ollama is installed" (the default host's server was taken for Ollama), and its idle address is not probed."""
    from tests.builtin.gguf_writer import tiny_model

    ctx.update_config(lambda config: setattr(config.inference, "host", "builtin"))
    report = json.loads(cli("doctor", "--json").stdout)  # the egress guard fails the test on any probe of 127.0.0.1:0/80
    assert report["level"] == 0
    ids = [f["id"] for f in report["findings"]]
    assert "builtin-no-model" in ids and "ollama-stopped" not in ids and "ollama-missing" not in ids

    (tmp_path / "m.gguf").write_bytes(tiny_model())
    assert cli("models", "add", str(tmp_path / "m.gguf")).returncode == 0
    report = json.loads(cli("doctor", "--json").stdout)
    (finding,) = [f for f in report["findings"] if f["id"].startswith("builtin")]
    assert finding["id"] == "builtin-stopped" and "sovtui backend start --host builtin" in finding["next_step"]
    assert report["level"] == 0

    # With autostart the first chat starts it: a model of this machine answers, local inference.
    ctx.update_config(lambda config: setattr(config.backend, "autostart", True))
    report = json.loads(cli("doctor", "--json").stdout)
    assert report["level"] == 2
    assert [f["id"] for f in report["findings"] if f["id"].startswith("builtin")] == ["builtin-autostart"]
