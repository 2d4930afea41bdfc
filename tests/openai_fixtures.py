"""Fixtures for OpenAI-compatible hosts: the emulator, pointed at by config's ``local`` host.

``openai_local`` stands where the ``ollama`` fixture stands, with the same two
models, so a test module can run the Ollama tests against the OpenAI API by
overriding ``ollama`` with it (``ollama = openai_as_ollama``): the same tests,
not copies (tests/chat/test_openai_api.py, tests/agent/test_openai_agent.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sovtui.config import ConfigStore, HostConfig
from sovtui.paths import Paths
from tests.egress import allow_endpoint
from tests.ollama_fixtures import FIXED_TIME
from tests.openai_emulator import OpenAIEmulator


def start_openai_emulator(*, api_key: str | None = None) -> OpenAIEmulator:
    emulator = OpenAIEmulator(api_key=api_key)
    emulator.add_model("qwen3:0.6b", family="qwen3", parameter_size="751.63M", size=522_653_767,
                       capabilities=("completion", "thinking"), modified_at=FIXED_TIME)
    emulator.add_model("llama3.2:1b", family="llama", parameter_size="1.2B", size=1_321_098_329, modified_at=FIXED_TIME)
    emulator.start()
    allow_endpoint("127.0.0.1", emulator.port)
    return emulator


def point_host_at(paths: Paths, url: str, *, name: str = "local", api: str = "openai") -> None:
    def change(config) -> None:  # type: ignore[no-untyped-def]
        config.hosts[name] = HostConfig(url=url, api=api)

    ConfigStore(paths.config_file).update(change)


@pytest.fixture
def openai_local(xdg: Paths) -> Iterator[OpenAIEmulator]:
    """A running OpenAI-compatible emulator with two models; config's ``local`` host (api openai) points at it."""
    emulator = start_openai_emulator()
    point_host_at(xdg, emulator.url)
    yield emulator
    emulator.stop()


@pytest.fixture
def openai_as_ollama(openai_local: OpenAIEmulator) -> OpenAIEmulator:
    """``openai_local`` under the name the Ollama tests ask for: assign it to ``ollama`` in a module."""
    return openai_local
