"""Fixtures for the Nostr side: a real relay process the test may reach."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.egress import allow_endpoint
from tests.ollama_fixtures import free_port

RELAY_SCRIPT = Path(__file__).resolve().parent / "relay_process.py"
#: For snapshot tests, where the relay URL is on screen.
SNAPSHOT_RELAY_PORT = 48921


class RelayProcess:
    """A LocalRelay subprocess that can be stopped and started again on its port."""

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[str] | None = None
        allow_endpoint("127.0.0.1", self.port)

    def start(self) -> RelayProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_GUARD_")}
        self._proc = subprocess.Popen(
            [sys.executable, str(RELAY_SCRIPT), str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.startswith("ws://"):
            self.stop()
            raise RuntimeError("the test relay did not start")
        self._wait_listening()
        return self

    def _wait_listening(self) -> None:
        import socket

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("the test relay is not listening")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


@pytest.fixture
def relay() -> Iterator[RelayProcess]:
    process = RelayProcess().start()
    yield process
    process.stop()


@pytest.fixture
def wallet_sim(relay: RelayProcess) -> Iterator[object]:
    """A NIP-47 wallet service (NIP-44 and NIP-04) answering on the test relay."""
    from tests.wallet.simulator import WalletSimulator

    simulator = WalletSimulator(relay.url).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def nip04_sim(relay: RelayProcess) -> Iterator[object]:
    """A legacy wallet service that only speaks NIP-04."""
    from tests.wallet.simulator import WalletSimulator

    simulator = WalletSimulator(relay.url, encryptions=("nip04",)).start()
    yield simulator
    simulator.stop()
