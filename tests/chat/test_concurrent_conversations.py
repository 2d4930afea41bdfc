"""Real sovtui processes change one conversation at once: nothing is lost, no file is half-written.

Several ``sovtui chat --continue`` runs stream into the same conversation
while ``sovtui chats rename`` gives it a title and a reader parses the file
as fast as it can. Each process read the conversation when it started; a
save that wrote back only what it had read would drop the others' prompts
and replies (and the title). Every save is: lock, read the file again,
merge, write atomically.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from sovtui.chat.models import Conversation, Message
from sovtui.chat.store import ConversationStore
from sovtui.paths import Paths
from tests.conftest import ROOT
from tests.egress import egress_env
from tests.ollama_emulator import OllamaEmulator

#: Replies long and slow enough (about 1.5 s each) that every run overlaps the others.
REPLY = " ".join(f"w{n}" for n in range(150))
CHATS = 6
ROUNDS = 2


def start(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(egress_env())
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env["PYTHONPATH"]))
    return subprocess.Popen(
        [sys.executable, "-m", "sovtui", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=120)
    return process.returncode, err


@dataclass
class Reader:
    """Parses the conversation file in a loop: a half-written file would fail to parse."""

    path: os.PathLike[str]
    reads: int = 0
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with open(self.path, encoding="utf-8") as handle:
                    Conversation.from_dict(json.load(handle))
                self.reads += 1
            except FileNotFoundError:
                pass
            except (ValueError, KeyError, TypeError) as exc:
                self.failures.append(repr(exc))
            time.sleep(0.002)


def seeded(xdg: Paths) -> Conversation:
    conversation = Conversation(title="shared", model="llama3.2:1b", host="local")
    conversation.messages = [Message("user", "start"), Message("assistant", "ok", model="llama3.2:1b")]
    ConversationStore(xdg).save(conversation)
    return conversation


def test_concurrent_chats_and_a_rename_lose_nothing(ollama: OllamaEmulator, xdg: Paths) -> None:
    ollama.set_reply("llama3.2:1b", REPLY, chunk_size=5, delay=0.01)
    conversation = seeded(xdg)
    store = ConversationStore(xdg)
    reader = Reader(store.path_of(conversation.id))
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    started = time.monotonic()
    prompts: list[str] = []
    try:
        for round_ in range(ROUNDS):
            batch = [f"prompt {round_}-{n}" for n in range(CHATS)]
            prompts += batch
            chats = [start("chat", "--continue", conversation.id, prompt) for prompt in batch]
            time.sleep(1.0)  # the chats are streaming by now (or starting): rename in the middle
            rename = start("chats", "rename", conversation.id, f"renamed {round_}")
            for process in [*chats, rename]:
                code, err = finish(process)
                assert code == 0, err
    finally:
        reader.stop.set()
        thread.join()
    elapsed = time.monotonic() - started
    print(f"{ROUNDS * (CHATS + 1)} concurrent runs in {elapsed:.1f} s; the file parsed {reader.reads} times meanwhile")

    assert not reader.failures, reader.failures[:3]
    final = store.load(conversation.id)
    users = [m.content for m in final.messages if m.role == "user"]
    assert sorted(users) == sorted(["start", *prompts]), f"{len(prompts) + 1 - len(users)} prompts lost: {users}"
    assert final.title == f"renamed {ROUNDS - 1}"
    # Every prompt is followed by its whole reply.
    for index, message in enumerate(final.messages):
        if message.role == "user" and message.content != "start":
            reply = final.messages[index + 1]
            assert reply.role == "assistant" and reply.content == REPLY and not reply.interrupted, (message.content, reply)
    assert len(final.messages) == 2 * (1 + len(prompts))


def test_deleting_while_a_reply_streams_keeps_the_reply(ollama: OllamaEmulator, xdg: Paths) -> None:
    """``chats rm`` in one shell while ``chat --continue`` streams in another: the words are kept."""
    ollama.set_reply("llama3.2:1b", REPLY, chunk_size=5, delay=0.03)  # 4.5 s: rm lands mid-reply
    conversation = seeded(xdg)
    store = ConversationStore(xdg)
    chat = start("chat", "--continue", conversation.id, "still here?")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for the prompt to be saved: the reply is streaming
        if any(m.content == "still here?" for m in store.load(conversation.id).messages):
            break
        time.sleep(0.05)
    removed = start("chats", "rm", conversation.id, "--yes")
    assert finish(removed)[0] == 0
    code, err = finish(chat)
    assert code == 0, err
    # The delete happened first; the reply that was streaming is not lost.
    final = store.load(conversation.id)
    assert [m.content for m in final.messages][-2:] == ["still here?", REPLY]
