"""Choosing a host, and the managed server: start, status, stop, and hands off."""

from __future__ import annotations

import os

import pytest

from sovtui.config import Config, HostConfig
from sovtui.context import Context
from sovtui.errors import ConfigError, SovtuiError
from sovtui.inference.errors import OllamaNotInstalled
from sovtui.inference.hosts import resolve_host
from sovtui.inference.suggest import GB, suggestions
from sovtui.net import Locality
from tests.examples import examples
from tests.ollama_emulator import OllamaEmulator
from tests.pilot_helpers import wait_for_workers


def test_default_host_from_config() -> None:
    target = resolve_host(Config())
    assert (target.name, target.url, target.locality) == ("local", "http://127.0.0.1:11434", Locality.THIS_MACHINE)


def test_ollama_host_overrides_the_default_like_the_official_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "192.168.1.20")
    target = resolve_host(Config())
    assert target.url == "http://192.168.1.20:11434"
    assert target.label == "OLLAMA_HOST (private network)"


def test_a_named_host_wins_over_ollama_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "10.0.0.1")
    config = Config()
    config.hosts["cloud"] = HostConfig(url="https://ollama.example.com")
    target = resolve_host(config, "cloud")
    assert target.url == "https://ollama.example.com:443"
    assert target.locality is Locality.PUBLIC_INTERNET


def test_unknown_host_name() -> None:
    with pytest.raises(ConfigError, match="no host named 'gpu'"):
        resolve_host(Config(), "gpu")


@pytest.mark.parametrize(
    ("ram", "gpu", "first"),
    [(2 * GB, False, "smollm2:135m"), (6 * GB, False, "qwen3:0.6b"), (12 * GB, False, "llama3.2:3b"), (4 * GB, True, "qwen3:8b"), (32 * GB, False, "qwen3:8b")],
)
def test_suggestions_fit_the_machine(ram: int, gpu: bool, first: str) -> None:
    assert suggestions(ram, gpu)[0].name == first


async def test_start_status_stop_with_the_stand_in(ctx: Context, stand_in_ollama: str) -> None:
    server = ctx.server()
    before = await server.status()
    assert not before.answering and before.binary and before.summary == "stopped"
    started = await server.start()
    assert started.answering and started.managed and started.pid
    assert server.pid_file.exists() and server.log_file.exists()
    assert (await server.status()).summary.startswith("running (started by sovtui")
    message = await server.stop()
    assert "stopped" in message
    assert not (await server.status()).answering
    assert not server.pid_file.exists()


async def test_a_server_sovtui_did_not_start_is_left_alone(ctx: Context, ollama: OllamaEmulator) -> None:
    server = ctx.server()
    status = await server.status()
    assert status.answering and not status.managed
    assert status.summary == "running (not started by sovtui: left alone)"
    with pytest.raises(SovtuiError, match="was not started by sovtui, so it is left alone"):
        await server.stop()
    assert await server.start() == await server.status()  # nothing started
    assert (await server.status()).answering


async def test_a_stale_pid_file_is_not_trusted(ctx: Context, ollama: OllamaEmulator) -> None:
    server = ctx.server()
    server.pid_file.parent.mkdir(parents=True, exist_ok=True)
    server.pid_file.write_text(f'{{"pid": {os.getpid()}, "url": "{ollama.url}"}}')
    assert server.managed_pid() is None  # this pid is pytest, not an ollama server
    with pytest.raises(SovtuiError, match="left alone"):
        await server.stop()


async def test_not_installed_says_how_to_install(ctx: Context, no_ollama: str) -> None:
    with pytest.raises(OllamaNotInstalled, match="https://ollama.com/download"):
        await ctx.server().start()


async def test_only_this_machine_can_be_started(ctx: Context) -> None:
    def change(config: Config) -> None:
        config.hosts["gpu"] = HostConfig(url="http://192.168.1.20:11434")

    ctx.update_config(change)
    with pytest.raises(SovtuiError, match="is not this machine"):
        await ctx.server("gpu").start()


async def test_the_app_starts_and_stops_ollama_when_configured(make_app, ctx: Context, stand_in_ollama: str) -> None:
    def change(config: Config) -> None:
        config.backend.autostart = True
        config.backend.stop_at_exit = True

    ctx.update_config(change)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(app)
        status = await ctx.server().status()
        assert status.managed and status.answering
        await pilot.press("ctrl+q")
    assert not (await ctx.server().status()).answering


def test_parse_host_matches_the_official_client_on_every_documented_case() -> None:
    import importlib
    import re

    from sovtui.inference.hosts import parse_host

    _client = importlib.import_module("ollama._client")  # the package's `_client` attribute is a Client

    cases = re.findall(r">>> _parse_host\((.*?)\)\n", _client._parse_host.__doc__ or "")
    assert len(cases) > 20
    for case in cases:
        value = eval(case)  # the doctest's own literal: None, '', '1.2.3.4:56789' ...
        assert parse_host(value) == _client._parse_host(value), case


def test_naming_a_host_does_not_import_the_client() -> None:
    import subprocess
    import sys

    code = "import sys; from sovtui.inference.hosts import parse_host; parse_host('x:1'); print('ollama' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_the_started_server_gets_no_sovtui_variables(
    ctx: Context, stand_in_ollama: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vault passphrase must not live on in a long-running ollama's environment (issue 14, 8)."""
    from pathlib import Path

    monkeypatch.setenv("SOVTUI_PASSPHRASE", "correct horse battery staple")
    monkeypatch.setenv("SOVTUI_KEY_PASSWORD", "another secret")
    monkeypatch.setenv("sovtui_lowercase", "also ours")
    monkeypatch.setenv("KEEP_ME", "1")
    server = ctx.server()
    started = await server.start()
    try:
        environ = Path(f"/proc/{started.pid}/environ").read_bytes().split(b"\0")
        names = {entry.split(b"=", 1)[0].decode() for entry in environ if entry}
        assert b"correct horse" not in b"\0".join(environ)
        assert not [name for name in names if name.upper().startswith("SOVTUI_")]
        assert {"KEEP_ME", "OLLAMA_HOST", "PATH"} <= names  # the rest is passed on
    finally:
        await server.stop()


@pytest.mark.parametrize("pid", [-1, 0, 1, True, "123", 2**40, None])
def test_a_pid_file_never_names_a_process_group_init_or_nonsense(ctx: Context, pid: object) -> None:
    """kill(-1) signals every process of the user, kill(0) our own group: a damaged pid file must not lead there."""
    import json

    server = ctx.server()
    server.pid_file.parent.mkdir(parents=True, exist_ok=True)
    server.pid_file.write_text(json.dumps({"pid": pid, "url": server.target.url}))
    assert server.managed_pid() is None


async def test_stop_with_a_damaged_pid_file_signals_nothing(
    ctx: Context, ollama: OllamaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import signal

    real_kill = os.kill
    sent: list[tuple[int, int]] = []

    def kill(pid: int, sig: int) -> None:
        if sig == 0:
            return real_kill(pid, 0)
        sent.append((pid, sig))  # recorded, never sent

    monkeypatch.setattr(os, "kill", kill)
    monkeypatch.setattr("sovtui.processes.reap", lambda pid: None)
    server = ctx.server()
    server.pid_file.parent.mkdir(parents=True, exist_ok=True)
    server.pid_file.write_text(json.dumps({"pid": -1, "url": server.target.url}))
    with pytest.raises(SovtuiError, match="left alone"):
        await server.stop(timeout=0.2)
    assert (-1, signal.SIGTERM) not in sent and sent == []


def test_any_pid_file_is_read_without_a_traceback(ctx: Context) -> None:
    import json

    from hypothesis import given, settings
    from hypothesis import strategies as st

    server = ctx.server()
    server.pid_file.parent.mkdir(parents=True, exist_ok=True)
    url = server.target.url
    values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10))
    records = st.fixed_dictionaries({"pid": values, "url": st.one_of(st.just(url), values)}).map(json.dumps)

    @settings(max_examples=examples(400), deadline=None)
    @given(st.one_of(records.map(str.encode), st.binary(max_size=60)))
    def check(content: bytes) -> None:
        server.pid_file.write_bytes(content)
        pid = server.managed_pid()
        assert pid is None or (isinstance(pid, int) and pid > 1)

    check()
