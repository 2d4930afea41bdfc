"""OpenAIBackend against the OpenAI-compatible emulator, through the official ``openai`` SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovtui.errors import ConfigError
from sovtui.inference.engine import OPERATIONS, open_backend, unsupported
from sovtui.inference.errors import BackendError, BackendUnreachable, KeyRefused, ModelNotFound, OperationUnsupported, RateLimited
from sovtui.inference.hosts import HostTarget, openai_base_url
from sovtui.inference.openai_backend import OpenAIBackend, _Calls, request_messages, request_options
from tests.examples import examples
from tests.ollama_fixtures import free_port
from tests.openai_emulator import OpenAIEmulator
from tests.openai_fixtures import start_openai_emulator

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def emulator() -> Any:
    emu = start_openai_emulator()
    yield emu
    emu.stop()


@pytest.fixture
def keyed() -> Any:
    emu = start_openai_emulator(api_key=KEY)
    yield emu
    emu.stop()


def backend(emu: OpenAIEmulator, key: str | None = None) -> OpenAIBackend:
    made = open_backend(HostTarget("box", emu.url, "openai"), api_key=key)
    assert isinstance(made, OpenAIBackend)
    return made


async def chunks(b: OpenAIBackend, model: str = "llama3.2:1b", **kwargs: Any) -> list[Any]:
    return [c async for c in b.chat(model, [{"role": "user", "content": "hi"}], **kwargs)]


async def test_models_are_listed_with_what_the_server_says(emulator: OpenAIEmulator) -> None:
    async with backend(emulator) as b:
        models = await b.list_models()
        details = await b.show("qwen3:0.6b")
    assert [m.name for m in models] == ["qwen3:0.6b", "llama3.2:1b"]
    assert models[0].family == "qwen3" and models[0].size == 522_653_767 and models[0].modified is not None
    assert "tools" in details.capabilities and details.context_length == 4096


async def test_a_reply_streams_with_counts_from_usage_and_a_measured_speed(emulator: OpenAIEmulator) -> None:
    emulator.set_reply("qwen3:0.6b", "Blue light scatters.", thinking="Rayleigh", chunk_size=4, delay=0.002)
    async with backend(emulator) as b:
        got = await chunks(b, "qwen3:0.6b")
    assert "".join(c.content for c in got) == "Blue light scatters."
    assert "".join(c.thinking for c in got) == "Rayleigh"  # reasoning_content
    done = got[-1]
    assert done.done and done.done_reason == "stop" and [c.done for c in got].count(True) == 1
    assert done.eval_count == 7 and done.prompt_eval_count == 11
    assert done.eval_duration and done.eval_duration > 0 and done.total_duration >= done.eval_duration
    (body,) = emulator.chat_bodies()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_usage_on_the_finish_chunk_is_read_too(emulator: OpenAIEmulator) -> None:
    emulator.usage_in_finish = True  # llama-server before its separate usage chunk
    async with backend(emulator) as b:
        done = (await chunks(b))[-1]
    assert done.eval_count and done.prompt_eval_count


async def test_options_take_their_openai_names_and_ollamas_own_stay_home(emulator: OpenAIEmulator) -> None:
    options = {"temperature": 0.3, "seed": 7, "num_predict": 64, "top_k": 20, "num_ctx": 8192}
    async with backend(emulator) as b:
        await chunks(b, options=options, think=True, keep_alive="5m")
    (body,) = emulator.chat_bodies()
    assert (body["temperature"], body["seed"], body["max_tokens"], body["top_k"]) == (0.3, 7, 64, 20)
    assert not {"num_ctx", "num_predict", "options", "think", "keep_alive"} & set(body)


def test_request_options_split() -> None:
    assert request_options({"temperature": 1.0, "top_k": 3, "num_ctx": 5}) == ({"temperature": 1.0}, {"top_k": 3})


async def test_tool_calls_are_put_together_from_their_fragments(emulator: OpenAIEmulator) -> None:
    emulator.add_model("tooly", capabilities=("completion", "tools"))
    tools = [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}} for n in ("get_balance", "pay_invoice")]
    prompt = 'call get_balance; call pay_invoice {"invoice": "lnbc1xyz", "amount_in_sats": 21}'
    async with backend(emulator) as b:
        got = [c async for c in b.chat("tooly", [{"role": "user", "content": prompt}], tools=tools)]
    (calls,) = [c.tool_calls for c in got if c.tool_calls]
    assert [(c.name, c.arguments) for c in calls] == [("get_balance", {}), ("pay_invoice", {"invoice": "lnbc1xyz", "amount_in_sats": 21})]
    assert got[-1].done and got[-1].done_reason == "stop"


async def test_a_key_is_sent_and_a_wrong_one_is_refused_without_being_shown(keyed: OpenAIEmulator) -> None:
    async with backend(keyed, KEY) as b:
        assert len(await b.list_models()) == 2
    assert keyed.authorizations[-1] == f"Bearer {KEY}"
    wrong = "sk-wrong-9876543210fedcba"
    async with backend(keyed, wrong) as b:
        with pytest.raises(KeyRefused) as refused:
            await chunks(b)
    assert str(refused.value) == "box refused the API key (401): set the right one with 'sovtui hosts key box'"
    assert "sk-" not in str(refused.value) and "dcba" not in str(refused.value)
    async with backend(keyed) as b:
        with pytest.raises(KeyRefused, match="box wants an API key \\(401\\): set it with 'sovtui hosts key box'"):
            await b.list_models()


async def test_the_environments_openai_key_never_reaches_a_host(emulator: OpenAIEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-secret")
    async with backend(emulator) as b:
        await b.list_models()
    (headers,) = emulator.headers
    assert headers["authorization"] == "Bearer sk-no-key"  # a placeholder local servers ignore
    # the SDK would send OpenAI-Organization from the environment: not to a host it was not given to
    assert "openai-organization" not in headers and "openai-project" not in headers


async def test_an_unknown_model_names_the_models_served(emulator: OpenAIEmulator) -> None:
    async with backend(emulator) as b:
        with pytest.raises(ModelNotFound) as missing:
            await chunks(b, "gpt-9")
    assert str(missing.value) == "model 'gpt-9' is not served by box (it serves: qwen3:0.6b, llama3.2:1b)"


async def test_429_says_to_wait(emulator: OpenAIEmulator) -> None:
    emulator.rate_limited = True
    async with backend(emulator) as b:
        with pytest.raises(RateLimited, match="box is limiting requests \\(429\\): wait 7 s and try again"):
            await chunks(b)


async def test_a_dropped_stream_and_an_error_event_are_backend_errors(emulator: OpenAIEmulator) -> None:
    emulator.set_reply("llama3.2:1b", "abcdefghijkl", chunk_size=3, drop_after=2)
    async with backend(emulator) as b:
        got: list[str] = []
        with pytest.raises(BackendError, match="was lost"):
            async for c in b.chat("llama3.2:1b", [{"role": "user", "content": "hi"}]):
                got.append(c.content)
    assert "".join(got) == "abcdef"
    emulator.set_reply("llama3.2:1b", "abcdefghijkl", chunk_size=3, error_after=1, error="out of memory")
    async with backend(emulator) as b:
        with pytest.raises(BackendError, match="box stopped with an error: out of memory"):
            await chunks(b)


async def test_nothing_listening_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    from tests.egress import allow_endpoint

    allow_endpoint("127.0.0.1", int(url.split(":")[2].split("/")[0]))
    async with open_backend(HostTarget("gone", url, "openai")) as b:
        with pytest.raises(BackendUnreachable, match=f"cannot reach OpenAI-compatible server at {url} \\(connection refused\\)"):
            await b.list_models()
        assert not await b.is_up()


async def test_what_the_api_cannot_do_is_refused_in_one_line(emulator: OpenAIEmulator) -> None:
    target = HostTarget("box", emulator.url, "openai")
    async with backend(emulator) as b:
        for call in (b.delete("x"), b.copy("x", "y"), b.ps(), b.unload("x")):
            with pytest.raises(OperationUnsupported, match="^box cannot "):
                await call
        with pytest.raises(OperationUnsupported, match="box cannot pull models: the OpenAI-compatible API has no download"):
            async for _ in b.pull("x"):
                pass
    assert all(unsupported(target, op) for op in OPERATIONS)
    assert not any(unsupported(HostTarget("l", "http://127.0.0.1:11434"), op) for op in OPERATIONS)
    assert emulator.requests == []  # nothing was asked of the server


def test_the_sdk_is_not_imported_to_name_a_host() -> None:
    code = (
        "import sys\n"
        "from sovtui.inference.hosts import HostTarget\n"
        "from sovtui.inference.engine import open_backend\n"
        "open_backend(HostTarget('b', 'http://127.0.0.1:1/v1', 'openai'))\n"
        "import sovtui.cli, sovtui.chat.session\n"
        "print('openai' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- parsers of outside input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://gpu-box:8000", "http://gpu-box:8000/v1"),
        ("gpu-box:8000/", "http://gpu-box:8000/v1"),
        ("http://gpu-box:8000/v1/", "http://gpu-box:8000/v1"),
        ("https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1"),
        ("https://generativelanguage.googleapis.com/v1beta/openai/", "https://generativelanguage.googleapis.com/v1beta/openai"),
        ("http://[::1]:1234", "http://[::1]:1234/v1"),
    ],
)
def test_openai_base_urls(given: str, expected: str) -> None:
    assert openai_base_url(given) == expected


@pytest.mark.parametrize("bad", ["ftp://x/v1", "http://:80", "http://host:port/v1", "http://[::1/v1"])
def test_urls_no_client_can_use_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        openai_base_url(bad)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_base_url_or_a_config_error(text: str) -> None:
    try:
        url = openai_base_url(text)
    except ConfigError:
        return
    assert url.startswith(("http://", "https://")) and not url.endswith("/")
    assert openai_base_url(url) == url  # reading it again changes nothing


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
_arguments = st.dictionaries(st.text(max_size=6), _json, max_size=4)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["get_balance", "pay_invoice", "make_invoice"]), _arguments), min_size=1, max_size=4),
       st.data())
def test_tool_call_fragments_split_anywhere_give_back_the_calls(calls: list[tuple[str, dict[str, Any]]], data: st.DataObject) -> None:
    assembled = _Calls()
    for index, (name, arguments) in enumerate(calls):
        text = json.dumps(arguments)
        cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        assembled.add([SimpleNamespace(index=index, id=f"call_{index}", function=SimpleNamespace(name=name, arguments=""))])
        for piece in pieces:
            assembled.add([SimpleNamespace(index=index, id=None, function=SimpleNamespace(name=None, arguments=piece))])
    assert [(c.name, c.arguments) for c in assembled.calls()] == calls


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["get_balance", "pay_invoice"]), _arguments), min_size=1, max_size=3), max_size=3))
def test_every_tool_result_answers_a_call_by_its_id(rounds: list[list[tuple[str, dict[str, Any]]]]) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    for calls in rounds:
        messages.append({"role": "assistant", "content": "", "tool_calls": [{"function": {"name": n, "arguments": a}} for n, a in calls]})
        messages += [{"role": "tool", "content": f"result of {n}", "tool_name": n} for n, _ in calls]
    sent = request_messages(messages)
    assert len(sent) == len(messages)
    open_ids: dict[str, str] = {}
    for message in sent:
        if message["role"] == "assistant":
            for call in message["tool_calls"]:
                assert call["type"] == "function" and isinstance(call["function"]["arguments"], str)
                open_ids[call["id"]] = call["function"]["name"]
        elif message["role"] == "tool":
            assert set(message) == {"role", "content", "tool_call_id"}
            assert message["content"] == f"result of {open_ids.pop(message['tool_call_id'])}"
    assert not open_ids
    kept = [json.loads(c["function"]["arguments"]) for m in sent if m["role"] == "assistant" for c in m["tool_calls"]]
    assert kept == [a for calls in rounds for _, a in calls]
