"""Downloading a GGUF model from Hugging Face for the built-in engine.

``sovtui models pull hf:OWNER/REPO:QUANT --host builtin`` is the one time
sovtui reaches the public internet for a model, and only when asked: it is
never automatic, it says so before it starts, and ``sovtui doctor`` lists
the address. The steps are the ones Hugging Face documents for its Hub API
(and that ``huggingface_hub`` takes):

1. ``GET {endpoint}/api/models/OWNER/REPO?blobs=true``: the repository's
   files, each with its size and, for files kept in LFS (every GGUF), the
   sha256 of its content (``siblings[].lfs.sha256``);
2. the file whose name carries the quantization (``:Q4_K_M`` picks
   ``...-Q4_K_M.gguf``; none named: Q4_K_M if there is one, as Ollama does);
3. ``GET {endpoint}/OWNER/REPO/resolve/main/FILE``, which redirects to a
   CDN; an interrupted download is resumed with ``Range: bytes=N-`` from
   ``NAME.gguf.part``;
4. the sha256 of the whole file checked against the Hub's, the GGUF header
   checked, then the file renamed into place: a model is either whole and
   verified or not there.

``HF_ENDPOINT`` (huggingface_hub's variable) points at a mirror, and the
tests at their stand-in server; ``HF_TOKEN``, if set, is sent to the Hub (a
gated or private repository needs it) and never shown or logged.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import re
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sovtui.errors import SovtuiError, UsageError
from sovtui.inference.gguf import PART_SUFFIX, SUFFIX, GGUFError, check_name, free_space, models_dir, name_for, read_file_header
from sovtui.inference.types import LayerProgress, PullProgress
from sovtui.paths import Paths, ensure_private_dir
from sovtui.text import safe_line

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_QUANT = "Q4_K_M"
PREFIX = "hf:"
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
_QUANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_SPLIT = re.compile(r"-\d{5}-of-\d{5}\.gguf$", re.IGNORECASE)
CHUNK = 1024 * 1024


class PullError(SovtuiError):
    """A download from Hugging Face that could not be done or could not be trusted."""


@dataclass(frozen=True)
class HFRef:
    repo: str
    quant: str | None

    def __str__(self) -> str:
        return f"{PREFIX}{self.repo}" + (f":{self.quant}" if self.quant else "")


def is_hf_ref(text: str) -> bool:
    lowered = text.strip().lower()
    return lowered.startswith((PREFIX, "hf.co/", "huggingface.co/"))


def parse_ref(text: str) -> HFRef:
    """``hf:OWNER/REPO[:QUANT]`` (also Ollama's ``hf.co/OWNER/REPO[:QUANT]``); UsageError otherwise."""
    value = text.strip()
    for prefix in (PREFIX, "hf.co/", "huggingface.co/", "https://huggingface.co/"):
        if value.lower().startswith(prefix):
            value = value[len(prefix):]
            break
    else:
        raise UsageError(f"'{safe_line(text)}' is not a Hugging Face model: write hf:OWNER/REPO:QUANT (e.g. hf:Qwen/Qwen3-0.6B-GGUF:Q4_K_M)")
    repo, _, quant = value.partition(":")
    if not _REPO.fullmatch(repo) or ".." in repo:
        raise UsageError(f"'{safe_line(repo)}' is not a Hugging Face repository: write OWNER/REPO (e.g. Qwen/Qwen3-0.6B-GGUF)")
    if quant and not _QUANT.fullmatch(quant):
        raise UsageError(f"'{safe_line(quant)}' is not a quantization (e.g. Q4_K_M, Q8_0)")
    return HFRef(repo, quant or None)


@dataclass(frozen=True)
class HFFile:
    repo: str
    filename: str
    size: int
    sha256: str

    @property
    def quant_free_name(self) -> str:
        return name_for(Path(self.filename))


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def _headers() -> dict[str, str]:
    token = os.environ.get("HF_TOKEN", "").strip()
    return {"Authorization": f"Bearer {token}"} if token else {}


def _matches(filename: str, quant: str) -> bool:
    upper = filename.upper()
    return re.search(rf"(?<![A-Z0-9_]){re.escape(quant.upper())}(?![A-Z0-9_])", upper) is not None


def choose_file(ref: HFRef, siblings: list[dict[str, Any]]) -> HFFile:
    """The GGUF file of the repository that ``ref`` means, from the Hub's ``siblings``."""
    ggufs = []
    for entry in siblings:
        if not isinstance(entry, dict):
            continue
        filename = entry.get("rfilename")
        if not isinstance(filename, str) or not filename.lower().endswith(SUFFIX) or "mmproj" in filename.lower():
            continue
        ggufs.append(entry)
    if not ggufs:
        raise PullError(f"{ref.repo} on Hugging Face has no GGUF file: the built-in engine runs GGUF models (look for a repository ending in -GGUF)")
    names = [str(e["rfilename"]) for e in ggufs]
    wanted = ref.quant or DEFAULT_QUANT
    chosen = [e for e in ggufs if _matches(str(e["rfilename"]), wanted)]
    if not chosen and ref.quant is None and len(ggufs) == 1:
        chosen = ggufs
    if not chosen:
        shown = ", ".join(safe_line(n) for n in names[:20])
        raise PullError(f"no {safe_line(wanted)} file in {ref.repo} (it has: {shown}): name one, e.g. {PREFIX}{ref.repo}:Q8_0")
    if len(chosen) > 1:
        chosen.sort(key=lambda e: (len(str(e["rfilename"])), str(e["rfilename"])))
    entry = chosen[0]
    filename = str(entry["rfilename"])
    if _SPLIT.search(filename):
        raise PullError(f"{safe_line(filename)} is one part of a split model: sovtui pulls single-file GGUF models only")
    lfs = entry.get("lfs")
    sha = lfs.get("sha256") if isinstance(lfs, dict) else None
    size = (lfs.get("size") if isinstance(lfs, dict) else None) or entry.get("size")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise PullError(f"Hugging Face gave no sha256 for {safe_line(filename)}: not downloading a file that cannot be checked")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise PullError(f"Hugging Face gave no size for {safe_line(filename)}")
    return HFFile(ref.repo, filename, size, sha)


async def resolve(client: Any, ref: HFRef) -> HFFile:
    """Ask the Hub which file ``ref`` means (its name, size and sha256)."""
    import httpx

    url = f"{endpoint()}/api/models/{ref.repo}"
    try:
        response = await client.get(url, params={"blobs": "true"}, headers=_headers())
    except httpx.HTTPError as exc:
        raise PullError(f"cannot reach Hugging Face at {endpoint()} ({safe_line(str(exc)) or type(exc).__name__})") from None
    if response.status_code in (401, 403):
        raise PullError(f"{ref.repo} is gated or private on Hugging Face: accept its terms there and set HF_TOKEN")
    if response.status_code == 404:
        raise PullError(f"no model repository {ref.repo} on Hugging Face (check the name on {endpoint()}/models)")
    if response.status_code != 200:
        raise PullError(f"Hugging Face answered {response.status_code} for {ref.repo}")
    try:
        siblings = response.json().get("siblings")
    except (ValueError, AttributeError):
        raise PullError("Hugging Face's answer was not the JSON its API sends") from None
    if not isinstance(siblings, list):
        raise PullError("Hugging Face's answer lists no files")
    return choose_file(ref, siblings)


def _hash_of(path: Path, length: int) -> Any:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        left = length
        while left > 0 and (chunk := stream.read(min(CHUNK * 4, left))):
            digest.update(chunk)
            left -= len(chunk)
    return digest


async def pull(paths: Paths, ref: HFRef, name: str | None = None) -> AsyncGenerator[PullProgress, None]:
    """Download the file ``ref`` means into the models folder, yielding progress.

    Leaving the loop (ctrl+c) keeps ``NAME.gguf.part``; the next pull of the
    same file resumes from its end. The last progress has ``done``.
    """
    import httpx

    progress = PullProgress(status="asking Hugging Face", started=time.monotonic())
    progress.now = progress.started
    yield progress
    timeout = httpx.Timeout(connect=15.0, read=60.0, write=30.0, pool=15.0)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
        wanted = await resolve(client, ref)
        name = check_name(name) if name else wanted.quant_free_name
        folder = ensure_private_dir(models_dir(paths))
        target = folder / f"{name}{SUFFIX}"
        if target.exists():
            raise UsageError(f"a model called '{name}' is already installed: remove it first, or pull with --name OTHER")
        part = folder / f"{name}{PART_SUFFIX}"
        sidecar = folder / f".{name}.part.json"
        lock_fd = os.open(folder / f".{name}.pull.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PullError(f"{name} is already being downloaded by another sovtui") from None
            async for step in _download(client, wanted, part, sidecar, progress):
                yield step
            progress.status = "checking the GGUF header"
            yield progress
            try:
                read_file_header(part)
            except GGUFError as exc:
                part.unlink(missing_ok=True)
                raise PullError(f"the download is not a GGUF model ({exc}); it was deleted") from None
            os.replace(part, target)
            sidecar.unlink(missing_ok=True)
        finally:
            os.close(lock_fd)
    progress.status = "success"
    progress.done = True
    progress.now = time.monotonic()
    yield progress


async def _download(client: Any, wanted: HFFile, part: Path, sidecar: Path, progress: PullProgress) -> AsyncGenerator[PullProgress, None]:
    import httpx

    meta = {"repo": wanted.repo, "filename": wanted.filename, "sha256": wanted.sha256, "size": wanted.size}
    try:
        if json.loads(sidecar.read_text()) != meta:
            part.unlink(missing_ok=True)  # a part of another file (the repository changed): start again
    except (FileNotFoundError, ValueError):
        part.unlink(missing_ok=True)
    have = part.stat().st_size if part.exists() else 0
    if have > wanted.size:
        part.unlink()
        have = 0
    if wanted.size - have > free_space(part.parent):
        raise PullError(f"not enough free disk space for {safe_line(wanted.filename)} ({wanted.size - have} bytes more are needed)")
    sidecar.write_text(json.dumps(meta))
    os.chmod(sidecar, 0o600)
    layer = LayerProgress(wanted.sha256, wanted.size, completed=have, started=time.monotonic())
    progress.layers = {wanted.sha256: layer}
    progress.digest = wanted.sha256
    progress.status = f"downloading {wanted.filename}" + (" (resuming)" if have else "")
    progress.started = time.monotonic()
    digest = await asyncio.to_thread(_hash_of, part, have) if have else hashlib.sha256()
    url = f"{endpoint()}/{wanted.repo}/resolve/main/{quote(wanted.filename)}"
    if have < wanted.size:
        headers = {**_headers(), "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 200 and have:
                    have = 0  # the server sent the whole file, not the rest: start over
                    digest = hashlib.sha256()
                    layer.completed = 0
                elif response.status_code == 206:
                    start = _range_start(response.headers.get("content-range", ""))
                    if start != have:
                        raise PullError("Hugging Face resumed at the wrong place: delete the .part file and pull again")
                elif response.status_code in (401, 403):
                    raise PullError(f"{wanted.repo} is gated or private on Hugging Face: accept its terms there and set HF_TOKEN")
                elif response.status_code != 200:
                    raise PullError(f"Hugging Face answered {response.status_code} for {safe_line(wanted.filename)}")
                with open(part, "r+b" if have else "wb") as stream:
                    os.chmod(part, 0o600)
                    stream.seek(have)
                    stream.truncate()
                    last = 0.0
                    async for chunk in response.aiter_raw():  # as it arrives: a broken download keeps every byte
                        if layer.completed + len(chunk) > wanted.size:
                            raise PullError(f"Hugging Face sent more than the {wanted.size} bytes of {safe_line(wanted.filename)}")
                        stream.write(chunk)
                        digest.update(chunk)
                        layer.completed += len(chunk)
                        now = time.monotonic()
                        progress.now = layer.updated = now
                        if now - last >= 0.1:
                            last = now
                            yield progress
                    stream.flush()
                    os.fsync(stream.fileno())
        except httpx.HTTPError as exc:
            raise PullError(
                f"the download broke ({safe_line(str(exc)) or type(exc).__name__}): run the same command to resume"
            ) from None
    if layer.completed != wanted.size:
        raise PullError(f"the download stopped at {layer.completed} of {wanted.size} bytes: run the same command to resume")
    progress.status = "verifying sha256"
    progress.now = time.monotonic()
    yield progress
    if digest.hexdigest() != wanted.sha256:
        part.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        raise PullError(f"the sha256 of {safe_line(wanted.filename)} is not the one Hugging Face lists: the download was deleted, pull again")


def _range_start(content_range: str) -> int | None:
    match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", content_range.strip())
    return int(match.group(1)) if match else None
