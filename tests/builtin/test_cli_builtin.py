"""The built-in engine from the command line, without starting it: its models, pulls and next steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sovtui.inference import builtin
from sovtui.paths import Paths
from tests.builtin.gguf_writer import tiny_model
from tests.builtin.hf_hub import HubFile, HubServer


def test_models_add_list_and_rm_on_the_builtin_host(cli, xdg: Paths, tmp_path: Path) -> None:
    source = tmp_path / "SmolLM2-135M-Instruct.Q4_K_M.gguf"
    source.write_bytes(tiny_model())
    added = cli("models", "add", str(source), "--name", "smol")
    assert added.returncode == 0, added.stderr
    assert "added smol (linked;" in added.stdout and "sovtui chat --host builtin -m smol" in added.stdout
    listed = json.loads(cli("models", "list", "--host", "builtin", "--json").stdout)
    assert [(m["name"], m["quantization"], m["family"], m["parameter_size"]) for m in listed] == [("smol", "Q4_K_M", "llama", "135M")]
    table = cli("models", "list", "--host", "builtin").stdout
    assert table.splitlines()[0].split() == ["NAME", "SIZE", "PARAMS", "QUANT", "FAMILY", "MODIFIED"] and "smol" in table
    refused = cli("models", "rm", "smol", "--host", "builtin")
    assert refused.returncode == 2 and "add --yes" in refused.stderr
    removed = cli("models", "rm", "smol", "--host", "builtin", "--yes")
    assert removed.returncode == 0 and "deleted smol" in removed.stdout
    assert json.loads(cli("models", "list", "--host", "builtin", "--json").stdout) == [] and source.exists()


def test_adding_a_file_that_is_not_gguf_fails_in_one_line(cli, tmp_path: Path) -> None:
    source = tmp_path / "model.gguf"
    source.write_text("<!doctype html>")
    result = cli("models", "add", str(source))
    assert result.returncode == 1 and "not a GGUF file" in result.stderr and "Traceback" not in result.stderr


def test_the_builtin_host_is_known_without_any_config(cli) -> None:
    status = json.loads(cli("backend", "status", "--host", "builtin", "--json").stdout)
    assert status["host"] == "builtin" and status["locality"] == "this machine" and not status["answering"]
    assert status["url"] == builtin.IDLE_URL and status["log"].endswith("logs/builtin.log")


def test_without_the_local_extra_the_next_step_is_the_install_command(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtin, "engine_installed", lambda: False)
    result = cli("backend", "start", "--host", "builtin")
    assert result.returncode == 1
    assert "the built-in engine is not installed: run " in result.stderr and "-m pip install 'sovtui[local]'" in result.stderr
    status = cli("backend", "status", "--host", "builtin").stdout
    assert "state: not installed" in status and "pip install 'sovtui[local]'" in status


def test_starting_with_no_model_says_how_to_get_one(cli) -> None:
    if not builtin.engine_installed():
        pytest.skip("checked before the model only when the engine is installed")
    result = cli("backend", "start", "--host", "builtin")
    assert result.returncode == 1 and "has no model yet: add a GGUF file with 'sovtui models add FILE.gguf'" in result.stderr


def test_a_chat_while_the_engine_is_stopped_says_how_to_start_it(cli, xdg: Paths, tmp_path: Path) -> None:
    (tmp_path / "m.gguf").write_bytes(tiny_model())
    cli("models", "add", str(tmp_path / "m.gguf"))
    result = cli("chat", "--host", "builtin", "-m", "m", "hello")
    assert result.returncode != 0
    assert "the built-in engine is not running: start it with 'sovtui backend start --host builtin'" in result.stderr


def test_pull_from_hugging_face_is_labelled_as_internet_traffic(cli, hub: HubServer, xdg: Paths) -> None:
    content = tiny_model("qwen3") + b"\0" * 5000
    hub.hub.repos["unsloth/Qwen3-0.6B-GGUF"] = {"Qwen3-0.6B-Q4_K_M.gguf": HubFile(content)}
    result = cli("models", "pull", "hf:unsloth/Qwen3-0.6B-GGUF:Q4_K_M", "--host", "builtin")
    assert result.returncode == 0, result.stderr
    assert f"from Hugging Face ({hub.url}: the public internet" in result.stderr
    assert "Qwen3-0.6B-Q4_K_M is ready for the built-in engine" in result.stdout
    assert [m["name"] for m in json.loads(cli("models", "list", "--host", "builtin", "--json").stdout)] == ["Qwen3-0.6B-Q4_K_M"]


def test_pull_names_that_mix_the_engines_are_refused(cli) -> None:
    ollama_name = cli("models", "pull", "qwen3:0.6b", "--host", "builtin")
    assert ollama_name.returncode == 2 and "hf:OWNER/REPO:QUANT" in ollama_name.stderr


def test_suggestions_for_the_builtin_engine_are_hugging_face_ggufs(cli) -> None:
    found = json.loads(cli("models", "suggest", "--host", "builtin", "--json").stdout)
    assert found and all(s["name"].startswith("hf:") and s["name"].endswith(":Q4_K_M") for s in found)


def test_doctor_lists_hugging_face_as_a_download_address(cli, ctx, no_ollama: str) -> None:
    assert "huggingface" not in cli("doctor").stdout  # not while the built-in engine is not in use
    ctx.update_config(lambda config: setattr(config.inference, "host", "builtin"))
    text = cli("doctor").stdout
    line = next(line for line in text.splitlines() if "huggingface" in line)
    assert "https://huggingface.co" in line and "only when you run 'sovtui models pull hf:...'" in line
    assert "never a prompt" in line


def test_models_show_and_default_read_the_files_without_starting_the_engine(cli, xdg: Paths, tmp_path: Path) -> None:
    (tmp_path / "m.gguf").write_bytes(tiny_model())
    cli("models", "add", str(tmp_path / "m.gguf"))
    shown = json.loads(cli("models", "show", "m", "--host", "builtin", "--json").stdout)
    assert (shown["family"], shown["quantization"], shown["parameter_size"], shown["context_length"]) == ("llama", "Q4_K_M", "135M", 8192)
    assert shown["capabilities"] == ["completion"]  # its chat template offers no tools
    made = cli("models", "default", "m", "--host", "builtin")
    assert made.returncode == 0
    assert made.stdout.strip() == "default model: m on builtin (this machine): new chats go there"
    assert json.loads(cli("config", "show", "--json").stdout)["inference"] == {"host": "builtin", "model": "m", "persona": ""}
    missing = cli("models", "default", "nope", "--host", "builtin")
    assert missing.returncode == 1 and "nope" in missing.stderr
    unsupported = cli("models", "ps", "--host", "builtin")
    assert unsupported.returncode == 1 and "builtin cannot list loaded models" in unsupported.stderr
    assert not (xdg.state_dir / "builtin" / "server.json").exists()
