"""Fixtures for the Nostr side: a real relay, in another process, that the test may reach."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.egress import allow_endpoint
from tests.ollama_fixtures import free_port

RELAY_SCRIPT = Path(__file__).resolve().parent / "relay_process.py"
#: For snapshot tests, where the relay URL is on screen.
SNAPSHOT_RELAY_PORT = 48921


class _RelayHost:
    """The process that runs this test process's relays (``relay_process.py --host``).

    Started with the first relay, ended with the test session (or with this
    process: it exits when its stdin closes).
    """

    #: How long a start or a stop may take before the host is taken for hung.
    TIMEOUT = 20.0

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def ask(self, command: str) -> str:
        """Send one command, return the host's one-line answer."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_GUARD_")}
                self._proc = subprocess.Popen(
                    [sys.executable, str(RELAY_SCRIPT), "--host"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                )
            proc = self._proc
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(command + "\n")
                proc.stdin.flush()
            except BrokenPipeError:
                raise RuntimeError("the test relay host has exited") from None
            # One answer a command and nothing else: stdout's buffer is empty until it comes.
            if not select.select([proc.stdout], [], [], self.TIMEOUT)[0]:
                self._kill()
                raise RuntimeError(f"the test relay host did not answer {command!r} in {self.TIMEOUT:.0f} s")
            answer = proc.stdout.readline().strip()
            if not answer:
                self._kill()
                raise RuntimeError("the test relay host has exited")
            return answer

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        with self._lock:
            if self._proc is None:
                return
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.close()
                self._proc.wait(5)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self._kill()
            self._proc = None

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None


_HOST = _RelayHost()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _HOST.close()


class RelayProcess:
    """A LocalRelay in another process that can be stopped and started again on its port.

    Each one is new and empty; they run in one relay host process (see
    tests/relay_process.py). ``stop`` shuts the relay down, closing every
    connection to it, as ending its process did, and holds its port (bound,
    not listening: a connection is refused) until ``start`` or ``close``,
    so that no relay or server another test starts meanwhile takes the port
    of a relay a test means to be down.
    """

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self._running = False
        self._held: socket.socket | None = None
        allow_endpoint("127.0.0.1", self.port)

    def _release(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    def close(self) -> None:
        """Stopped for good: the port is free for others."""
        self.stop()
        self._release()

    def start(self) -> RelayProcess:
        self._release()
        answer = _HOST.ask(f"start {self.port}")
        if not answer.startswith("ws://"):
            raise RuntimeError(f"the test relay did not start: {answer}")
        self._running = True
        self._wait_listening()
        return self

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("the test relay is not listening")

    def stop(self) -> None:
        if self._running:
            self._running = False
            if _HOST.alive() and (answer := _HOST.ask(f"stop {self.port}")) != "stopped":
                raise RuntimeError(f"the test relay did not stop: {answer}")
            held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the closed connections' TIME_WAIT
            try:
                held.bind(("127.0.0.1", self.port))
            except OSError:  # taken in the moment between: the test sees whatever is there, as before
                held.close()
            else:
                self._held = held

    @property
    def running(self) -> bool:
        return self._running and _HOST.alive()


@pytest.fixture
def relay() -> Iterator[RelayProcess]:
    process = RelayProcess().start()
    yield process
    process.close()


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
