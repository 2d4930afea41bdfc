"""The owner's phone for the serve tests: rust-nostr (nostr-sdk), a Nostr client no one here wrote.

It sends NIP-17 private messages (``nip17_make_private_msg``) over the real
relay processes and reads what comes back with ``UnwrappedGift``, as
Amethyst or 0xchat would; and it starts real ``sovtui agent serve``
processes where the process is the point (SIGTERM, a restart).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import nostr_sdk

from sovtui.agent.serve_status import read_status

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Received:
    sender: str
    content: str
    rumor_id: str
    created_at: int
    tags: list[list[str]]


class Phone:
    """A Nostr client holding one key, on some relays."""

    def __init__(self, secret_hex: str, relays: list[str]) -> None:
        self.keys = nostr_sdk.Keys.parse(secret_hex)
        self.pubkey = self.keys.public_key().to_hex()
        self.relays = relays
        self.client: Any = None

    async def __aenter__(self) -> Phone:
        self.client = nostr_sdk.Client()
        for url in self.relays:
            await self.client.add_relay(nostr_sdk.RelayUrl.parse(url))
        await self.client.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.shutdown()

    def message(self, to_hex: str, text: str) -> Any:
        return nostr_sdk.nip17_make_private_msg(self.keys, nostr_sdk.PublicKey.parse(to_hex), text)

    async def send(self, to_hex: str, text: str) -> Any:
        event = self.message(to_hex, text)
        await self.client.send_event(event)
        return event

    async def inbox(self) -> list[Received]:
        """Every private message addressed to this key on its relays, opened by nostr-sdk, oldest first."""
        wanted = nostr_sdk.Filter().kind(nostr_sdk.Kind(1059)).pubkey(self.keys.public_key())
        events = await self.client.fetch_events(nostr_sdk.ReqTarget.auto([wanted]), timedelta(seconds=1))
        found: dict[str, Received] = {}
        for event in events.to_vec() if hasattr(events, "to_vec") else events:
            try:
                gift = nostr_sdk.UnwrappedGift.from_gift_wrap(self.keys, event)
            except Exception:  # noqa: BLE001 - not for us or not a gift: a phone skips it too
                continue
            rumor = gift.rumor()
            assert gift.sender().to_hex() == rumor.author().to_hex()
            found[rumor.id().to_hex()] = Received(gift.sender().to_hex(), rumor.content(), rumor.id().to_hex(),
                                                  rumor.created_at().as_secs(), [t.to_vec() for t in rumor.tags()])
        return sorted(found.values(), key=lambda r: (r.created_at, r.rumor_id))

    async def wait_for(self, count: int, *, sender: str | None = None, timeout: float = 20.0) -> list[Received]:
        """At least ``count`` messages (from ``sender``), polled; AssertionError with what came after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in await self.inbox() if sender is None or m.sender == sender]
            if len(got) >= count or time.monotonic() > deadline:
                assert len(got) >= count, f"expected {count} messages, got {got}"
                return got
            await asyncio.sleep(0.1)


async def wait_until(condition: Any, timeout: float = 15.0, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(every)


def start_serve(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A real ``python -m sovtui agent serve NAME ARGS`` under the egress guard (stderr kept for the test)."""
    from tests.egress import egress_env

    full = dict(os.environ)
    full.update(egress_env())
    full["PYTHONPATH"] = os.pathsep.join((str(ROOT), full["PYTHONPATH"]))
    full.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "sovtui", "agent", "serve", name, *args], env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def wait_served(state_dir: Path, name: str, process: subprocess.Popen[str], timeout: float = 20.0) -> None:
    """Until the process's status file says it is served and subscribed (connected to a relay)."""
    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"agent serve exited {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        status = read_status(state_dir, name)
        if not (status.running and status.pid == process.pid):
            return False
        try:
            data = json.loads((state_dir / "agents" / f"{name}.serve.json").read_text())
        except (OSError, ValueError):
            return False
        return bool(data.get("subscribed"))

    await wait_until(ready, timeout)
