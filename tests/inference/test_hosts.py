"""sovtui hosts; keys in the vault; pools that fall back; a public OpenAI-compatible host confirmed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sovtui.chat.session import ChatSession, PoolUnavailable, PublicHostUnconfirmed
from sovtui.chat.store import ConversationStore
from sovtui.context import Context
from sovtui.endpoints import configured_endpoints
from sovtui.inference.errors import VaultLockedForKey
from sovtui.inference.keys import api_key
from sovtui.paths import Paths
from tests.ollama_emulator import OllamaEmulator
from tests.ollama_fixtures import free_port
from tests.openai_fixtures import point_host_at, start_openai_emulator

KEY = "sk-live-abcdef0123456789"
PASS = {"SOVTUI_PASSPHRASE": "correct horse"}


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sovtui.identity.nip49.DEFAULT_LOG_N", 4)


@pytest.fixture
def keyed(xdg: Paths) -> Any:
    emulator = start_openai_emulator(api_key=KEY)
    yield emulator
    emulator.stop()


def test_add_list_test_rm(cli, xdg: Paths, keyed) -> None:  # type: ignore[no-untyped-def]
    port = keyed.url.split(":")[2].split("/")[0]
    added = cli("hosts", "add", "vllm", f"http://127.0.0.1:{port}", "--api", "openai")
    assert added.returncode == 0 and f"added vllm: OpenAI-compatible at {keyed.url} (this machine)" in added.stdout
    assert cli("hosts", "add", "vllm", "http://x:1/v1").returncode == 2  # a name is taken once
    listed = json.loads(cli("hosts", "list", "--json").stdout)
    assert {"name": "vllm", "api": "openai", "url": keyed.url, "locality": "this machine", "default": False, "key": False} in listed["hosts"]
    refused = cli("hosts", "test", "vllm")
    assert refused.returncode == 1 and "vllm wants an API key (401): set it with 'sovtui hosts key vllm'" in refused.stderr
    assert cli("hosts", "key", "vllm", input=KEY + "\n", env=PASS).returncode == 0
    assert KEY not in xdg.config_file.read_text() and KEY not in (xdg.config_dir / "vault.json").read_text()
    answered = cli("hosts", "test", "vllm", "--json", env=PASS)
    check = json.loads(answered.stdout)
    assert answered.returncode == 0 and check["answering"] and check["models"] == ["qwen3:0.6b", "llama3.2:1b"] and check["has_key"]
    assert cli("hosts", "rm", "vllm", "-y", env=PASS).stdout.strip() == "removed vllm and its API key"
    assert "vllm" not in xdg.config_file.read_text()
    assert "host-key:vllm" not in (xdg.config_dir / "vault.json").read_text()


def test_api_is_read_from_the_url_and_a_missing_v1_is_added(cli, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    cli("hosts", "add", "lm", "http://127.0.0.1:1234/v1")
    cli("hosts", "add", "llama", "http://192.168.1.9:8080", "--api", "openai")
    cli("hosts", "add", "box", "gpu-box.lan")
    hosts = {h["name"]: h for h in json.loads(cli("hosts", "list", "--json").stdout)["hosts"]}
    assert (hosts["lm"]["api"], hosts["lm"]["url"]) == ("openai", "http://127.0.0.1:1234/v1")
    assert (hosts["llama"]["api"], hosts["llama"]["url"], hosts["llama"]["locality"]) == ("openai", "http://192.168.1.9:8080/v1", "private network")
    assert (hosts["box"]["api"], hosts["box"]["url"]) == ("ollama", "http://gpu-box.lan:11434")


def test_bad_input_is_one_line(cli, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    for argv, message in [
        (("hosts", "add", "a b", "http://x"), "'a b' cannot name a host"),
        (("hosts", "add", "x", "ftp://x/v1"), "is not an http or https URL"),
        (("hosts", "rm", "local", "-y"), "cannot remove local: [inference] host in config.toml names it"),
        (("hosts", "rm", "nope", "-y"), "no host named 'nope'"),
        (("hosts", "key", "local"), "local is an Ollama host: Ollama takes no API key"),
    ]:
        result = cli(*argv, input="k\n")
        assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_empty_line_removes_the_key(cli, ctx: Context, keyed) -> None:  # type: ignore[no-untyped-def]
    cli("hosts", "add", "v", keyed.url)
    cli("hosts", "key", "v", input=KEY + "\n", env=PASS)
    assert "removed the API key of v" in cli("hosts", "key", "v", input="\n", env=PASS).stdout
    assert json.loads(cli("hosts", "list", "--json").stdout)["hosts"][1]["key"] is False


def test_a_key_in_a_locked_vault_is_asked_for_never_skipped(cli, ctx: Context, keyed) -> None:  # type: ignore[no-untyped-def]
    cli("hosts", "add", "v", keyed.url)
    cli("hosts", "key", "v", input=KEY + "\n", env=PASS)
    ctx.reload()
    with pytest.raises(VaultLockedForKey, match="the API key of v is in the vault, which is locked"):
        api_key(ctx.vault, "v")
    ctx.vault.unlock(PASS["SOVTUI_PASSPHRASE"])
    assert api_key(ctx.vault, "v") == KEY


async def test_a_chat_with_a_keyed_host_sends_its_key(cli, ctx: Context, keyed) -> None:  # type: ignore[no-untyped-def]
    cli("hosts", "add", "v", keyed.url, "--default")
    cli("hosts", "key", "v", input=KEY + "\n", env=PASS)
    ctx.reload()
    ctx.vault.unlock(PASS["SOVTUI_PASSPHRASE"])
    session = ChatSession.new(ctx, model="llama3.2:1b")
    events = [e async for e in session.send("hello")]
    assert events[-1].message.content == "You said: hello" and events[-1].message.host == "v"
    assert keyed.authorizations[-1] == f"Bearer {KEY}"


def test_a_public_openai_host_is_labelled_and_listed(cli, xdg: Paths) -> None:  # type: ignore[no-untyped-def]
    added = cli("hosts", "add", "cloud", "https://api.openai.com/v1")
    assert "(public internet)" in added.stdout and "your words leave your network" in added.stdout
    ctx = Context(xdg)
    (endpoint,) = [e for e in configured_endpoints(ctx.config) if e.name == "cloud"]
    assert (endpoint.purpose, endpoint.url, endpoint.locality.is_public) == ("model server (OpenAI-compatible)", "https://api.openai.com/v1", True)
    session = ChatSession.new(ctx, host_name="cloud", model="gpt-4o-mini")
    with pytest.raises(PublicHostUnconfirmed):  # asked before a word leaves; nothing was sent
        session.send("secret plans")
    assert session.conversation.messages == []


# --- pools ---------------------------------------------------------------------------


def _pool(ctx: Context, *members: str) -> None:
    def change(config) -> None:  # type: ignore[no-untyped-def]
        from sovtui.config import PoolConfig

        config.pools["gpus"] = PoolConfig(hosts=list(members))
        config.inference.host = "gpus"

    ctx.update_config(change)


async def test_a_pool_falls_back_in_order_and_records_who_answered(ctx: Context, ollama: OllamaEmulator, xdg: Paths) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    from tests.egress import allow_endpoint

    allow_endpoint("127.0.0.1", int(down.split(":")[2].split("/")[0]))
    second = start_openai_emulator()
    try:
        second.models.pop("llama3.2:1b")  # up, but without the model
        point_host_at(xdg, down, name="dead")
        point_host_at(xdg, second.url, name="lacking")
        _pool(ctx, "dead", "lacking", "local")
        session = ChatSession.new(ctx, model="llama3.2:1b")
        events = [e async for e in session.send("hi")]
        reply = events[-1].message
        assert (reply.content, reply.host) == ("You said: hi", "local")
        saved = ConversationStore(ctx.paths).load(session.conversation.id)
        assert saved.host == "gpus" and saved.messages[-1].host == "local"  # the pool is kept; the member on the message
        assert second.chat_bodies() == []  # asked what it has, not given the prompt
    finally:
        second.stop()


async def test_a_pool_with_no_member_answering_says_why_for_each(ctx: Context, xdg: Paths) -> None:
    from tests.egress import allow_endpoint

    ports = [free_port(), free_port()]
    for port in ports:
        allow_endpoint("127.0.0.1", port)
    point_host_at(xdg, f"http://127.0.0.1:{ports[0]}/v1", name="a")
    point_host_at(xdg, f"http://127.0.0.1:{ports[1]}", name="b", api="ollama")
    _pool(ctx, "a", "b")
    session = ChatSession.new(ctx, model="m")
    with pytest.raises(PoolUnavailable) as failed:
        [e async for e in session.send("hi")]
    assert str(failed.value).startswith("no host of the pool gpus answered with m (a: cannot reach OpenAI-compatible server")
    assert "; b: cannot reach Ollama" in str(failed.value)
    assert [m.role for m in ConversationStore(ctx.paths).load(session.conversation.id).messages] == ["user"]


def test_a_pool_of_unknown_hosts_is_a_config_error(ctx: Context) -> None:
    from sovtui.errors import ConfigError

    _pool(ctx, "local", "ghost")
    with pytest.raises(ConfigError, match="the pool 'gpus' names hosts that are not in config.toml: ghost"):
        ctx.targets()


def test_a_public_member_of_a_pool_needs_its_own_yes(ctx: Context, xdg: Paths) -> None:
    point_host_at(xdg, "https://openrouter.ai/api/v1", name="router")
    _pool(ctx, "local", "router")
    session = ChatSession.new(ctx, model="m")
    with pytest.raises(PublicHostUnconfirmed) as asked:
        session.check_destination()
    session.allow_public(asked.value.target)
    assert session.check_destination().name == "local"


def test_the_list_shows_the_built_in_engine_and_where_prompts_go(cli, ctx: Context) -> None:  # type: ignore[no-untyped-def]
    """The engine has no [hosts] entry: as the default host it was in no row, and no row had the '*'."""
    ctx.update_config(lambda config: setattr(config.inference, "host", "builtin"))
    listed = json.loads(cli("hosts", "list", "--json").stdout)["hosts"]
    assert listed[-1] == {"name": "builtin", "api": "openai", "url": None, "locality": "this machine",  # no port yet
                          "default": True, "key": False}
    assert [h["name"] for h in listed if h["default"]] == ["builtin"]
    assert "* builtin  openai  not running" in cli("hosts", "list").stdout
