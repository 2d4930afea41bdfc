"""``sovtui chat``, ``sovtui chats`` and ``sovtui personas`` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from sovtui.chat.store import ConversationStore
from sovtui.paths import Paths
from tests.conftest import ROOT
from tests.egress import egress_env
from tests.ollama_emulator import OllamaEmulator


def test_chat_streams_the_reply_to_stdout(cli, ollama: OllamaEmulator, xdg: Paths) -> None:
    result = cli("chat", "-m", "llama3.2:1b", "hello", "there")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "You said: hello there\n"
    assert "→ local (this machine)" in result.stderr
    (summary,) = ConversationStore(xdg).summaries()
    assert summary.messages == 2 and summary.model == "llama3.2:1b"


def test_chat_reads_stdin(cli, ollama: OllamaEmulator) -> None:
    result = cli("chat", "-m", "llama3.2:1b", input="hi from a pipe\n")
    assert result.stdout == "You said: hi from a pipe\n"


def test_chat_json_record(cli, ollama: OllamaEmulator) -> None:
    ollama.set_reply("qwen3:0.6b", "Forty-two.", thinking="Deep thought")
    record = json.loads(cli("chat", "--json", "-m", "qwen3:0.6b", "meaning?").stdout)
    assert record["content"] == "Forty-two." and record["thinking"] == "Deep thought"
    assert record["locality"] == "this machine" and record["eval_count"] and record["tokens_per_second"]


def test_continue_a_conversation(cli, ollama: OllamaEmulator, xdg: Paths) -> None:
    cli("chat", "-m", "llama3.2:1b", "one")
    (summary,) = ConversationStore(xdg).summaries()
    result = cli("chat", "--continue", summary.id, "two")
    assert result.returncode == 0, result.stderr
    conversation = ConversationStore(xdg).load(summary.id)
    assert [m.content for m in conversation.messages] == ["one", "You said: one", "two", "You said: two"]


def test_errors_are_one_line(cli, ollama: OllamaEmulator) -> None:
    for args, expected in (
        (("chat", "-m", "ghost", "hi"), "sovtui: model 'ghost' is not installed on local"),
        (("chat", "--persona", "ghost", "hi"), "sovtui: no persona named 'ghost'"),
        (("chat", "--host", "nas", "hi"), "sovtui: no host named 'nas'"),
        (("chat",), "sovtui: nothing to send"),
    ):
        result = cli(*args, input="")
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(expected), result.stderr


def test_host_down(cli, no_ollama: str) -> None:
    result = cli("chat", "-m", "x", "hi")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"sovtui: cannot reach Ollama at {no_ollama} (connection refused): start it with 'sovtui backend start'"


def test_chats_list_show_export_rm(cli, ollama: OllamaEmulator, xdg: Paths, tmp_path) -> None:
    cli("chat", "-m", "llama3.2:1b", "tell me about nodes")
    (entry,) = json.loads(cli("chats", "list", "--json").stdout)
    assert entry["title"] == "tell me about nodes" and entry["messages"] == 2
    assert "You said: tell me about nodes" in cli("chats", "show", entry["id"]).stdout
    out = tmp_path / "chat.md"
    assert cli("chats", "export", entry["id"], "-o", str(out)).returncode == 0
    assert out.read_text().startswith("# tell me about nodes")
    assert json.loads(cli("chats", "export", entry["id"], "--format", "json").stdout)["id"] == entry["id"]
    assert "add --yes" in cli("chats", "rm", entry["id"]).stderr
    assert cli("chats", "rm", entry["id"], "--yes").returncode == 0
    assert json.loads(cli("chats", "list", "--json").stdout) == []


def test_personas_commands(cli, xdg: Paths) -> None:
    assert cli("personas", "set", "poet", "Answer", "in", "verse.").returncode == 0
    personas = json.loads(cli("personas", "list", "--json").stdout)
    assert personas["poet"]["prompt"] == "Answer in verse."
    assert cli("personas", "default", "poet").returncode == 0
    assert json.loads(cli("personas", "list", "--json").stdout)["poet"]["default"] is True
    assert cli("personas", "rm", "poet").returncode == 0
    assert "poet" not in json.loads(cli("personas", "list", "--json").stdout)


def test_kill_9_mid_reply_leaves_a_readable_conversation(ollama: OllamaEmulator, xdg: Paths) -> None:
    ollama.set_reply("llama3.2:1b", "token " * 400, chunk_size=6, delay=0.01)
    env = dict(os.environ)
    env.update(egress_env())
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env["PYTHONPATH"]))
    process = subprocess.Popen(
        [sys.executable, "-m", "sovtui", "chat", "-m", "llama3.2:1b", "go on"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )
    shown = b""
    deadline = time.monotonic() + 20
    while len(shown) < 6 * 150 and time.monotonic() < deadline:  # 1.5 s of reply on screen
        shown += os.read(process.stdout.fileno(), 4096)  # type: ignore[union-attr]
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    (summary,) = ConversationStore(xdg).summaries()
    reply = ConversationStore(xdg).load(summary.id).messages[-1]
    # Everything on disk was shown, and at most the last second of what was shown is missing.
    assert shown.decode().startswith(reply.content)
    assert len(reply.content) >= len(shown) - 6 * 100 - 6
    assert reply.content  # at least one save happened mid-reply


def test_a_public_host_needs_yes_off_a_terminal(cli, ollama: OllamaEmulator, xdg: Paths) -> None:
    with xdg.config_file.open("a") as handle:
        handle.write('\n[hosts.cloud]\nurl = "https://203.0.113.9"\n')
    result = cli("chat", "--host", "cloud", "-m", "x", "secret plans")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "sovtui: https://203.0.113.9:443 is on the public internet: add --yes to send your prompt there"
    assert "leaves your network" in result.stderr
    assert ConversationStore(xdg).summaries() == []  # nothing sent, nothing saved
