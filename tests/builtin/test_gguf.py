"""GGUF files for the built-in engine: the header reader, and the models folder."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovtui.errors import UsageError
from sovtui.inference.gguf import (
    GGUFError,
    ModelFileNotFound,
    add_model,
    check_name,
    list_models,
    model_path,
    models_dir,
    read_header,
    remove_model,
)
from sovtui.paths import Paths
from tests.builtin.gguf_writer import gguf_bytes, tiny_model
from tests.examples import examples


def test_header_gives_what_a_listing_shows() -> None:
    header = read_header(io.BytesIO(tiny_model()))
    assert header.version == 3
    assert (header.architecture, header.parameter_size, header.quantization, header.context_length) == ("llama", "135M", "Q4_K_M", 8192)
    assert header.has_chat_template
    assert header.get("tokenizer.ggml.tokens") == 3  # arrays are skipped, their length kept


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "does not start with 'GGUF'"),
        (b"PK\x03\x04" + b"\0" * 40, "does not start with 'GGUF'"),
        (b"GGUF" + struct.pack("<IQQ", 1, 0, 0), "version 1"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 2**40), "more tensors or keys"),
        (gguf_bytes({"general.name": "x"})[:-40], "ends inside"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**40), "claims"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<I", 99), "unknown value type 99"),
    ],
)
def test_a_file_that_is_not_gguf_is_refused_in_words(data: bytes, words: str) -> None:
    with pytest.raises(GGUFError, match=words):
        read_header(io.BytesIO(data))


scalars = st.one_of(st.booleans(), st.integers(0, 2**64 - 1), st.integers(-(2**63), -1), st.floats(allow_nan=False), st.text(max_size=40))
values = st.one_of(scalars, st.lists(st.text(max_size=10), max_size=5), st.lists(st.integers(-(2**31), 2**31 - 1), max_size=5))


@given(st.dictionaries(st.text(min_size=1, max_size=30), values, max_size=8), st.sampled_from([2, 3]))
def test_any_header_written_by_the_spec_reads_back(metadata: dict, version: int) -> None:
    header = read_header(io.BytesIO(gguf_bytes(metadata, version=version)))
    assert header.version == version
    for key, value in metadata.items():
        expected = len(value) if isinstance(value, list) else value
        assert header.metadata[key] == expected


@settings(max_examples=examples(300))
@given(st.binary(max_size=200))
def test_any_bytes_after_the_magic_read_or_fail_as_gguf_error(tail: bytes) -> None:
    try:
        read_header(io.BytesIO(b"GGUF" + tail))
    except GGUFError:
        pass


@settings(max_examples=examples(200))
@given(st.integers(0, 300), st.binary(min_size=1, max_size=8))
def test_a_damaged_real_header_fails_as_gguf_error(cut: int, noise: bytes) -> None:
    data = bytearray(tiny_model())
    data[cut % len(data) : cut % len(data) + len(noise)] = noise
    try:
        read_header(io.BytesIO(bytes(data)))
    except GGUFError:
        pass


def test_add_hard_links_and_lists_the_model(xdg: Paths, tmp_path: Path) -> None:
    source = tmp_path / "SmolLM2 135M.Q4_K_M.gguf"
    source.write_bytes(tiny_model())
    model, how = add_model(xdg, source)
    assert how == "linked" and model.name == "SmolLM2-135M.Q4_K_M"
    assert os.path.samefile(model.path, source) and model.path.parent == models_dir(xdg)
    (listed,) = list_models(xdg)
    assert (listed.name, listed.quantization, listed.architecture) == ("SmolLM2-135M.Q4_K_M", "Q4_K_M", "llama")


def test_add_copies_when_a_link_cannot_be_made(xdg: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "m.gguf"
    source.write_bytes(tiny_model())

    def no_link(*args: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    model, how = add_model(xdg, source, "mine")
    assert how == "copied" and model.path.read_bytes() == source.read_bytes()
    assert model.path.stat().st_mode & 0o777 == 0o600


def test_add_refuses_a_file_that_is_not_gguf_and_writes_nothing(xdg: Paths, tmp_path: Path) -> None:
    source = tmp_path / "weights.gguf"
    source.write_bytes(b"<html>404</html>")
    with pytest.raises(GGUFError, match="not a GGUF file"):
        add_model(xdg, source)
    assert list_models(xdg) == [] and not models_dir(xdg).exists()


def test_add_will_not_replace_a_model_of_the_same_name(xdg: Paths, tmp_path: Path) -> None:
    (tmp_path / "a.gguf").write_bytes(tiny_model("a"))
    (tmp_path / "b.gguf").write_bytes(tiny_model("b"))
    add_model(xdg, tmp_path / "a.gguf", "same")
    with pytest.raises(UsageError, match="already installed"):
        add_model(xdg, tmp_path / "b.gguf", "same")


@pytest.mark.parametrize("name", ["", "../evil", "a/b", "-x", "x y", "a" * 101])
def test_a_name_that_cannot_be_a_file_is_refused(name: str) -> None:
    with pytest.raises(UsageError):
        check_name(name)


def test_rm_deletes_the_link_not_the_users_file(xdg: Paths, tmp_path: Path) -> None:
    source = tmp_path / "m.gguf"
    source.write_bytes(tiny_model())
    add_model(xdg, source, "m")
    remove_model(xdg, "m")
    assert source.exists() and list_models(xdg) == []
    with pytest.raises(ModelFileNotFound, match="no built-in model called 'm'"):
        model_path(xdg, "m")


def test_half_downloaded_and_broken_files_are_not_listed(xdg: Paths) -> None:
    folder = models_dir(xdg)
    folder.mkdir(parents=True)
    (folder / "good.gguf").write_bytes(tiny_model())
    (folder / "pulling.gguf.part").write_bytes(tiny_model())
    (folder / "broken.gguf").write_bytes(b"GGUF\x03")
    assert [m.name for m in list_models(xdg)] == ["good"]
