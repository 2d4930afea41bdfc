"""A hostile model (or host) cannot drive the terminal through a chat (issue 14, finding 3).

A reply, its thinking, an error line, a model name or a saved title that
holds OSC 52 (set the clipboard), ESC[2J (clear the screen), a one-byte CSI
(0x9b) or a bidi override reaches the screen without them: through
``sovtui chat`` (to a terminal or a pipe), ``sovtui chats``, and the Chat
pane, where the check is on the bytes Textual would write to the terminal.
Files the user asks for (``chats export -o``, the pane's export) keep the
reply as the model sent it.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import datetime, timezone

from sovtui.chat.models import Conversation, Message
from sovtui.chat.store import ConversationStore
from sovtui.paths import Paths
from sovtui.ui.panes.chat import ChatPane
from sovtui.ui.widgets.conversation_list import ConversationList
from sovtui.ui.widgets.message import MessageWidget
from tests.conftest import ROOT
from tests.egress import egress_env
from tests.ollama_emulator import OllamaEmulator
from tests.pilot_helpers import settle

#: What a hostile reply may carry: set the clipboard, clear the screen and home
#: the cursor, a one-byte CSI, a bidi override, a bell and a carriage return.
CLIPBOARD = "\x1b]52;c;bG5iYzFldmlsaW52b2ljZQ==\x07"
HOSTILE = f"Sure.{CLIPBOARD} Here\x1b[2J\x1b[H it is\x9b31m: \u202etxt.exe\u202c done\r"
#: Substrings that must never reach a terminal.
FORBIDDEN = ("\x1b]52", "\x1b[2J", "\x1b[H", "\x9b", "\u202e", "\u202c", "\x07", "\r")
SHOWN = "Sure.]52;c;bG5iYzFldmlsaW52b2ljZQ== Here[2J[H it is31m: txt.exe done"


def assert_clean(text: str, where: str) -> None:
    found = [s for s in FORBIDDEN if s in text]
    assert not found, f"{where} carries {found!r}: {text!r}"


def assert_no_escape(text: str, where: str) -> None:
    """Plain output (a pipe): not a single control character but newline and tab."""
    assert_clean(text, where)
    assert "\x1b" not in text, f"{where} carries an ESC: {text!r}"


# --- sovtui chat ---------------------------------------------------------------


def test_cli_chat_strips_controls_from_a_piped_reply_and_its_thinking(cli, ollama: OllamaEmulator) -> None:
    ollama.set_reply("qwen3:0.6b", HOSTILE, thinking=f"plan{CLIPBOARD}\x1b[2J\u202e")
    result = cli("chat", "-m", "qwen3:0.6b", "--think", "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SHOWN + "\n"
    assert "thinking: plan]52;c;" in result.stderr
    assert_no_escape(result.stdout, "stdout")
    assert_no_escape(result.stderr, "stderr")


def test_cli_chat_strips_controls_on_a_terminal(ollama: OllamaEmulator) -> None:
    """On a real terminal (a pty), only sovtui's own dim style codes are written."""
    ollama.set_reply("qwen3:0.6b", HOSTILE, thinking=f"plan{CLIPBOARD}")
    env = dict(os.environ)
    env.update(egress_env())
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env["PYTHONPATH"]))
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sovtui", "chat", "-m", "qwen3:0.6b", "--think", "hi"],
        stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, env=env,
    )
    os.close(terminal)
    written = b""
    while True:
        try:
            data = os.read(controller, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        written += data
    os.close(controller)
    assert process.wait(timeout=30) == 0
    text = written.decode().replace("\r\n", "\n")  # the terminal's own newline translation
    assert SHOWN in text
    assert_clean(text, "the terminal")
    # What is left of ESC is sovtui's own: dim on and off around thinking and stats.
    assert set(text.split("\x1b")[1:]) and all(part.startswith(("[2m", "[0m")) for part in text.split("\x1b")[1:]), text


def test_cli_chat_json_is_faithful_and_safe(cli, ollama: OllamaEmulator) -> None:
    """--json keeps every character (escaped), so scripts get the reply as sent."""
    ollama.set_reply("llama3.2:1b", HOSTILE)
    result = cli("chat", "--json", "-m", "llama3.2:1b", "hi")
    assert result.returncode == 0, result.stderr
    assert_no_escape(result.stdout, "--json")
    assert json.loads(result.stdout)["content"] == HOSTILE


def test_an_error_from_ollama_is_shown_without_controls(cli, ollama: OllamaEmulator) -> None:
    ollama.set_reply("llama3.2:1b", "abcdefgh", chunk_size=4, error_after=1, error=f"model crashed{CLIPBOARD}\x1b[2J\u202e")
    result = cli("chat", "-m", "llama3.2:1b", "hi")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "sovtui: Ollama at local stopped with an error: model crashed]52;c;bG5iYzFldmlsaW52b2ljZQ==[2J"
    assert_no_escape(result.stderr, "stderr")


def hostile_conversation(paths: Paths) -> Conversation:
    """A conversation file as another machine (or an older sovtui) may have left it."""
    moment = datetime(2026, 3, 14, 9, 26, tzinfo=timezone.utc)
    conversation = Conversation(
        id="20260314-092600-dead", title=f"evil{CLIPBOARD}\x1b[2J\u202etitle", created=moment, updated=moment,
        host="local", model="qwen3\x1b[2J:0.6b",
    )
    conversation.messages = [
        Message("user", "hi", time=moment),
        Message("assistant", HOSTILE, thinking=f"plan{CLIPBOARD}", time=moment, model="qwen3\x1b[2J\u202e:0.6b"),
    ]
    ConversationStore(paths).save(conversation)
    return conversation


def test_chats_list_show_and_export(cli, xdg: Paths, tmp_path) -> None:  # type: ignore[no-untyped-def]
    conversation = hostile_conversation(xdg)
    listed = cli("chats", "list")
    assert listed.returncode == 0, listed.stderr
    assert "evil]52;c;" in listed.stdout
    assert_no_escape(listed.stdout, "chats list")
    as_json = cli("chats", "list", "--json")
    assert_no_escape(as_json.stdout, "chats list --json")
    assert json.loads(as_json.stdout)[0]["title"] == conversation.title
    shown = cli("chats", "show", conversation.id)
    assert SHOWN in shown.stdout
    assert_no_escape(shown.stdout, "chats show")
    # A file asked for by name is the conversation as it is.
    out = tmp_path / "chat.md"
    assert cli("chats", "export", conversation.id, "-o", str(out)).returncode == 0
    assert HOSTILE.rstrip("\r") in out.read_text()
    exported = cli("chats", "export", conversation.id, "--format", "json")
    assert_no_escape(exported.stdout, "chats export --format json")
    assert json.loads(exported.stdout)["messages"][1]["content"] == HOSTILE


# --- the Chat pane ------------------------------------------------------------------


def terminal_output(app) -> str:  # type: ignore[no-untyped-def]
    """What Textual's driver would write for a full repaint of the screen."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def assert_widget_clean(widget: MessageWidget) -> None:
    from textual.widgets import Markdown, Static

    assert_no_escape(widget.content, "the message's text")
    assert_no_escape(widget.thinking, "the message's thinking")
    assert_no_escape(widget.label, "the message's label")
    for markdown in widget.query(Markdown):
        assert_no_escape(markdown.source, "a Markdown source")
    for static in widget.query(Static):
        assert_no_escape(str(static.render()), "a Static")


async def test_chat_pane_streams_a_hostile_reply_without_its_controls(make_app, ollama: OllamaEmulator) -> None:
    ollama.set_reply("qwen3:0.6b", HOSTILE * 3, thinking=f"plan{CLIPBOARD}\x1b[2J", chunk_size=3)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"hi", "enter")
        await settle(app, pilot)
        reply = app.query(MessageWidget).last()
        assert reply.content == SHOWN * 3
        assert reply.thinking == "plan]52;c;bG5iYzFldmlsaW52b2ljZQ==[2J"
        assert_widget_clean(reply)
        reply.toggle_thinking()
        await pilot.pause()
        assert_clean(terminal_output(app), "the terminal")


async def test_chat_pane_shows_every_stream_piece_without_controls(make_app, ollama: OllamaEmulator) -> None:
    """Fragments that split a sequence (ESC in one chunk, its rest in the next) are clean too."""
    parts = ["ok \x1b", "]52;c;", "ZXZpbA==\x07 \x1b[", "2J \x9b", "31m\u202e", " end"]
    ollama.set_reply("llama3.2:1b", "", parts=parts, delay=0.02)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ChatPane).session.conversation.model = "llama3.2:1b"
        await pilot.press(*"hi", "enter")
        outputs = []
        for _ in range(40):
            await pilot.pause(0.02)
            outputs.append(terminal_output(app))
        await settle(app, pilot)
        outputs.append(terminal_output(app))
        for output in outputs:
            assert_clean(output, "the terminal while streaming")
        assert app.query(MessageWidget).last().content == "ok ]52;c;ZXZpbA== [2J 31m end"


async def test_a_reopened_conversation_and_its_title_are_clean(make_app, ollama: OllamaEmulator, xdg: Paths) -> None:
    conversation = hostile_conversation(xdg)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(ChatPane)
        pane.open_conversation(conversation.id)
        await settle(app, pilot)
        widgets = list(app.query(MessageWidget))
        assert [w.content for w in widgets] == ["hi", SHOWN]
        for widget in widgets:
            assert_widget_clean(widget)
        assert widgets[-1].label == "qwen3[2J:0.6b"
        listing = app.query_one(ConversationList)
        assert listing.items[0].id == conversation.id
        widgets[-1].toggle_thinking()
        await pilot.pause()
        assert_clean(terminal_output(app), "the terminal")
        assert "\x1b[2J" not in str(app.query_one("#chat-info").render())
        # Copying a message copies what is shown: nothing a later paste could run.
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        log = app.query_one("#messages")
        log.focus()
        await pilot.press("c")
        assert copied == [SHOWN]


async def test_an_error_notification_is_clean(make_app, ollama: OllamaEmulator) -> None:
    ollama.set_reply("qwen3:0.6b", "abcdefgh", chunk_size=4, error_after=1, error=f"boom{CLIPBOARD}\x1b[2J")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"hi", "enter")
        await settle(app, pilot)
        messages = [str(n.message) for n in app._notifications]
        assert any("boom]52;c;" in m for m in messages), messages
        for message in messages:
            assert_no_escape(message, "a notification")
        assert_clean(terminal_output(app), "the terminal")
