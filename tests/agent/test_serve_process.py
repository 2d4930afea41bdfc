"""sovtui agent serve as a real process: a message sent while it was stopped is answered after a restart,
and SIGTERM in the middle of a reply lets the reply finish, saves it, and exits 0 within 5 s."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from sovtui.agent.serve_status import read_status
from sovtui.chat.store import ConversationStore
from tests.agent.conftest import PASSPHRASE, TOOLS_MODEL
from tests.agent.serve_helpers import Phone, start_serve, wait_served, wait_until
from tests.ollama_emulator import Reply

nostr_sdk = pytest.importorskip("nostr_sdk")


def stop(process: subprocess.Popen[str]) -> tuple[int, float, str]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return process.returncode, time.monotonic() - started, err


@pytest.fixture
def passphrase_file(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "bot.pass"
    path.write_text(PASSPHRASE + "\n")
    path.chmod(0o600)
    return str(path)


async def test_a_message_sent_while_stopped_is_answered_after_a_restart(ctx, agent_setup, relay, monkeypatch, passphrase_file):
    monkeypatch.delenv("SOVTUI_PASSPHRASE")
    bot = ctx.vault.keys()["bot"]["pubkey"]
    first = start_serve("bot", "--relay", relay.url, "--passphrase-file", passphrase_file)
    try:
        await wait_served(ctx.paths.state_dir, "bot", first)
    finally:
        code, _, err = stop(first)
    assert code == 0, err
    assert not read_status(ctx.paths.state_dir, "bot").running
    async with Phone(ctx.vault.secret_key("me"), [relay.url]) as phone:
        await phone.send(bot, "while you were away")
        second = start_serve("bot", "--relay", relay.url, env={"SOVTUI_PASSPHRASE": PASSPHRASE})
        try:
            (reply,) = await phone.wait_for(1, sender=bot)
            assert reply.content == "You said: while you were away"
        finally:
            code, _, err = stop(second)
    assert code == 0, err
    assert "while you were away" not in err and PASSPHRASE not in err  # the log holds no content, no secret
    (summary,) = ConversationStore(ctx.paths).summaries()
    assert summary.messages == 2


async def test_sigterm_mid_reply_finishes_it_saves_and_exits_0_within_5_s(ctx, agent_setup, relay):
    ollama = agent_setup["ollama"]
    text = "a slow and careful answer that takes a while to write out"
    ollama.replies[TOOLS_MODEL] = Reply(text, chunk_size=4, delay=0.12)  # about 1.8 s
    bot = ctx.vault.keys()["bot"]["pubkey"]
    process = start_serve("bot", "--relay", relay.url)  # SOVTUI_PASSPHRASE from agent_setup
    try:
        await wait_served(ctx.paths.state_dir, "bot", process)
        async with Phone(ctx.vault.secret_key("me"), [relay.url]) as phone:
            await phone.send(bot, "take your time")
            await wait_until(lambda: any(path == "/api/chat" for path, _ in ollama.requests), 15)
            await wait_until(lambda: bool(ollama.last_stream.get("first")), 5)
            code, took, err = stop(process)
            assert code == 0, err
            assert took < 5
            (reply,) = await phone.wait_for(1, sender=bot, timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
    assert reply.content == text
    store = ConversationStore(ctx.paths)
    (summary,) = store.summaries()
    saved = store.load(summary.id)
    assert saved.messages[-1].content == text and not saved.messages[-1].interrupted
    assert not read_status(ctx.paths.state_dir, "bot").running
