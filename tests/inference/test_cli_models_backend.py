"""``sovtui models`` and ``sovtui backend`` as a user runs them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from sovtui.config import load_config
from sovtui.paths import Paths
from tests.ollama_emulator import OllamaEmulator


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_models_list_table_and_json(cli, ollama: OllamaEmulator) -> None:
    result = cli("models", "list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "SIZE", "PARAMS", "QUANT", "FAMILY", "MODIFIED"]
    assert {row.split()[0] for row in rows} == {"qwen3:0.6b", "llama3.2:1b"}
    data = json.loads(cli("models", "list", "--json").stdout)
    assert {m["name"] for m in data} == {"qwen3:0.6b", "llama3.2:1b"}
    assert {"size", "parameter_size", "quantization", "family", "modified"} <= set(data[0])


def test_models_pull_prints_plain_progress_when_piped(cli, ollama: OllamaEmulator) -> None:
    result = cli("models", "pull", "gemma3:1b")
    assert result.returncode == 0, result.stderr
    assert "pulling manifest" in result.stderr
    assert "%" in result.stderr and "\r" not in result.stderr
    assert result.stdout.strip() == "gemma3:1b is ready on local"
    assert "gemma3:1b" in cli("models", "list").stdout


def test_models_pull_unknown_name(cli, ollama: OllamaEmulator) -> None:
    result = cli("models", "pull", "no-such-model")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("sovtui: no model called 'no-such-model' in the Ollama library")


def test_models_rm_needs_yes_off_a_terminal(cli, ollama: OllamaEmulator) -> None:
    refused = cli("models", "rm", "llama3.2:1b")
    assert one_line_error(refused) == "sovtui: not deleting llama3.2:1b without confirmation: add --yes"
    assert "llama3.2:1b" in cli("models", "list").stdout
    done = cli("models", "rm", "llama3.2:1b", "--yes")
    assert done.returncode == 0
    assert "llama3.2:1b" not in cli("models", "list").stdout


def test_models_rm_unknown_model(cli, ollama: OllamaEmulator) -> None:
    error = one_line_error(cli("models", "rm", "ghost", "--yes"))
    assert error == "sovtui: model 'ghost' is not installed on local: pull it with 'sovtui models pull ghost'"


def test_models_show_and_ps(cli, ollama: OllamaEmulator) -> None:
    shown = json.loads(cli("models", "show", "qwen3:0.6b", "--json").stdout)
    assert shown["capabilities"] == ["completion", "thinking"] and shown["context_length"] == 4096
    assert json.loads(cli("models", "ps", "--json").stdout) == []
    ollama.loaded["qwen3:0.6b"] = datetime.now(timezone.utc) + timedelta(minutes=5)
    (loaded,) = json.loads(cli("models", "ps", "--json").stdout)
    assert loaded["name"] == "qwen3:0.6b" and loaded["expires_at"]


def test_models_default_saves_config(cli, ollama: OllamaEmulator, xdg: Paths) -> None:
    assert cli("models", "default", "qwen3:0.6b").returncode == 0
    assert load_config(xdg.config_file).inference.model == "qwen3:0.6b"
    assert "not installed" in one_line_error(cli("models", "default", "ghost"))


def test_host_flag_picks_a_named_host(cli, ollama: OllamaEmulator, xdg: Paths) -> None:
    with xdg.config_file.open("a") as handle:
        handle.write(f'\n[hosts.box]\nurl = "{ollama.url}"\n')
    assert cli("models", "list", "--host", "box").returncode == 0
    assert one_line_error(cli("models", "list", "--host", "nas")).startswith("sovtui: no host named 'nas'")


@pytest.mark.parametrize(
    "args",
    [("models", "list"), ("models", "ps"), ("models", "show", "x"), ("models", "pull", "x"), ("models", "rm", "x", "--yes")],
)
def test_every_models_command_fails_cleanly_with_nothing_listening(cli, no_ollama: str, args: tuple[str, ...]) -> None:
    result = cli(*args)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert last == f"sovtui: cannot reach Ollama at {no_ollama} (connection refused): start it with 'sovtui backend start'"


def test_backend_start_status_stop(stand_in_ollama: str) -> None:
    # Real processes: the server must outlive the process that started it,
    # and the server (a child) runs under the egress guard too.
    from tests.conftest import run_cli as cli

    status = json.loads(cli("backend", "status", "--json").stdout)
    assert status["state"] == "stopped" and status["binary"].endswith("tests/bin/ollama")
    started = cli("backend", "start")
    assert started.returncode == 0, started.stderr
    assert "started by sovtui" in started.stdout
    # The server outlives the command that started it.
    status = json.loads(cli("backend", "status", "--json").stdout)
    assert status["answering"] and status["managed"] and status["version"] == "0.12.6"
    assert "qwen3:0.6b" in cli("models", "list").stdout
    stopped = cli("backend", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert json.loads(cli("backend", "status", "--json").stdout)["answering"] is False


def test_backend_stop_leaves_a_foreign_server_alone(cli, ollama: OllamaEmulator) -> None:
    error = one_line_error(cli("backend", "stop"))
    assert "was not started by sovtui, so it is left alone" in error
    assert cli("models", "list").returncode == 0


def test_backend_start_without_ollama_installed(cli, no_ollama: str) -> None:
    error = one_line_error(cli("backend", "start"))
    assert "Ollama is not installed on this machine" in error and "https://ollama.com/download" in error
