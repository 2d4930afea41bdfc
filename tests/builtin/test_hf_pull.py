"""``models pull hf:OWNER/REPO:QUANT``: a download from (a stand-in for) Hugging Face's Hub."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sovtui.errors import UsageError
from sovtui.inference.gguf import list_models, models_dir
from sovtui.inference.hf import HFRef, PullError, choose_file, parse_ref, pull
from sovtui.paths import Paths
from tests.builtin.gguf_writer import tiny_model
from tests.builtin.hf_hub import HubFile, HubServer

REPO = "Qwen/Qwen3-0.6B-GGUF"


def _model(size: int = 300_000) -> bytes:
    return tiny_model("qwen3") + bytes(range(256)) * (size // 256)


def _repo(hub: HubServer, content: bytes) -> None:
    hub.hub.repos[REPO] = {
        "README.md": HubFile(b"# Qwen3", lfs=False),
        "Qwen3-0.6B-Q4_K_M.gguf": HubFile(content),
        "Qwen3-0.6B-Q8_0.gguf": HubFile(_model(1000)),
        "mmproj-Qwen3-Q4_K_M.gguf": HubFile(_model(1000)),
    }


def _pull(paths: Paths, text: str, name: str | None = None) -> list:
    async def go() -> list:
        return [(p.status, p.completed, p.total, p.done) async for p in pull(paths, parse_ref(text), name)]

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("hf:Qwen/Qwen3-0.6B-GGUF:Q4_K_M", HFRef("Qwen/Qwen3-0.6B-GGUF", "Q4_K_M")),
        ("hf:bartowski/SmolLM2-360M-Instruct-GGUF", HFRef("bartowski/SmolLM2-360M-Instruct-GGUF", None)),
        ("hf.co/unsloth/Qwen3-1.7B-GGUF:q8_0", HFRef("unsloth/Qwen3-1.7B-GGUF", "q8_0")),
    ],
)
def test_a_reference_names_a_repository_and_a_quantization(text: str, ref: HFRef) -> None:
    assert parse_ref(text) == ref


@pytest.mark.parametrize("text", ["qwen3:0.6b", "hf:", "hf:Qwen", "hf:../x/y", "hf:a/b/c", "hf:a/b:Q4 K", "hf:a/b:Q4\x1b"])
def test_a_reference_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_ref(text)


@given(st.text(max_size=60))
def test_any_text_is_a_reference_or_a_usage_error(text: str) -> None:
    try:
        ref = parse_ref("hf:" + text)
    except UsageError as exc:
        assert "\x1b" not in str(exc)
    else:
        assert "/" in ref.repo and ".." not in ref.repo and parse_ref(str(ref)) == ref


def test_pull_downloads_checks_and_installs_the_quantization(hub: HubServer, xdg: Paths) -> None:
    content = _model()
    _repo(hub, content)
    steps = _pull(xdg, f"hf:{REPO}:Q4_K_M")
    assert steps[-1] == ("success", len(content), len(content), True)
    assert "verifying sha256" in [s[0] for s in steps]
    (model,) = list_models(xdg)
    assert model.name == "Qwen3-0.6B-Q4_K_M" and model.path.read_bytes() == content
    assert model.path.stat().st_mode & 0o777 == 0o600
    paths_asked = [path for path, _ in hub.hub.requests]
    assert paths_asked[0] == f"/api/models/{REPO}" and f"/{REPO}/resolve/main/Qwen3-0.6B-Q4_K_M.gguf" in paths_asked
    assert sorted(p.name for p in models_dir(xdg).iterdir() if not p.name.startswith(".")) == ["Qwen3-0.6B-Q4_K_M.gguf"]


def test_no_quantization_named_means_q4_k_m_and_a_name_can_be_given(hub: HubServer, xdg: Paths) -> None:
    _repo(hub, _model())
    _pull(xdg, f"hf:{REPO}", name="qwen3-small")
    assert [m.name for m in list_models(xdg)] == ["qwen3-small"]


def test_an_interrupted_download_resumes_where_it_stopped(hub: HubServer, xdg: Paths) -> None:
    content = _model()
    _repo(hub, content)
    hub.hub.drop_after = 100_000
    with pytest.raises(PullError, match="run the same command to resume"):
        _pull(xdg, f"hf:{REPO}:Q4_K_M")
    part = models_dir(xdg) / "Qwen3-0.6B-Q4_K_M.gguf.part"
    assert part.stat().st_size == 100_000 and list_models(xdg) == []
    steps = _pull(xdg, f"hf:{REPO}:Q4_K_M")
    assert any("(resuming)" in status for status, *_ in steps)
    ranges = [headers.get("range") for path, headers in hub.hub.requests if path.startswith("/cdn/")]
    assert ranges == [None, "bytes=100000-"]
    (model,) = list_models(xdg)
    assert hashlib.sha256(model.path.read_bytes()).hexdigest() == hashlib.sha256(content).hexdigest()
    assert not part.exists()


def test_a_server_that_ignores_the_range_gets_the_whole_file_written_once(hub: HubServer, xdg: Paths) -> None:
    content = _model()
    _repo(hub, content)
    hub.hub.drop_after = 50_000
    with pytest.raises(PullError):
        _pull(xdg, f"hf:{REPO}:Q4_K_M")
    hub.hub.ignore_range = True
    _pull(xdg, f"hf:{REPO}:Q4_K_M")
    assert list_models(xdg)[0].path.read_bytes() == content


def test_a_file_whose_sha256_is_not_the_listed_one_is_deleted(hub: HubServer, xdg: Paths) -> None:
    _repo(hub, _model())
    hub.hub.repos[REPO]["Qwen3-0.6B-Q4_K_M.gguf"].listed_sha256 = "0" * 64
    with pytest.raises(PullError, match="sha256 .* is not the one Hugging Face lists"):
        _pull(xdg, f"hf:{REPO}:Q4_K_M")
    assert list_models(xdg) == [] and not (models_dir(xdg) / "Qwen3-0.6B-Q4_K_M.gguf.part").exists()


def test_a_verified_download_that_is_not_gguf_is_not_installed(hub: HubServer, xdg: Paths) -> None:
    _repo(hub, b"this is not a model at all" * 100)
    with pytest.raises(PullError, match="not a GGUF model"):
        _pull(xdg, f"hf:{REPO}:Q4_K_M")
    assert list_models(xdg) == []


@pytest.mark.parametrize(
    ("setup", "ref", "words"),
    [
        (lambda hub: None, "hf:nobody/nothing-GGUF", "no model repository nobody/nothing-GGUF"),
        (lambda hub: hub.gated.add(REPO), f"hf:{REPO}", "gated or private"),
        (lambda hub: None, f"hf:{REPO}:IQ1_S", r"no IQ1_S file in .* \(it has: Qwen3-0.6B-Q4_K_M.gguf, Qwen3-0.6B-Q8_0.gguf"),
    ],
)
def test_what_cannot_be_pulled_is_said_in_one_line(hub: HubServer, xdg: Paths, setup, ref: str, words: str) -> None:
    _repo(hub, _model())
    setup(hub.hub)
    with pytest.raises(PullError, match=words):
        _pull(xdg, ref)


def test_a_gated_repository_is_reached_with_hf_token(hub: HubServer, xdg: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(hub, _model())
    hub.hub.gated.add(REPO)
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    _pull(xdg, f"hf:{REPO}")
    cdn = [headers for path, headers in hub.hub.requests if path.startswith("/cdn/")]
    assert cdn and "authorization" in cdn[0]  # same origin here; httpx drops it on a redirect to another host


def test_split_files_and_files_without_a_sha256_are_refused() -> None:
    split = [{"rfilename": "big-Q4_K_M-00001-of-00002.gguf", "size": 9, "lfs": {"sha256": "a" * 64, "size": 9}}]
    with pytest.raises(PullError, match="split model"):
        choose_file(HFRef("a/b", None), split)
    plain = [{"rfilename": "m-Q4_K_M.gguf", "size": 9}]
    with pytest.raises(PullError, match="no sha256"):
        choose_file(HFRef("a/b", None), plain)


@given(st.lists(st.dictionaries(st.sampled_from(["rfilename", "size", "lfs"]), st.one_of(st.text(max_size=20), st.integers(), st.none(), st.dictionaries(st.text(max_size=8), st.text(max_size=70), max_size=3))), max_size=5))
def test_any_siblings_list_gives_a_file_or_a_pull_error(siblings: list) -> None:
    try:
        chosen = choose_file(HFRef("a/b", None), siblings)
    except PullError:
        return
    assert chosen.filename.lower().endswith(".gguf") and len(chosen.sha256) == 64 and chosen.size > 0
