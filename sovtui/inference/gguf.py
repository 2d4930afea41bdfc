"""The built-in engine's models: GGUF files in the data folder.

A model is one file, ``<data>/models/NAME.gguf``; its name is the file's
name without ``.gguf``, so the folder is the whole registry and a person can
see, back up or delete it with ``ls`` and ``rm``. ``add_model`` hard-links
the file there (no second copy of gigabytes) or copies it when the link
cannot be made (another filesystem), after checking it is a GGUF file: its
magic, a version llama.cpp reads, and a metadata header that parses. What a
listing shows (architecture, size label, quantization, context length) comes
from that header, read without loading a single tensor.

The header is outside input (a file from the internet): every count and
length is bounded before anything is read or allocated, and any file that
is not a well-formed GGUF header raises ``GGUFError``, never anything else.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from sovtui.errors import SovtuiError, UsageError
from sovtui.paths import Paths, ensure_private_dir

MAGIC = b"GGUF"
#: Versions llama.cpp reads (1 is long gone: 32-bit counts, no longer loaded).
VERSIONS = (2, 3)
SUFFIX = ".gguf"
PART_SUFFIX = ".gguf.part"

#: Bounds on what a header may claim, far above any real model's
#: (Qwen3's header: ~40 keys, one array of 151,936 strings).
MAX_KEYS = 100_000
MAX_STRING = 16 * 1024 * 1024
MAX_ARRAY = 16 * 1024 * 1024
MAX_TENSORS = 10_000_000

#: GGUF value types (ggml/docs/gguf.md): type id -> struct format of one scalar.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9

#: llama.cpp's ``general.file_type`` (enum llama_ftype) -> the quantization's usual name.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
    19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
    26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
    36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4",
}

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,99}")


class GGUFError(SovtuiError):
    """The file is not a GGUF model llama.cpp can read."""


class ModelFileNotFound(SovtuiError):
    def __init__(self, name: str, known: list[str]) -> None:
        listed = ", ".join(known) or "none yet: add one with 'sovtui models add FILE.gguf'"
        super().__init__(f"no built-in model called '{name}' (installed: {listed})")
        self.name = name


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensor_count: int
    #: Scalar and string values by key; arrays are skipped and kept as their length.
    metadata: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    @property
    def architecture(self) -> str:
        value = self.get("general.architecture", "")
        return value if isinstance(value, str) else ""

    @property
    def quantization(self) -> str:
        file_type = self.get("general.file_type")
        if isinstance(file_type, int) and not isinstance(file_type, bool):
            return FILE_TYPES.get(file_type, f"type {file_type}")
        return ""

    @property
    def parameter_size(self) -> str:
        value = self.get("general.size_label", "")
        return value if isinstance(value, str) else ""

    @property
    def context_length(self) -> int | None:
        value = self.get(f"{self.architecture}.context_length")
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    @property
    def has_chat_template(self) -> bool:
        return isinstance(self.get("tokenizer.chat_template"), str)


class _Reader:
    """Little-endian reads that fail as GGUFError at the end of the data."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def take(self, count: int) -> bytes:
        data = self.stream.read(count)
        if len(data) != count:
            raise GGUFError("the file ends inside its GGUF header (truncated download?)")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > MAX_STRING:
            raise GGUFError(f"a string in the GGUF header claims {length} bytes")
        return self.take(length).decode("utf-8", "replace")

    def skip(self, count: int) -> None:
        if count:
            self.take(count) if count < 65536 else self._seek(count)

    def _seek(self, count: int) -> None:
        try:
            here = self.stream.tell()
            end = self.stream.seek(0, os.SEEK_END)
        except (OSError, ValueError):
            self.take(count)
            return
        if end - here < count:
            raise GGUFError("the file ends inside its GGUF header (truncated download?)")
        self.stream.seek(here + count)

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item = self.unpack("<I")
            count = self.unpack("<Q")
            if count > MAX_ARRAY:
                raise GGUFError(f"an array in the GGUF header claims {count} items")
            if item in _SCALARS:
                self.skip(struct.calcsize(_SCALARS[item]) * count)
            elif item == _STRING:
                for _ in range(count):
                    length = self.unpack("<Q")
                    if length > MAX_STRING:
                        raise GGUFError(f"a string in the GGUF header claims {length} bytes")
                    self.skip(length)
            else:  # arrays of arrays are not in the format
                raise GGUFError(f"an array of unknown value type {item} in the GGUF header")
            return count
        raise GGUFError(f"unknown value type {kind} in the GGUF header")


def read_header(stream: IO[bytes]) -> GGUFHeader:
    """The metadata at the start of a GGUF file (ggml's docs/gguf.md, versions 2 and 3)."""
    reader = _Reader(stream)
    if stream.read(4) != MAGIC:
        raise GGUFError("not a GGUF file (it does not start with 'GGUF')")
    version = reader.unpack("<I")
    if version not in VERSIONS:
        raise GGUFError(f"GGUF version {version} is not one llama.cpp reads (2 or 3)")
    tensors = reader.unpack("<Q")
    keys = reader.unpack("<Q")
    if tensors > MAX_TENSORS or keys > MAX_KEYS:
        raise GGUFError("the GGUF header claims more tensors or keys than any model has")
    metadata: dict[str, Any] = {}
    for _ in range(keys):
        key = reader.string()
        metadata[key] = reader.value(reader.unpack("<I"))
    return GGUFHeader(version, tensors, metadata)


def read_file_header(path: Path) -> GGUFHeader:
    try:
        with open(path, "rb") as stream:
            return read_header(stream)
    except OSError as exc:
        raise GGUFError(f"cannot read {path}: {exc.strerror}") from None
    except GGUFError as exc:
        raise GGUFError(f"{path}: {exc}") from None


# --- the models folder ------------------------------------------------------------


def models_dir(paths: Paths) -> Path:
    return paths.data_dir / "models"


def check_name(name: str) -> str:
    """A model name as typed: letters, digits and ``. _ : + -``, up to 100; UsageError otherwise."""
    name = name.strip()
    if name.lower().endswith(SUFFIX):
        name = name[: -len(SUFFIX)]
    if not _NAME.fullmatch(name):
        raise UsageError(f"'{name}' cannot be a model name: use letters, digits and . _ : + - (e.g. qwen3-0.6b)")
    return name


def name_for(path: Path) -> str:
    """The name a file is added under when none is given: its file name without ``.gguf``, made valid."""
    stem = path.name[: -len(SUFFIX)] if path.name.lower().endswith(SUFFIX) else path.name
    cleaned = re.sub(r"[^A-Za-z0-9._:+-]+", "-", stem).strip("-._:+")[:100]
    return cleaned or "model"


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    path: Path
    size: int
    modified: datetime | None
    architecture: str
    parameter_size: str
    quantization: str
    context_length: int | None
    has_chat_template: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "size": self.size,
            "modified": self.modified.isoformat() if self.modified else None,
            "family": self.architecture,
            "parameter_size": self.parameter_size,
            "quantization": self.quantization,
            "context_length": self.context_length,
        }


def describe(path: Path) -> BuiltinModel:
    header = read_file_header(path)
    stat = path.stat()
    return BuiltinModel(
        name=path.name[: -len(SUFFIX)],
        path=path,
        size=stat.st_size,
        modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
        architecture=header.architecture,
        parameter_size=header.parameter_size,
        quantization=header.quantization,
        context_length=header.context_length,
        has_chat_template=header.has_chat_template,
    )


def model_paths(paths: Paths) -> dict[str, Path]:
    """Name -> file of every model in the folder (half-downloaded ``.part`` files are not models)."""
    folder = models_dir(paths)
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        return {}
    return {p.name[: -len(SUFFIX)]: p for p in entries if p.name.endswith(SUFFIX) and p.is_file()}


def list_models(paths: Paths) -> list[BuiltinModel]:
    """The installed models; a file that is not (or no longer) GGUF is left out, not fatal."""
    found = []
    for path in model_paths(paths).values():
        try:
            found.append(describe(path))
        except (GGUFError, OSError):
            continue
    return found


def model_path(paths: Paths, name: str) -> Path:
    """The file of an installed model; ModelFileNotFound names the ones there are."""
    known = model_paths(paths)
    if name.lower().endswith(SUFFIX):
        name = name[: -len(SUFFIX)]
    if name not in known:
        raise ModelFileNotFound(name, sorted(known))
    return known[name]


def add_model(
    paths: Paths, source: Path, name: str | None = None, *, replace: bool = False, progress: Callable[[int, int], None] | None = None
) -> tuple[BuiltinModel, str]:
    """Put a GGUF file in the models folder under ``name``; the model and how ("linked" or "copied").

    The header is checked before anything is written. A hard link costs no
    space and no time; across filesystems the file is copied into a hidden
    temporary file and renamed, so a failed copy leaves no half model.
    """
    source = source.expanduser()
    if not source.is_file():
        raise UsageError(f"no such file: {source}")
    read_file_header(source)
    name = check_name(name) if name else name_for(source)
    folder = ensure_private_dir(models_dir(paths))
    target = folder / f"{name}{SUFFIX}"
    if target.exists():
        if target.samefile(source):
            return describe(target), "already there"
        if not replace:
            raise UsageError(f"a model called '{name}' is already installed: choose another --name, or remove it first")
    temporary = folder / f".{name}.{os.getpid()}.adding"
    temporary.unlink(missing_ok=True)
    try:
        try:
            os.link(source, temporary)
            how = "linked"
        except OSError:
            _copy(source, temporary, progress)
            os.chmod(temporary, 0o600)
            how = "copied"
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return describe(target), how


def _copy(source: Path, target: Path, progress: Callable[[int, int], None] | None) -> None:
    total = source.stat().st_size
    done = 0
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(4 * 1024 * 1024):
            writer.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
        writer.flush()
        os.fsync(writer.fileno())


def remove_model(paths: Paths, name: str) -> Path:
    """Delete an installed model's file (a hard link: the user's own file stays)."""
    path = model_path(paths, name)
    path.unlink()
    return path


def free_space(folder: Path) -> int:
    """Bytes free where ``folder`` is (or would be), so a pull can refuse before it starts."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free
