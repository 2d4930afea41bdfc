"""Fixtures for the Ollama side: the emulator, and a stand-in ``ollama`` on PATH."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovtui.config import ConfigStore, HostConfig
from sovtui.paths import Paths
from tests.egress import allow_endpoint
from tests.ollama_emulator import OllamaEmulator

BIN_DIR = Path(__file__).resolve().parent / "bin"


#: Ports for snapshot tests, where the URL is on screen and must not change.
SNAPSHOT_PORT = 48911
SNAPSHOT_DEAD_PORT = 48912
FIXED_TIME = "2026-03-14T09:26:53Z"


def start_emulator(port: int = 0) -> OllamaEmulator:
    emulator = OllamaEmulator(port=port)
    emulator.add_model(
        "qwen3:0.6b", family="qwen3", parameter_size="751.63M", size=522_653_767,
        capabilities=("completion", "thinking"), modified_at=FIXED_TIME,
    )
    emulator.add_model("llama3.2:1b", family="llama", parameter_size="1.2B", size=1_321_098_329, modified_at=FIXED_TIME)
    emulator.add_to_registry("gemma3:1b", family="gemma3", parameter_size="999.89M", size=815_319_791, modified_at=FIXED_TIME)
    emulator.add_to_registry("smollm2:135m", family="llama", parameter_size="134.52M", size=270_898_672, modified_at=FIXED_TIME,
                             capabilities=("completion", "tools"))  # as Ollama's library lists it: an agent can use it
    emulator.start()
    allow_endpoint("127.0.0.1", emulator.port)
    return emulator


@pytest.fixture
def ollama(xdg: Paths) -> Iterator[OllamaEmulator]:
    """A running emulator with two models; config's ``local`` host points at it."""
    emulator = start_emulator()
    point_local_host_at(xdg, emulator.url)
    yield emulator
    emulator.stop()


@pytest.fixture
def ollama_fixed(xdg: Paths) -> Iterator[OllamaEmulator]:
    """Like ``ollama`` but on a fixed port, for snapshots that show the URL."""
    emulator = start_emulator(SNAPSHOT_PORT)
    point_local_host_at(xdg, emulator.url)
    yield emulator
    emulator.stop()


def point_local_host_at(paths: Paths, url: str) -> None:
    def change(config) -> None:  # type: ignore[no-untyped-def]
        config.hosts["local"] = HostConfig(url=url)

    ConfigStore(paths.config_file).update(change)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stand_in_ollama(monkeypatch: pytest.MonkeyPatch, xdg: Paths) -> Iterator[str]:
    """The stand-in ``ollama`` first on PATH; ``local`` on a free port. Yields the URL."""
    monkeypatch.setenv("PATH", f"{BIN_DIR}:{__import__('os').environ['PATH']}")
    port = free_port()
    allow_endpoint("127.0.0.1", port)
    url = f"http://127.0.0.1:{port}"
    point_local_host_at(xdg, url)
    yield url
    # Never leave a server running after a test.
    import json
    import os
    import signal

    pid_file = xdg.state_dir / "ollama.pid"
    if pid_file.exists():
        try:
            os.kill(json.loads(pid_file.read_text())["pid"], signal.SIGKILL)
        except (ProcessLookupError, ValueError, KeyError):
            pass


@pytest.fixture
def no_ollama(monkeypatch: pytest.MonkeyPatch, xdg: Paths, tmp_path: Path) -> str:
    """No ollama on PATH and nothing listening on ``local``. Yields the URL."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", f"{empty}:/usr/bin:/bin")
    port = free_port()
    allow_endpoint("127.0.0.1", port)
    url = f"http://127.0.0.1:{port}"
    point_local_host_at(xdg, url)
    return url
